"""The `nudge` command: Nudge's SAM application on this machine, without Docker or an AWS account.

nudge local serve [--port 3000] [--start 2026-03-16T09:00:00+09:00]
nudge local invoke IngestFunction -e events/cafe24_order_placed.json
nudge local demo [--customers 5000] [--why dd00042]
nudge local storyline

Arguments are checked before anything starts: a wrong one is answered with one line on stderr and exit
status 2, as argparse does, never a traceback. The runtime itself is imported only by the action that needs
it, so `--help`, `--version` and a refusal answer at once.
"""

import argparse
import difflib
import errno
import json
import re
import socket
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any, NoReturn

from nudge_local.runtime.clock import ClockError, parse_instant
from nudge_local.runtime.template import DEFAULT_TEMPLATE

# The demo store's customers are dd00001… with the test numbers 010-0000-0001…; maple-goods' Shopify
# customers have 010-0000-5001 and up (month.py), so 5,000 is as large as the demo store gets.
DEMO_MAX_CUSTOMERS = 5_000
DEMO_CUSTOMER = re.compile(r"^dd(\d{5})$")
STATUS_USAGE = 2  # what argparse exits with on a wrong argument
STATUS_INTERRUPTED = 130  # Ctrl-C, as a shell reports it

DEMO_DESCRIPTION = """\
The demo month (what `make run` shows): the store dogday-mall imports the members it already has, its
marketer sets up the "Dog Day" promotion (five campaigns) and seven ready-made automations through the admin
API, then 30 days of real-shaped Cafe24 and Shopify webhooks and tracker batches arrive on the simulated
clock while schedules fire and messages go out through the local gateway emulator. It ends with a timeline,
a table per campaign and automation (the admin API's reports), an HTML report in reports/demo-month.html,
the decision chain ("why was this sent / not sent?") for a few customers and what the month would cost in
AWS."""

STORYLINE_DESCRIPTION = """\
A short storyline around the "Dog Day" promotion of 18 March 2026, replayed through the real handlers:
dogday-mall on Cafe24 (plus the Nudge format for its Kakao consent form) and maple-goods on Shopify. Some
webhooks arrive twice or out of order, some are forged or malformed; it prints each request and its answer,
what was applied, ignored or refused and why, the resulting customer profiles (phone numbers and names
masked) and what the AWS calls would cost."""


class _Parser(argparse.ArgumentParser):
    """argparse, but a wrong argument is one line (the usage is one `--help` away), and the hint names the
    subcommand that was being parsed."""

    def error(self, message: str) -> NoReturn:
        self.exit(STATUS_USAGE, f"{self.prog}: error: {message} (see `{self.prog} --help`)\n")


def _version() -> str:
    try:
        return f"nudge {metadata.version('nudge')}"
    except metadata.PackageNotFoundError:
        return "nudge (not installed: run `make run` or `pip install -e .`)"


def _instant(text: str) -> datetime:
    try:
        return parse_instant(text)
    except ClockError as error:
        raise argparse.ArgumentTypeError(str(error)) from error


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"a port is between 1 and 65535, not {port}")
    return port


