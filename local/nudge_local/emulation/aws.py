"""The emulated AWS (moto), and the template's resources created in it.

Two ways to reach it:
- in-process (the default): moto answers boto3's requests inside botocore, before anything goes on the
  wire. A request costs about a third of what it costs over HTTP, which is most of a demo month's time.
- server (`nudge local serve`): an embedded moto server on 127.0.0.1, so the AWS CLI can look inside
  while the local API runs. One server per process, not per runtime: Nudge's adapters cache their boto3
  clients (`functools.cache`), so the endpoint they were built for must stay valid for the life of the
  process. A new runtime resets the server's state instead (`POST /moto-api/reset`).

It knows nothing of the template, IAM or the bill (it sits below them): the runtime creates the template's
resources in it (runtime/resources.py) and installs IAM's, the bill's and the drills' hooks.
"""

import functools
import logging
import os
import threading
import urllib.request
from typing import Any

import boto3
from moto import mock_aws
from moto.server import ThreadedMotoServer

from nudge_local.emulation import hooks, speedups

AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "ap-northeast-2",
    "AWS_REGION": "ap-northeast-2",
}
# Profiles and shared config of the developer's machine must not leak into the emulation.
_UNSET = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE")

_lock = threading.Lock()
_server: ThreadedMotoServer | None = None
_endpoint: str | None = None
_in_process: Any = None  # moto's mock while an in-process runtime is open

# moto serves through werkzeug, which would log every request of every handler to stderr.
logging.getLogger("werkzeug").setLevel(logging.WARNING)


def start_server() -> str:
    """Start the process's moto server (once) on 127.0.0.1 and a free port; point boto3 at it.

    Returns the endpoint. `saved_environment()` before and `restore_environment()` after let a caller
    (LocalRuntime) put the process's AWS settings back when it is done."""
    global _server, _endpoint
    speedups.install()
    with _lock:
        if _server is None:
            server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
            server.start()
            host, port = server.get_host_and_port()
            _server, _endpoint = server, f"http://{host}:{port}"
        assert _endpoint is not None
        for name in _UNSET:
            os.environ.pop(name, None)
        os.environ.update(AWS_ENV)
        os.environ["AWS_ENDPOINT_URL"] = _endpoint
        return _endpoint


def start_in_process() -> None:
    """Answer boto3's requests in this process until `stop_in_process()` (which forgets every resource)."""
    global _in_process
    speedups.install()
    with _lock:
        if _in_process is None:
            _in_process = mock_aws()
            _in_process.start()
        for name in (*_UNSET, "AWS_ENDPOINT_URL"):
            os.environ.pop(name, None)
        os.environ.update(AWS_ENV)


def stop_in_process() -> None:
    global _in_process
    with _lock:
        if _in_process is not None:
            _in_process.stop()
            _in_process = None


def saved_environment() -> dict[str, str | None]:
    return {name: os.environ.get(name) for name in (*AWS_ENV, *_UNSET, "AWS_ENDPOINT_URL")}


def restore_environment(saved: dict[str, str | None]) -> None:
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


def queue_base(region: str) -> str:
    """What moto's queue URLs start with: the server's endpoint, or SQS's own host in-process."""
    if _in_process is None and _endpoint is not None:
        return _endpoint
    return f"https://sqs.{region}.amazonaws.com"


def reset_server() -> None:
    """Forget every table, queue and schedule (moto's own reset endpoint)."""
    if _endpoint is None or _in_process is not None:
        return
    request = urllib.request.Request(f"{_endpoint}/moto-api/reset", method="POST", data=b"")
    with urllib.request.urlopen(request, timeout=10) as response:
        response.read()


def client(service: str) -> Any:
    """A client of the emulated service. Built once per service and endpoint, and again once more hooks are
    registered (a client keeps the hooks registered when it was made: emulation/hooks.py): creating a
    boto3 client costs milliseconds, and the pumps ask for one on every poll."""
    return _client(service, None if _in_process is not None else _endpoint, hooks.generation())


@functools.cache
def _client(service: str, endpoint: str | None, generation: int) -> Any:
    return boto3.client(service, endpoint_url=endpoint, region_name=AWS_ENV["AWS_DEFAULT_REGION"])
