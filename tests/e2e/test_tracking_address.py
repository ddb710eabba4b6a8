"""The tracking function's links (a Solapi fallback SMS, a consent-result notice) point at the click
redirect's public address even though its template cannot name the API that routes to it."""

import pytest

from nudge_local.event_files import AT
from nudge_local.runtime import LocalRuntime

API = "a1b2c3d4e5.execute-api.ap-northeast-2.amazonaws.com"


def test_links_lead_to_the_address_the_report_came_in_on_or_the_configured_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with LocalRuntime(start=AT) as runtime:
        tracking = runtime.functions.module("TrackingFunction")
        event = {"requestContext": {"domainName": API}}
        monkeypatch.setenv("TRACKING_BASE_URL", "")
        assert tracking.public_base_url(event) == f"https://{API}"
        monkeypatch.setenv("TRACKING_BASE_URL", "https://t.dogday.example")
        assert tracking.public_base_url(event) == "https://t.dogday.example"
