"""The Cafe24 app's install and tokens (nudge.ingest.cafe24_app) and the Admin API client's pacing and
errors (nudge.adapters.cafe24), without AWS: what the end-to-end test (tests/e2e/test_cafe24_app.py) does
not reach."""

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from nudge.adapters.cafe24 import AdminApi, Cafe24Error
from nudge.errors import Forbidden, NotFound
from nudge.ingest.cafe24_app import (
    App,
    AppDependencies,
    AppLapsed,
    OAuthRefused,
    Tokens,
    access_token,
    begin_install,
    cafe24_time,
    install_hmac,
    status_document,
)
from nudge.stores import Store
from tests.fakes.cafe24 import InMemoryTokenVault, ScriptedOAuth
from tests.fakes.stores import InMemoryStores

NOW = datetime(2026, 3, 16, 0, 0, tzinfo=UTC)
APP = App("client", "secret")
STORE = Store(store_id="dogday-mall", name="도그데이몰", platforms=["cafe24"], cafe24_mall_id="dogdaymall")
CALLBACK = "https://api.example/cafe24/callback"


def deps(oauth: ScriptedOAuth | None = None, vault: InMemoryTokenVault | None = None) -> AppDependencies:
    return AppDependencies(
        APP, InMemoryStores([STORE]), vault or InMemoryTokenVault(), oauth or ScriptedOAuth()
    )


def installed(expires_in: timedelta, refresh_in: timedelta = timedelta(days=10)) -> Tokens:
    return Tokens("dogdaymall", "installed", "AT-1", NOW + expires_in, "RT-1", NOW + refresh_in, ("x",), NOW)


def answer(n: int) -> dict[str, object]:
    return {
        "access_token": f"AT-{n}",
        "refresh_token": f"RT-{n}",
        "expires_at": "2026-03-16T11:00:00.000",  # Korea time: 02:00 UTC
        "refresh_token_expires_at": "2026-03-30T09:00:00.000",
        "scopes": ["mall.read_order"],
    }


def signed(**params: str) -> dict[str, str]:
    query = {"mall_id": "dogdaymall", "timestamp": str(int(NOW.timestamp())), **params}
    return query | {"hmac": install_hmac(APP.client_secret, query)}


def test_the_launch_request_names_its_mall_and_leads_to_its_consent_page() -> None:
    redirect = begin_install(signed(user_id="dogdaymall"), CALLBACK, deps(), NOW)
    assert redirect.location.startswith("https://dogdaymall.cafe24api.com/api/v2/oauth/authorize?")
    assert "HttpOnly" in redirect.cookie
    with pytest.raises(NotFound, match="no store is connected"):
        begin_install(signed(mall_id="othermall"), CALLBACK, deps(), NOW)
    with pytest.raises(NotFound, match="no Cafe24 app"):
        begin_install(
            signed(),
            CALLBACK,
            AppDependencies(None, InMemoryStores([]), InMemoryTokenVault(), ScriptedOAuth()),
            NOW,
        )
    with pytest.raises(Forbidden, match="hmac"):
        begin_install(signed() | {"hmac": install_hmac("other", signed())}, CALLBACK, deps(), NOW)


def test_cafe24_times_are_korean_local_time() -> None:
    assert cafe24_time("2026-03-16T11:00:00.000") == datetime(2026, 3, 16, 2, 0, tzinfo=UTC)
    assert cafe24_time("2026-03-16T11:00:00+09:00") == datetime(2026, 3, 16, 2, 0, tzinfo=UTC)


def test_a_fresh_token_is_used_and_one_about_to_expire_is_refreshed_first() -> None:
    vault, oauth = InMemoryTokenVault(), ScriptedOAuth(answer(2))
    vault.put("dogday-mall", installed(timedelta(hours=1)))
    assert access_token("dogday-mall", deps(oauth, vault), NOW) == "AT-1"
    assert oauth.asked == []
    vault.put("dogday-mall", installed(timedelta(minutes=4)))
    assert access_token("dogday-mall", deps(oauth, vault), NOW) == "AT-2"
    kept = vault.get("dogday-mall")
    assert (
        kept is not None
        and kept.refresh_token == "RT-2"
        and kept.expires_at == datetime(2026, 3, 16, 2, tzinfo=UTC)
    )


def test_another_containers_refresh_wins_over_a_refused_one() -> None:
    vault = InMemoryTokenVault()
    vault.put("dogday-mall", installed(timedelta(0)))

    other = Tokens(
        "dogdaymall", "installed", "AT-other", NOW + timedelta(hours=2), "RT-other", NOW + timedelta(days=14)
    )

    class RacedOAuth(ScriptedOAuth):
        def refresh(self, app: App, mall_id: str, refresh_token: str) -> dict[str, object]:
            vault.put("dogday-mall", other)  # another container refreshed first: RT-1 no longer works
            raise OAuthRefused("invalid_grant")

    assert access_token("dogday-mall", deps(RacedOAuth(), vault), NOW) == "AT-other"


def test_a_lapsed_refresh_token_is_reported_once_and_never_sent_again() -> None:
    vault, oauth = InMemoryTokenVault(), ScriptedOAuth()
    vault.put("dogday-mall", installed(timedelta(0), refresh_in=timedelta(0)))
    with pytest.raises(AppLapsed, match="expired"):
        access_token("dogday-mall", deps(oauth, vault), NOW)
    assert oauth.asked == []  # its own expiry known: Cafe24 is not asked
    assert status_document(vault.get("dogday-mall"))["status"] == "lapsed"
    with pytest.raises(AppLapsed):
        access_token("dogday-mall", deps(oauth, vault), NOW)
    assert "RT-1" not in repr(vault.get("dogday-mall")) and "AT-1" not in repr(installed(timedelta(0)))


def _api(handler: "httpx.MockTransport", slept: list[float]) -> AdminApi:
    return AdminApi("dogdaymall", lambda: "AT", slept.append, client=httpx.Client(transport=handler))


def test_the_admin_client_waits_out_a_429_and_paces_by_the_call_limit() -> None:
    answers = [
        httpx.Response(429, headers={"x-api-call-limit": "40/40", "x-cafe24-call-remain": "3"}),
        httpx.Response(200, headers={"x-api-call-limit": "36/40"}, json={"order": {"order_id": "1"}}),
        httpx.Response(200, headers={"x-api-call-limit": "31/40"}, json={"order": {"order_id": "1"}}),
    ]
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answers.pop(0)

    slept: list[float] = []
    api = _api(httpx.MockTransport(handle), slept)
    assert api.order("1") == {"order_id": "1"}
    assert slept == [3.0, 2.0]  # the 429's wait, then down to 30 of 40 (3 s drained 6 of the 10 over)
    assert seen[0].headers["authorization"] == "Bearer AT" and seen[0].headers["x-cafe24-api-version"]
    assert seen[0].url.params["embed"] == "items,buyer"
    api.order("1")
    assert slept == [3.0, 2.0, 3.0]  # 36 used: drain 6 calls at 2 a second before the next


def test_the_admin_client_names_cafe24s_error() -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(404, json={"error": {"code": 404, "message": "No API found"}})

    with pytest.raises(Cafe24Error, match=r"404.*No API found"):
        _api(httpx.MockTransport(handle), []).order("nope")