def _customers(text: str) -> int:
    try:
        count = int(text.replace(",", "").replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if not 1 <= count <= DEMO_MAX_CUSTOMERS:
        raise argparse.ArgumentTypeError(
            f"the demo store has between 1 and {DEMO_MAX_CUSTOMERS:,} customers, not {count:,}"
        )
    return count


def _customer_id(text: str) -> str:
    if not DEMO_CUSTOMER.match(text.strip()):
        raise argparse.ArgumentTypeError(f"the demo store's customers are dd00001, dd00002, …; not {text!r}")
    return text.strip()


def _template(text: str) -> Path:
    """A template given with --template: read now, so a wrong one is refused before anything starts."""
    import yaml

    from nudge_local.runtime.template import TemplateError, parse_template

    path = Path(text)
    if not path.is_file():
        raise argparse.ArgumentTypeError(f"no such file: {text}")
    try:
        parse_template(path)
    except yaml.MarkedYAMLError as error:
        where = f" at line {error.problem_mark.line + 1}" if error.problem_mark else ""
        raise argparse.ArgumentTypeError(f"{text} is not YAML: {error.problem}{where}") from None
    except (yaml.YAMLError, TemplateError, UnicodeDecodeError) as error:
        message = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise argparse.ArgumentTypeError(f"{text} is not a SAM template Nudge can run: {message}") from None
    return path


def _parser() -> tuple[argparse.ArgumentParser, dict[str, argparse.ArgumentParser]]:
    """The parser, and the parser of each action (so an error can be reported by the one it concerns)."""
    parser = _Parser(prog="nudge", description="Nudge: CRM message automation for online stores.")
    parser.add_argument("--version", action="version", version=_version())
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    local = commands.add_parser(
        "local",
        help="run Nudge on this machine (embedded AWS emulation, no Docker)",
        description="Run the functions of template.yaml in-process against an embedded AWS emulation (moto).",
    )
    actions = local.add_subparsers(dest="action", required=True, metavar="ACTION")

    def common(sub: argparse.ArgumentParser) -> None:
        sub.add_argument(
            "--template", "-t", type=_template, default=DEFAULT_TEMPLATE, help="SAM template (%(default)s)"
        )

    serve = actions.add_parser(
        "serve",
        help="serve the HTTP API's routes on localhost",
        description=(
            "Serve the template's HttpApi routes on http://HOST:PORT as API Gateway would (payload 2.0). "
            'The clock follows wall time from --start; POST /_local/clock with {"advance": "PT3H"} or '
            '{"set": "2026-03-23T16:00:00+09:00"} moves it, and schedules due by then fire.'
        ),
    )
    common(serve)
    serve.add_argument(
        "--start",
        type=_instant,
        default=None,
        help="the simulated clock's first instant, ISO 8601 with offset (default: now)",
    )
    serve.add_argument("--port", "-p", type=_port, default=3000, help="port (default %(default)s)")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default %(default)s)")
    serve.add_argument("--frozen", action="store_true", help="keep the clock still unless told to move")
    serve.add_argument("--quiet", "-q", action="store_true", help="do not echo function logs to stderr")

    invoke = actions.add_parser(
        "invoke",
        help="invoke one function with an event file and print its response",
        description=(
            "Invoke a function of the template once, like `sam local invoke`, and print its response. "
            "events/ has a sample event for every function."
        ),
    )
    common(invoke)
    invoke.add_argument(
        "--start",
        type=_instant,
        default=None,
        help="the simulated clock's instant, ISO 8601 with offset (default: when the event says it "
        "happened — an HTTP request's requestContext.timeEpoch, an SQS message's receive time — else now)",
    )
    invoke.add_argument(
        "function", metavar="FUNCTION", help="logical id in the template, e.g. IngestFunction"
    )
    invoke.add_argument("--event", "-e", type=Path, help="event JSON file ('-' for stdin; default {})")
    invoke.add_argument("--quiet", "-q", action="store_true", help="do not echo function logs to stderr")

    demo = actions.add_parser(
        "demo",
        help="the demo month: one store, 5,000 customers, 30 days (what `make run` shows)",
        description=DEMO_DESCRIPTION,
    )
    demo.add_argument(
        "--customers",
        type=_customers,
        default=DEMO_MAX_CUSTOMERS,
        help=f"customers in the store, 1 to {DEMO_MAX_CUSTOMERS:,} (default {DEMO_MAX_CUSTOMERS:,}; "
        "`make run` uses 500)",
    )
    demo.add_argument("--seed", type=int, default=2026, help="the month's random seed (default %(default)s)")
    demo.add_argument(
        "--drop-cafe24-webhooks",
        type=_share,
        default=0.0,
        metavar="SHARE",
        help="lose this share of the Cafe24 store's order, sign-up and product webhooks, e.g. 0.1 (Cafe24 "
        "warns that it loses some): the hourly reconciliation recovers them; default none",
    )
    demo.add_argument(
        "--why",
        action="append",
        type=_customer_id,
        metavar="CUSTOMER_ID",
        help="explain what was and was not sent to this customer (e.g. dd00042); repeatable",
    )
    storyline = actions.add_parser(
        "storyline",
        help="replay a short storyline of webhooks and tracker batches, step by step",
        description=STORYLINE_DESCRIPTION,
    )
    return parser, {"serve": serve, "invoke": invoke, "demo": demo, "storyline": storyline}


