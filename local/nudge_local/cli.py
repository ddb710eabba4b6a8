"""The `nudge` command: Nudge's SAM application on this machine, without Docker or an AWS account.

nudge local serve [--port 3000] [--start 2026-03-16T09:00:00+09:00]
nudge local invoke IngestFunction -e events/cafe24_order_placed.json
nudge local demo [--customers 5000] [--why dd00042]
nudge local storyline
"""

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from nudge_local.clock import ClockError, parse_instant

DEFAULT_TEMPLATE = Path(__file__).resolve().parents[2] / "template.yaml"


def _instant(text: str) -> datetime:
    try:
        return parse_instant(text)
    except ClockError as error:
        raise argparse.ArgumentTypeError(str(error)) from error


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="nudge", description="Nudge: CRM message automation for online stores."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    local = commands.add_parser(
        "local",
        help="run Nudge on this machine (embedded AWS emulation, no Docker)",
        description="Run the functions of template.yaml in-process against an embedded AWS emulation (moto).",
    )
    actions = local.add_subparsers(dest="action", required=True, metavar="ACTION")

    def common(sub: argparse.ArgumentParser) -> None:
        sub.add_argument(
            "--template", "-t", type=Path, default=DEFAULT_TEMPLATE, help="SAM template (%(default)s)"
        )
        sub.add_argument(
            "--start",
            type=_instant,
            default=None,
            help="the simulated clock's first instant, ISO 8601 with offset (default: now; for invoke, the "
            "event's requestContext.timeEpoch when it has one)",
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
    serve.add_argument("--port", "-p", type=int, default=3000, help="port (default %(default)s)")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default %(default)s)")
    serve.add_argument("--frozen", action="store_true", help="keep the clock still unless told to move")
    serve.add_argument("--quiet", "-q", action="store_true", help="do not echo function logs to stderr")

    invoke = actions.add_parser(
        "invoke",
        help="invoke one function with an event file and print its response",
        description="Invoke a function of the template once, like `sam local invoke`; print its response.",
    )
    common(invoke)
    invoke.add_argument(
        "function", metavar="FUNCTION", help="logical id in the template, e.g. IngestFunction"
    )
    invoke.add_argument("--event", "-e", type=Path, help="event JSON file ('-' for stdin; default {})")
    invoke.add_argument("--quiet", "-q", action="store_true", help="do not echo function logs to stderr")

    demo = actions.add_parser(
        "demo",
        help="the demo month: one store, 5,000 customers, 30 days (what `make run` shows)",
        add_help=False,
    )
    demo.add_argument("args", nargs=argparse.REMAINDER, help="arguments for the demo (--help lists them)")
    storyline = actions.add_parser(
        "storyline", help="replay the short storyline of webhooks and admin calls", add_help=False
    )
    storyline.add_argument("args", nargs=argparse.REMAINDER, help="arguments for the storyline")
    return parser


def _read_event(path: Path | None) -> Any:
    if path is None:
        return {}
    text = sys.stdin.read() if str(path) == "-" else path.read_text(encoding="utf-8")
    return json.loads(text)


def _event_time(event: Any) -> datetime | None:
    """An HTTP API event carries the moment it was received: replay it then (signatures with a
    timestamp, like the Nudge format's, are only valid for five minutes)."""
    epoch_ms = event.get("requestContext", {}).get("timeEpoch") if isinstance(event, dict) else None
    return datetime.fromtimestamp(epoch_ms / 1000, UTC) if isinstance(epoch_ms, int | float) else None


def _serve(args: argparse.Namespace) -> int:
    from nudge_local.runtime import LocalRuntime

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
    with runtime:
        print(f"Nudge local runtime on {base}", flush=True)
        print(f"  AWS emulation (moto): {runtime.endpoint_url}")
        print(f"  clock: {runtime.clock.now().isoformat()} ({'frozen' if args.frozen else 'ticking'})")
        for route in runtime.template.routes:
            print(f"  {route.method:<7} {base}{route.path}  -> {route.function}")
        for route in runtime.local_routes.paths():
            method, path = route.split(" ", 1)
            print(f"  {method:<7} {base}{path}")
        print("Ctrl-C to stop.", flush=True)
        try:
            runtime.serve(args.port, args.host)
        except KeyboardInterrupt:
            print("\nstopped")
    return 0


def _invoke(args: argparse.Namespace) -> int:
    from nudge_local.functions import FunctionError
    from nudge_local.runtime import LocalRuntime
    from nudge_local.template import parse_template

    try:
        event = _read_event(args.event)
    except (OSError, ValueError) as error:
        print(f"cannot read the event: {error}", file=sys.stderr)
        return 2
    functions = parse_template(args.template).functions
    if args.function not in functions:
        known = ", ".join(sorted(functions)) or "none"
        print(f"no function {args.function!r} in {args.template} (known: {known})", file=sys.stderr)
        return 2
    logs = None if args.quiet else sys.stderr
    with LocalRuntime(args.template, start=args.start or _event_time(event), log_stream=logs) as runtime:
        try:
            response = runtime.invoke(args.function, event)
        except FunctionError as error:
            # What Lambda returns for an unhandled error.
            print(json.dumps({"errorType": error.error_type, "errorMessage": error.error_message}))
            return 1
        except FileNotFoundError as error:
            print(str(error), file=sys.stderr)
            return 2
    print(json.dumps(response, ensure_ascii=False, indent=2, default=str))
    return 0


def _demo(args: argparse.Namespace) -> int:
    from nudge_local import demo_month

    return int(demo_month.main(list(args.args)) or 0)


def _storyline(args: argparse.Namespace) -> int:
    from nudge_local import demo

    return int(demo.main(list(args.args)) or 0)


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args, extra = parser.parse_known_args(argv)
    if extra and args.action not in ("demo", "storyline"):
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    if extra:
        args.args = [*extra, *args.args]  # the demo's own options (argparse leaves them to it)
    handlers = {"serve": _serve, "invoke": _invoke, "demo": _demo, "storyline": _storyline}
    return handlers[args.action](args)


if __name__ == "__main__":
    raise SystemExit(main())
