"""What the whole suite reports beyond its tests: the IAM grants of template.yaml that no test needed.

Every LocalRuntime enforces each function's policy (nudge_local/runtime/iam.py) and notes which grants allowed
a request. At the end of the session the grants no request used are printed per function: least privilege, not
only enough privilege. It is information, not a failure, and only told after a run of the whole suite
(`pytest` with no paths or -k, as `make test` runs it): a run of a few tests would list most grants.
"""

import sys
from typing import Any

import pytest


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    iam = sys.modules.get("nudge_local.runtime.iam")
    if iam is None:
        return  # no test opened a local runtime
    from nudge_local.runtime.template import DEFAULT_TEMPLATE

    if not iam.checked(DEFAULT_TEMPLATE):
        return
    write = terminalreporter.write_line
    whole_suite = not config.args or list(config.args) == list(config.getini("testpaths"))
    if whole_suite and not config.option.keyword and not config.option.markexpr:
        terminalreporter.section("IAM: grants of template.yaml no test used")
        lines = iam.unused_report(DEFAULT_TEMPLATE)
        for line in lines or ["(none: every grant allowed at least one request)"]:
            write(line)
    refused = iam.refused(DEFAULT_TEMPLATE)
    if refused:
        terminalreporter.section("IAM: requests template.yaml's policies refused")
        for message in refused:
            write(message)
