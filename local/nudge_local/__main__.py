"""`python -m nudge_local ...` is `nudge ...` (e.g. `python -m nudge_local local demo --customers 200`)."""

from nudge_local.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
