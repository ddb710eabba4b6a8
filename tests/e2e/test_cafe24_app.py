"""The Nudge app on a Cafe24 mall, end to end on the local runtime (docs/cafe24.md): installed over HTTP
the way a merchant does it, against the local Cafe24 (nudge_local/gateway/cafe24.py); then the Admin API,
the access token refreshed after two hours, the refresh token rotated, a lapsed install reported and not
retried; and every forged, stale, replayed or misdirected step refused with a 4xx that says why, nothing
stored."""

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
import pytest

from nudge.adapters import wiring
from nudge.adapters.cafe24 import Cafe24OAuth, SsmTokenVault
from nudge.adapters.ssm import secret_parameter_name
from nudge.ingest.cafe24_app import App, AppLapsed, Tokens
from nudge_local.gateway.cafe24 import Cafe24Emulator
from nudge_local.runtime.runtime import LocalRuntime
from nudge_local.runtime.stores import LOCAL_CAFE24_APP
from tests.e2e.conftest import START, call

STORE, MALL = "dogday-mall", "dogdaymall"
ORDER_ID = "20260316-0000031"
ORDER: dict[str, object] = {
    "order_id": ORDER_ID,
    "member_id": "mong",
    "paid": "T",
    "order_date": "2026-03-16T09:10:00+09:00",
    "pay_date": "2026-03-16T09:11:00+09:00",
    "actual_order_amount": {"payment_amount": "32000.00"},
    "items": [
        {
            "item_no": 1,
            "product_no": 12,
            "variant_code": "P000000M000A",
            "quantity": 2,
            "product_price": "16000.00",
        }
    ],
}


@pytest.fixture
def runtime(monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalRuntime]:
    with LocalRuntime(start=START) as rt:
        # The test reads the vault and calls the Admin API as the ingest function would (its environment).
        ingest = rt.template.functions["IngestFunction"]
        for name in ("STORE_SECRETS_PATH", "STORES_TABLE"):
            monkeypatch.setenv(name, rt.functions.environment(ingest)[name])
        yield rt


def cafe24(rt: LocalRuntime) -> Cafe24Emulator:
    assert rt.cafe24 is not None
    return rt.cafe24


def stored(rt: LocalRuntime) -> Tokens | None:
    return SsmTokenVault(rt.client("ssm")).get(STORE)


def logs(rt: LocalRuntime) -> str:
    return "\n".join(rt.logs.lines)


def launch(rt: LocalRuntime, **overrides: str) -> dict[str, str]:
    return cafe24(rt).launch_query(LOCAL_CAFE24_APP.client_id, MALL) | overrides


def start_install(rt: LocalRuntime, query: dict[str, str]) -> Any:
    return rt.http("GET", f"/cafe24/install?{urlencode(query)}")


def consent(rt: LocalRuntime, started: Any) -> tuple[dict[str, str], str]:
    """The merchant consents: the callback's query and the browser's state cookie."""
    callback = urlsplit(cafe24(rt).follow_authorize(started.headers["location"]))
    return dict(parse_qsl(callback.query)), started.headers["set-cookie"].split(";", 1)[0]


def callback(rt: LocalRuntime, query: dict[str, str], cookie: str = "") -> Any:
    return rt.http("GET", f"/cafe24/callback?{urlencode(query)}", {"cookie": cookie} if cookie else {})


def error(result: Any) -> str:
    return str(json.loads(result.body)["message"])


