"""The adapters against moto as the local runtime runs it: with the speed-ups of moto's internals
(nudge_local/emulation/speedups.py), unless NUDGE_LOCAL_PLAIN_MOTO=1 — `make test` runs this suite both
ways, and the results must be the same."""

from collections.abc import Iterator

import pytest

from nudge_local.emulation import speedups


@pytest.fixture(scope="session", autouse=True)
def moto_as_the_local_runtime_runs_it() -> Iterator[None]:
    installed = speedups.install()
    assert installed != speedups.plain(), "a plain run must be a process of its own"
    yield