# ---------------------------------------------------------------- serve


@contextmanager
def _running(runtime: Any, parser: argparse.ArgumentParser) -> Iterator[Any]:
    """The runtime, open; a template it cannot run (it checks more than a first read does, e.g. what SAM
    makes of it) is refused like a wrong argument."""
    from nudge_local.runtime.template import TemplateError

    try:
        runtime.open()  # closes what it opened if it fails
    except TemplateError as error:
        parser.error(str(error))
    try:
        yield runtime
    finally:
        runtime.close()


def _bind_problem(host: str, port: int) -> OSError | None:
    """Why the HTTP server could not listen on host:port now, if it could not (the same socket family and
    options as http.server's, so a port in TIME_WAIT is not reported busy)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            return error
    return None


def _free_port(host: str, after: int) -> int:
    """A port to suggest: the next free one after `after`, else any the system hands out."""
    for candidate in range(after + 1, min(after + 100, 65535) + 1):
        if _bind_problem(host, candidate) is None:
            return candidate
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def _cannot_listen(host: str, port: int, error: OSError) -> str:
    if isinstance(error, socket.gaierror):
        return f"cannot listen on --host {host!r}: {error.strerror or error}"
    if error.errno == errno.EADDRINUSE:
        return f"port {port} on {host} is in use; try --port {_free_port(host, port)}"
    if error.errno in (errno.EACCES, errno.EPERM):
        suggestion = _free_port(host, 2999)  # 3000 if it is free: the ports below 1024 need root
        return f"port {port} on {host} needs privileges this user does not have; try --port {suggestion}"
    if error.errno == errno.EADDRNOTAVAIL:
        return f"{host} is not an address of this machine; try --host 127.0.0.1"
    return f"cannot listen on {host}:{port}: {error.strerror or error}"


def _serve(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    # Before the runtime starts (seconds of set-up), so a busy port is reported at once.
    problem = _bind_problem(args.host, args.port)
    if problem is not None:
        parser.error(_cannot_listen(args.host, args.port, problem))
    from nudge_local.runtime.runtime import LocalRuntime

    start = args.start or datetime.now(UTC)
    base = f"http://{args.host}:{args.port}"
    runtime = LocalRuntime(
        args.template,
        start=start,
        ticking=not args.frozen,
        log_stream=None if args.quiet else sys.stderr,
        access_log=sys.stderr,
        parameters={"TrackingBaseUrl": base},  # tracking links in the outbox lead to this server
        aws_server=True,  # so the AWS CLI can look at the tables and queues while it runs
    )
    with _running(runtime, parser):
        print(f"Nudge local runtime on {base}", flush=True)
        print(f"  AWS emulation (moto): {runtime.endpoint_url}")
        print(f"  clock: {runtime.clock.now().isoformat()} ({'frozen' if args.frozen else 'ticking'})")
        # The demo store's Cafe24 mall has the Nudge app, installed through the local Cafe24 (docs/cafe24.md).
        installed = runtime.install_cafe24("dogday-mall")
        outcome = "installed" if installed.status == 200 else f"not installed: {installed.body!r}"
        print(f"  Cafe24 app on dogday-mall: {outcome}")
        for route in runtime.template.routes:
            print(f"  {route.method:<7} {base}{route.path}  -> {route.function}")
        for local_route in runtime.local_routes.paths():
            method, path = local_route.split(" ", 1)
            print(f"  {method:<7} {base}{path}")
        print("Ctrl-C to stop.", flush=True)
        try:
            runtime.serve(args.port, args.host)
        except KeyboardInterrupt:
            print("\nstopped")
        except OSError as error:
            # Taken between the check above and the server's own bind.
            if error.errno not in (errno.EADDRINUSE, errno.EACCES, errno.EADDRNOTAVAIL):
                raise
            parser.error(_cannot_listen(args.host, args.port, error))
    return 0


# ---------------------------------------------------------------- invoke


def _read_event(path: Path | None) -> Any:
    """The event, or ValueError saying in one line why it cannot be read."""
    if path is None:
        return {}
    name = "stdin" if str(path) == "-" else str(path)
    try:
        text = sys.stdin.read() if str(path) == "-" else path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ValueError(f"the event file {name} is not UTF-8 text") from None
    except OSError as error:
        raise ValueError(f"cannot read the event file {name}: {error.strerror or error}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(
            f"the event file {name} is not JSON: {error.msg} at line {error.lineno} column {error.colno}"
        ) from None


def _epoch(value: Any) -> datetime | None:
    try:
        return datetime.fromtimestamp(float(value) / 1000, UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def _event_time(event: Any) -> datetime | None:
    """When the event says it happened, so a replay sees the clock it saw: an HTTP API request carries the
    moment it was received (signatures with a timestamp, like the Nudge format's, are only valid for five
    minutes); an SQS batch, when its messages were received (a send job's quiet hours depend on it)."""
    if not isinstance(event, dict):
        return None
    context = event.get("requestContext")
    if isinstance(context, dict) and (at := _epoch(context.get("timeEpoch"))) is not None:
        return at
    records = event.get("Records")
    if isinstance(records, list):
        times = []
        for record in records:
            seen = record.get("attributes") if isinstance(record, dict) else None
            if isinstance(seen, dict):
                received = seen.get("ApproximateFirstReceiveTimestamp") or seen.get("SentTimestamp")
                times.append(_epoch(received))
        known = [t for t in times if t is not None]
        return max(known) if known else None
    return None


def _invoke(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from nudge_local.runtime.functions import FunctionError
    from nudge_local.runtime.runtime import LocalRuntime
    from nudge_local.runtime.template import TemplateError, parse_template

    try:
        event = _read_event(args.event)
        functions = parse_template(args.template).functions
    except (ValueError, TemplateError) as error:
        parser.error(str(error))
    if args.function not in functions:
        known = ", ".join(sorted(functions)) or "none"
        close = difflib.get_close_matches(args.function, list(functions), n=1)
        hint = f"; did you mean {close[0]}?" if close else ""
        parser.error(f"no function {args.function!r} in {args.template}{hint} (known: {known})")
    logs = None if args.quiet else sys.stderr
    runtime = LocalRuntime(args.template, start=args.start or _event_time(event), log_stream=logs)
    with _running(runtime, parser):
        try:
            response = runtime.invoke(args.function, event)
        except FunctionError as error:
            # What Lambda returns for an unhandled error.
            print(json.dumps({"errorType": error.error_type, "errorMessage": error.error_message}))
            return 1
        except FileNotFoundError as error:
            parser.error(str(error))
    print(json.dumps(response, ensure_ascii=False, indent=2, default=str))
    return 0


# ---------------------------------------------------------------- the demos


def _share(text: str) -> float:
    try:
        share = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0.0 <= share <= 1.0:
        raise argparse.ArgumentTypeError(f"a share is between 0 and 1, not {share}")
    return share


def _demo(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    for customer in args.why or []:
        number = int(customer[2:])
        if not 1 <= number <= args.customers:
            parser.error(
                f"argument --why: {customer} is not among the {args.customers:,} customers "
                f"(dd00001 to dd{args.customers:05d})"
            )
    from nudge_local.demo import demo_month

    drill = demo_month.Drill(drop_cafe24_webhooks=args.drop_cafe24_webhooks)
    demo_month.run(args.customers, args.seed, why=args.why, drill=drill)
    return 0


def _storyline(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from nudge_local.demo import storyline

    storyline.run()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; the exit status is returned, not raised, so it can be called in-process too."""
    parser, actions = _parser()
    handlers = {"serve": _serve, "invoke": _invoke, "demo": _demo, "storyline": _storyline}
    try:
        args, extra = parser.parse_known_args(argv)
        if extra:  # reported by the action they were given to, whose --help lists what it takes
            actions[args.action].error(f"unrecognized arguments: {' '.join(extra)}")
        return handlers[args.action](args, actions[args.action])
    except SystemExit as exit:  # argparse's way out: --help, --version, a refusal (already printed)
        return exit.code if isinstance(exit.code, int) else int(exit.code is not None)
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return STATUS_INTERRUPTED


if __name__ == "__main__":
    raise SystemExit(main())
