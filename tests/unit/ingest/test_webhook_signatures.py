"""Each platform's authentication: who may write into a store's profiles."""

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from nudge.errors import Forbidden, NotFound, Unauthenticated
from nudge_local.demo import samples
from tests.fakes import local_dependencies
from tests.unit.ingest.helpers import send

KST = ZoneInfo("Asia/Seoul")
NOW = datetime(2026, 3, 18, 10, 0, tzinfo=KST)


def _login(**kw: object) -> samples.SampleRequest:
    return samples.cafe24_login("dogfan01", **kw)


def test_cafe24_webhook_with_the_store_app_key_is_applied() -> None:
    deps, profiles, _ = local_dependencies()
    assert send(deps, _login(), NOW).status == "applied"
    assert profiles.get("dogday-mall", "dogfan01").last_login_at == NOW


@pytest.mark.parametrize("api_key", ["wrong-key", ""], ids=["wrong key", "missing header"])
def test_cafe24_webhook_with_another_key_is_refused_with_403_as_cafe24_asks(api_key: str) -> None:
    deps, profiles, publisher = local_dependencies()
    with pytest.raises(Forbidden):
        send(deps, _login(api_key=api_key), NOW)
    assert profiles.profiles == {} and profiles.records == {} and publisher.published == []


def test_cafe24_webhook_for_another_mall_is_refused() -> None:
    deps, _, _ = local_dependencies()
    request = samples.cafe24_request(90143, {"member_id": "x", "mall_id": "othermall"})
    with pytest.raises(Forbidden, match="othermall"):
        send(deps, request, NOW)


def test_shopify_webhook_with_a_valid_hmac_is_applied() -> None:
    deps, profiles, _ = local_dependencies()
    customer = samples.shopify_customer(7001, "Jisoo", "Park", "+821000002001", NOW)
    assert send(deps, samples.shopify_request("customers/create", customer, "ev-1"), NOW).status == "applied"
    assert profiles.get("maple-goods", "7001").name == "Jisoo Park"


def test_shopify_webhook_signed_with_another_secret_is_refused_with_401() -> None:
    deps, profiles, _ = local_dependencies()
    customer = samples.shopify_customer(7001, "Jisoo", "Park", "+821000002001", NOW)
    with pytest.raises(Unauthenticated, match="does not match"):
        send(
            deps, samples.shopify_request("customers/create", customer, "ev-1", secret="not-the-secret"), NOW
        )
    assert profiles.records == {}


def test_shopify_webhook_whose_body_was_changed_after_signing_is_refused() -> None:
    deps, _, _ = local_dependencies()
    customer = samples.shopify_customer(7001, "Jisoo", "Park", "+821000002001", NOW)
    signed = samples.shopify_request("customers/create", customer, "ev-1")
    tampered = samples.SampleRequest(
        signed.method, signed.path, signed.headers, signed.body.replace(b"7001", b"7002")
    )
    with pytest.raises(Unauthenticated):
        send(deps, tampered, NOW)


def test_shopify_webhook_without_hmac_header_is_refused() -> None:
    deps, _, _ = local_dependencies()
    signed = samples.shopify_request("customers/create", {"id": 1}, "ev-1")
    headers = {k: v for k, v in signed.headers.items() if k != "x-shopify-hmac-sha256"}
    with pytest.raises(Unauthenticated, match="missing"):
        send(deps, samples.SampleRequest("POST", signed.path, headers, signed.body), NOW)


def _nudge_login(sent_at: datetime, **kw: Any) -> samples.SampleRequest:
    envelope = {
        "event_id": "login-1",
        "type": "member.logged_in",
        "occurred_at": sent_at.isoformat(),
        "customer": {"id": "m-1"},
    }
    return samples.nudge_request(envelope, sent_at, **kw)


def test_nudge_format_signed_within_five_minutes_is_applied() -> None:
    deps, _, _ = local_dependencies()
    assert send(deps, _nudge_login(NOW - timedelta(minutes=4, seconds=59)), NOW).status == "applied"


@pytest.mark.parametrize(
    "skew",
    [timedelta(minutes=5, seconds=1), -timedelta(minutes=5, seconds=1)],
    ids=["too old (replay)", "from the future"],
)
def test_nudge_format_outside_the_five_minute_window_is_refused(skew: timedelta) -> None:
    deps, profiles, _ = local_dependencies()
    with pytest.raises(Unauthenticated, match="5-minute window"):
        send(deps, _nudge_login(NOW - skew), NOW)
    assert profiles.records == {}


def test_nudge_format_with_a_wrong_signature_is_refused() -> None:
    deps, _, _ = local_dependencies()
    with pytest.raises(Unauthenticated, match="does not match"):
        send(deps, _nudge_login(NOW, secret="guess"), NOW)


def test_webhook_for_an_unknown_store_is_404() -> None:
    deps, _, _ = local_dependencies()
    with pytest.raises(NotFound, match="unknown store"):
        send(deps, _login(store_id="no-such-store"), NOW)


def test_webhook_for_a_platform_the_store_does_not_use_is_404() -> None:
    deps, _, _ = local_dependencies()
    customer = samples.shopify_customer(7001, "Jisoo", "Park", "+821000002001", NOW)
    with pytest.raises(NotFound, match="no shopify connection"):
        send(deps, samples.shopify_request("customers/create", customer, "ev-1", store_id="dogday-mall"), NOW)


def test_tracker_batch_with_another_write_key_is_refused() -> None:
    deps, _, _ = local_dependencies()
    request = samples.tracker_request(
        "v-1", [{"id": "e1", "type": "visit"}], write_key="pk_guess_000000000000"
    )
    with pytest.raises(Forbidden, match="write_key"):
        send(deps, request, NOW)
