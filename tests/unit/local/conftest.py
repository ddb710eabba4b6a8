from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from nudge_local.runtime import LocalRuntime

FIXTURES = Path(__file__).parent / "fixtures"
TEMPLATE = FIXTURES / "template.yaml"
KST = ZoneInfo("Asia/Seoul")
START = datetime(2026, 3, 20, 9, 0, tzinfo=KST)


@pytest.fixture
def runtime() -> Iterator[LocalRuntime]:
    with LocalRuntime(TEMPLATE, start=START) as rt:
        yield rt