def test_installed_then_read_refreshed_and_a_lapse_reported(
    runtime: LocalRuntime, capsys: pytest.CaptureFixture[str]
) -> None:
    rt = runtime
    started = start_install(rt, launch(rt))
    assert started.status == 302
    authorize = urlsplit(started.headers["location"])
    assert authorize.netloc == f"{MALL}.cafe24api.com" and authorize.path == "/api/v2/oauth/authorize"
    params = dict(parse_qsl(authorize.query))
    assert params["response_type"] == "code" and params["client_id"] == LOCAL_CAFE24_APP.client_id
    assert params["redirect_uri"] == "https://localhost/cafe24/callback" and params["state"]
    assert "HttpOnly" in started.headers["set-cookie"] and "Secure" in started.headers["set-cookie"]

    query, cookie = consent(rt, started)
    done = callback(rt, query, cookie)
    assert done.status == 200, done.body
    assert json.loads(done.body) == {"store_id": STORE, "mall_id": MALL, "status": "installed"}
    tokens = stored(rt)
    assert tokens is not None and tokens.status == "installed" and "mall.read_order" in tokens.scopes
    assert tokens.expires_at is not None and tokens.expires_at - rt.clock.now() == timedelta(hours=2)
    assert tokens.refresh_token_expires_at - rt.clock.now() == timedelta(days=14)  # type: ignore[operator]
    parameter = rt.client("ssm").get_parameter(Name=secret_parameter_name(STORE, "cafe24-oauth-tokens"))
    assert parameter["Parameter"]["Type"] == "SecureString"
    status, install = call(rt, "GET", f"/admin/stores/{STORE}/cafe24")
    assert status == 200 and install["status"] == "installed" and install["mall_id"] == MALL
    assert tokens.access_token not in json.dumps(install) and tokens.refresh_token not in json.dumps(install)
    # Neither a token nor the code in any log line.
    for secret in (tokens.access_token, tokens.refresh_token, query["code"]):
        assert secret not in logs(rt)

    # The Admin API: one order with its items, and the orders paid in a window.
    cafe24(rt).add_order(MALL, ORDER)
    api = wiring.cafe24_admin_api(STORE)
    order = api.order(ORDER_ID)
    assert order["items"][0]["variant_code"] == "P000000M000A"
    assert [o["order_id"] for o in api.orders_changed(START - timedelta(days=1), START)] == [ORDER_ID]

    # Two hours on: the access token is refreshed before the call, the refresh token rotated.
    rt.advance(timedelta(hours=2))
    assert wiring.cafe24_admin_api(STORE).order(ORDER_ID)["order_id"] == ORDER_ID
    refreshed = stored(rt)
    assert refreshed is not None and refreshed.access_token != tokens.access_token
    assert refreshed.refresh_token != tokens.refresh_token
    assert refreshed.expires_at is not None and refreshed.expires_at - rt.clock.now() == timedelta(hours=2)
    with pytest.raises(Exception, match="invalid_grant"):  # the old refresh token stopped working
        Cafe24OAuth(httpx.Client(transport=cafe24(rt).transport())).refresh(
            App(LOCAL_CAFE24_APP.client_id, LOCAL_CAFE24_APP.client_secret), MALL, tokens.refresh_token
        )

    # Two weeks without a refresh (the emulator lapses the token): reported, not retried.
    cafe24(rt).expire_refresh_tokens(MALL)
    rt.advance(timedelta(hours=2))
    with pytest.raises(AppLapsed, match="opened again"):
        wiring.cafe24_admin_api(STORE).order(ORDER_ID)
    lapsed = stored(rt)
    assert lapsed is not None and lapsed.status == "lapsed" and not lapsed.refresh_token
    # Outside a function the line goes to stdout; in AWS to the calling function's log group.
    lapse_lines = [
        json.loads(line) for line in capsys.readouterr().out.splitlines() if "cafe24 app lapsed" in line
    ]
    assert lapse_lines and lapse_lines[0]["level"] == "ERROR" and lapse_lines[0]["store_id"] == STORE
    status, install = call(rt, "GET", f"/admin/stores/{STORE}/cafe24")
    assert status == 200 and install["status"] == "lapsed" and "invalid_grant" in install["reason"]
    calls = len(cafe24(rt).calls)
    with pytest.raises(AppLapsed):
        wiring.cafe24_admin_api(STORE).order(ORDER_ID)
    assert len(cafe24(rt).calls) == calls  # no further call to Cafe24

    # Opening the app again installs it anew.
    assert rt.install_cafe24().status == 200
    again = stored(rt)
    assert again is not None and again.status == "installed"


def test_forged_stale_and_unknown_app_requests_are_refused(runtime: LocalRuntime) -> None:
    rt = runtime
    forged = start_install(rt, launch(rt, user_id="someone-else"))  # changed after Cafe24 signed it
    assert forged.status == 403 and "hmac" in error(forged)
    stale_query = launch(rt)
    rt.advance(timedelta(minutes=6))
    stale = start_install(rt, stale_query)
    assert stale.status == 403 and "stale" in error(stale)
    missing = start_install(rt, {"mall_id": MALL})
    assert missing.status == 400 and "hmac" in error(missing) and "timestamp" in error(missing)
    assert stored(rt) is None
    status, seen = call(rt, "GET", f"/admin/stores/{STORE}/cafe24")
    assert (status, seen["status"], seen["last_reconciliation"]) == (200, "not_installed", None)
    assert call(rt, "GET", "/admin/stores/no-such-store/cafe24")[0] == 404


def test_replayed_code_wrong_state_and_another_browser_are_refused(runtime: LocalRuntime) -> None:
    rt = runtime
    query, cookie = consent(rt, start_install(rt, launch(rt)))

    tampered = callback(rt, query | {"state": query["state"][:-2] + "xx"}, cookie)
    assert tampered.status == 403 and "state" in error(tampered)
    other_browser = callback(rt, query)  # no state cookie
    assert other_browser.status == 403 and "another browser" in error(other_browser)
    assert stored(rt) is None

    late = dict(query)
    rt.advance(timedelta(seconds=61))  # a code is valid one minute
    expired = callback(rt, late, cookie)
    assert expired.status == 403 and "refused the authorization code" in error(expired)
    assert stored(rt) is None

    query, cookie = consent(rt, start_install(rt, launch(rt)))
    assert callback(rt, query, cookie).status == 200
    first = stored(rt)
    replayed = callback(rt, query, cookie)
    assert replayed.status == 403 and "refused the authorization code" in error(replayed)
    assert stored(rt) == first  # the replay changed nothing

    rt.advance(timedelta(minutes=11))
    old_state = callback(rt, query, cookie)
    assert old_state.status == 403 and "expired" in error(old_state)


def test_the_local_cafe24_holds_its_rate_limit(runtime: LocalRuntime) -> None:
    rt = runtime
    assert rt.install_cafe24().status == 200
    tokens = stored(rt)
    assert tokens is not None
    cafe24(rt).add_order(MALL, ORDER)
    client = httpx.Client(transport=cafe24(rt).transport())
    url = f"https://{MALL}.cafe24api.com/api/v2/admin/orders/{ORDER_ID}"
    headers = {"Authorization": f"Bearer {tokens.access_token}"}
    answers = [client.get(url, headers=headers) for _ in range(41)]  # one instant: nothing drains
    assert [a.status_code for a in answers[:40]] == [200] * 40
    assert answers[39].headers["x-api-call-limit"] == "40/40"
    assert answers[40].status_code == 429
    assert client.get(url, headers={"Authorization": "Bearer forged"}).status_code == 401

    # Nudge's client paces itself by X-Api-Call-Limit and waits out a 429: 60 reads, none refused.
    rt.advance(timedelta(seconds=30))
    api = wiring.cafe24_admin_api(STORE)
    for _ in range(60):
        api.order(ORDER_ID)
