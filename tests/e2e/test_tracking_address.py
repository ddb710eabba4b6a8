"""The tracking function's links (a Solapi fallback SMS, a consent-result notice) point at the click
redirect's public address even though its template cannot name the API that routes to it."""

import json
from typing import Any

import pytest

from nudge.adapters.wiring import send_dependencies
from nudge_local.demo.event_files import AT, EVENTS_DIR
from nudge_local.runtime.runtime import LocalRuntime

API = "a1b2c3d4e5.execute-api.ap-northeast-2.amazonaws.com"


@pytest.mark.parametrize("configured", ["", "https://t.dogday.example"])
def test_a_reports_sends_link_to_the_configured_address_or_the_one_the_report_came_in_on(
    monkeypatch: pytest.MonkeyPatch, configured: str
) -> None:
    event = json.loads((EVENTS_DIR / "tracking_nhn_delivery_report.json").read_text(encoding="utf-8"))
    event["requestContext"]["domainName"] = API
    with LocalRuntime(start=AT) as runtime:
        tracking = runtime.functions.module("TrackingFunction")
        built: list[str] = []
        real = tracking.dependencies

        def spy(public_base_url: str = "") -> Any:
            # What the report's fallback SMS and notices are sent with (inside the function's environment).
            built.append(send_dependencies(public_base_url).tracking_base_url)
            return real(public_base_url)

        monkeypatch.setattr(tracking, "dependencies", spy)
        runtime.functions.template.functions["TrackingFunction"].environment["TRACKING_BASE_URL"] = configured
        response = runtime.invoke("TrackingFunction", event)
        assert response["statusCode"] == 200, response
        assert built == [configured or f"https://{API}"]
