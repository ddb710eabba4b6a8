"""Lambda functions of the template, run in-process.

Each function's handler module is loaded by file path under its own module name (every function has an
`app.py`), with the environment the template gives that function in `os.environ` while it is imported and
while it runs. Functions share one process, so invocations are serialized and the environment is swapped
per call; the handler's stdout/stderr (Powertools logs and metrics) go to the runtime's log sink.
"""

import contextlib
import importlib.util
import io
import itertools
import os
import sys
import threading
import time
import traceback
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import ModuleType
from typing import Any, TextIO

from nudge_local.bill import counters
from nudge_local.bill.counters import Counters
from nudge_local.runtime import iam
from nudge_local.runtime.template import Function, Template

# What Powertools needs to behave well outside Lambda; the template's own values win.
POWERTOOLS_DEFAULTS = {
    "POWERTOOLS_TRACE_DISABLED": "true",  # there is no X-Ray daemon locally
    "POWERTOOLS_DEV": "false",
    "AWS_LAMBDA_EXEC_WRAPPER": "",
}

_instances = itertools.count(1)


class UnknownFunction(KeyError):
    pass


class FunctionError(RuntimeError):
    """The handler raised: what Lambda reports as an unhandled error (errorType, errorMessage)."""

    def __init__(self, function: str, error: BaseException) -> None:
        super().__init__(f"{function}: {type(error).__name__}: {error}")
        self.function = function
        self.error_type = type(error).__name__
        self.error_message = str(error)
        self.original = error


@dataclass
class LambdaContext:
    """The parts of Lambda's context object handlers and Powertools read."""

    function_name: str
    function_version: str
    invoked_function_arn: str
    memory_limit_in_mb: int
    aws_request_id: str
    log_group_name: str
    log_stream_name: str
    deadline_monotonic: float

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.deadline_monotonic - time.monotonic()) * 1000))


class LogSink(io.TextIOBase):
    """Where handler output goes: kept in memory (bounded) and optionally echoed to a stream.

    A stable object, because Powertools' Logger binds its stream when the handler module is imported.
    """

    def __init__(self, echo: TextIO | None = None, keep: int = 5000) -> None:
        self.echo = echo
        self.lines: deque[str] = deque(maxlen=keep)
        self.bytes_written = 0  # every byte ever written: CloudWatch Logs bills ingestion by volume
        self._partial = ""

    def reset(self, echo: TextIO | None = None, keep: int = 5000) -> None:
        self.echo = echo
        self.lines = deque(maxlen=keep)
        self.bytes_written = 0
        self._partial = ""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self.bytes_written += len(text.encode())
        self._partial += text
        *complete, self._partial = self._partial.split("\n")
        self.lines.extend(complete)
        if self.echo is not None:
            self.echo.write(text)
        return len(text)

    def flush(self) -> None:
        if self.echo is not None:
            self.echo.flush()


_process_sink: LogSink | None = None


def process_sink(echo: TextIO | None = None) -> LogSink:
    """The process's one log sink, emptied for a new runtime. One, not one per runtime: a Powertools
    Logger of a given service name is set up once per process (its handler keeps the stream it was
    created with), so a later runtime's handlers still write where the first one's did."""
    global _process_sink
    if _process_sink is None:
        _process_sink = LogSink(echo)
    else:
        _process_sink.reset(echo)
    return _process_sink


class FunctionHost:
    def __init__(self, template: Template, stats: Counters, sink: LogSink) -> None:
        self.template = template
        self.counters = stats
        self.sink = sink
        # Reentrant: a pump may be running (holding nothing) while an HTTP thread invokes, but a handler
        # that triggers an in-process invocation of another function must not deadlock.
        self.lock = threading.RLock()
        self._handlers: dict[str, Callable[[Any, Any], Any]] = {}
        self._modules: dict[str, ModuleType] = {}
        self._prefix = f"nudge_fn_{next(_instances)}"

    def function(self, logical_id: str) -> Function:
        try:
            return self.template.functions[logical_id]
        except KeyError:
            known = ", ".join(sorted(self.template.functions)) or "none"
            raise UnknownFunction(f"no function {logical_id!r} in the template (known: {known})") from None

    def environment(self, function: Function) -> dict[str, str]:
        return {
            **POWERTOOLS_DEFAULTS,
            "AWS_LAMBDA_FUNCTION_NAME": function.name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function.memory_mb),
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{function.name}",
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{function.runtime}",
            **function.environment,
        }

    @contextlib.contextmanager
    def _environment(self, function: Function) -> Iterator[None]:
        env = self.environment(function)
        saved = {key: os.environ.get(key) for key in env}
        os.environ.update(env)
        try:
            with contextlib.redirect_stdout(self.sink), contextlib.redirect_stderr(self.sink):
                yield
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value

    def _load(self, function: Function) -> Callable[[Any, Any], Any]:
        handler = self._handlers.get(function.logical_id)
        if handler is not None:
            return handler
        path = function.module_path
        if not path.is_file():
            raise FileNotFoundError(f"{function.logical_id}: handler module {path} does not exist")
        # Lambda puts the layers' python/ directories and the function's code on sys.path.
        for directory in (*function.layers, function.code_uri):
            if directory.is_dir() and str(directory) not in sys.path:
                sys.path.append(str(directory))
        name = f"{self._prefix}_{function.logical_id}"
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None and spec.loader is not None
        module: ModuleType = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            sys.modules.pop(name, None)
            raise
        handler = getattr(module, function.handler_name)
        self._handlers[function.logical_id] = handler
        self._modules[function.logical_id] = module
        return handler

    def module(self, logical_id: str) -> ModuleType:
        """The function's loaded handler module (loading it, in its environment, if needed)."""
        function = self.function(logical_id)
        if logical_id not in self._modules:
            with self.lock, self._environment(function):
                self._load(function)
        return self._modules[logical_id]

    def context(self, function: Function) -> LambdaContext:
        request_id = str(uuid.uuid4())
        return LambdaContext(
            function_name=function.name,
            function_version="$LATEST",
            invoked_function_arn=function.arn,
            memory_limit_in_mb=function.memory_mb,
            aws_request_id=request_id,
            log_group_name=f"/aws/lambda/{function.name}",
            log_stream_name=f"local/[$LATEST]{request_id.replace('-', '')}",
            deadline_monotonic=time.monotonic() + function.timeout_s,
        )

    def invoke(self, logical_id: str, event: Any) -> Any:
        """Run the function once; raises FunctionError when the handler raises (the error is logged)."""
        function = self.function(logical_id)
        with self.lock, self._environment(function), counters.origin(logical_id):
            handler = self._load(function)
            iam.lambda_writes_telemetry(function, self.sink.write)
            context = self.context(function)
            started = time.perf_counter()
            failed = True
            try:
                result = handler(event, context)
                failed = False
                return result
            except Exception as error:
                # Lambda writes the stack trace to the function's log stream, not to the caller.
                self.sink.write(f"[ERROR] {function.logical_id} {type(error).__name__}\n")
                self.sink.write(traceback.format_exc())
                raise FunctionError(logical_id, error) from error
            finally:
                elapsed_ms = (time.perf_counter() - started) * 1000
                self.counters.record_invocation(logical_id, elapsed_ms, failed)
