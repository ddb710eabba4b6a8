"""Nudge's Admin API client (nudge.adapters.cafe24.AdminApi, docs/cafe24.md "The Admin API client") against
the local Cafe24 mall: paging, ids asked 100 at a time, Korea dates, the leaky bucket's 429 waited out, the
offset caps turned into "narrow the window", and a count of the calls made."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest

from nudge.adapters import cafe24
from nudge.adapters.cafe24 import AdminApi, Cafe24Error, korea_day
from nudge_local.gateway.cafe24 import Cafe24App, Cafe24Emulator

KST = ZoneInfo("Asia/Seoul")
START = datetime(2026, 3, 2, 9, 0, tzinfo=KST)
MALL = "testmall"
APP = Cafe24App("client", "secret", ("https://localhost/cafe24/callback",))
SCOPES = ("mall.read_order", "mall.read_privacy", "mall.read_product")


class World:
    def __init__(self) -> None:
        self.at = START
        self.slept: list[float] = []
        self.emulator = Cafe24Emulator(lambda: self.at, [APP], [MALL])
        self.mall = self.emulator.mall(MALL)
        self.asked: list[dict[str, str]] = []  # the query of every Admin API request
        emulator = self.emulator

        def handler(request: httpx.Request) -> httpx.Response:
            self.asked.append(dict(request.url.params))
            status, headers, body = emulator.handle(
                request.method, request.url.host, request.url.path, request.url.query.decode(),
                dict(request.headers), request.content,
            )  # fmt: skip
            return httpx.Response(status, headers=headers, content=body)

        self.client = httpx.Client(transport=httpx.MockTransport(handler))

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.at += timedelta(seconds=seconds)

    def api(self) -> AdminApi:
        tokens = self.emulator.grant(MALL, APP.client_id, SCOPES)
        return AdminApi(MALL, lambda: str(tokens["access_token"]), self.sleep, client=self.client)


@pytest.fixture
def world() -> World:
    world = World()
    world.mall.put_product(12, "강아지 간식 세트", 16000, at=START)
    world.mall.add_member(
        "mong", "김민지", "010-0000-1001", "m@example.com", sms=True, news_mail=True, created_at=START
    )
    return world


def place(world: World, count: int, at: datetime, prefix: str = "20260302") -> list[str]:
    ids = [f"{prefix}-{n:07d}" for n in range(1, count + 1)]
    for order_id in ids:
        world.mall.place_order(order_id, "mong", [(12, 1)], at=at)
    return ids


def test_dates_are_korea_days() -> None:
    assert korea_day(datetime(2026, 3, 1, 15, 30, tzinfo=UTC)) == "2026-03-02"  # 00:30 in Seoul
    assert korea_day(datetime(2026, 3, 1, 14, 59, tzinfo=UTC)) == "2026-03-01"
    assert korea_day(datetime(2026, 3, 1, 23, 0)) == "2026-03-01"  # naive: already Korea time


def test_orders_changed_pages_through_the_window(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cafe24, "ORDERS_PAGE", 2)
    ids = place(world, 5, START + timedelta(hours=1))
    world.at = START + timedelta(hours=2)
    api = world.api()
    # 2026-03-01 15:00 UTC is 2026-03-02 00:00 in Seoul: the window is the Korea day of the orders.
    since = datetime(2026, 3, 1, 15, 0, tzinfo=UTC)
    found = list(api.orders_changed(since, since + timedelta(hours=1), date_type="order_date"))
    assert [o["order_id"] for o in found] == ids
    assert [(q["offset"], q["limit"]) for q in world.asked] == [("0", "2"), ("2", "2"), ("4", "2")]
    assert {q["start_date"] for q in world.asked} == {"2026-03-02"} and world.asked[0][
        "embed"
    ] == "items,buyer"
    assert found[0]["items"][0]["product_no"] == 12 and found[0]["buyer"]["cellphone"] == "010-0000-1001"
    assert api.calls_made == 3


def test_orders_changed_past_the_offset_cap_asks_to_narrow(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cafe24, "ORDERS_PAGE", 2)
    monkeypatch.setattr(cafe24, "MAX_OFFSET", 2)
    place(world, 5, START + timedelta(hours=1))
    world.at = START + timedelta(hours=2)
    with pytest.raises(Cafe24Error, match="narrow"):
        list(world.api().orders_changed(START, START, date_type="order_date"))


def test_orders_by_id_are_asked_a_hundred_at_a_time(world: World) -> None:
    ids = place(world, 205, START + timedelta(minutes=1))
    world.at = START + timedelta(hours=1)
    api = world.api()
    found = api.orders([*ids, ids[0], "20260302-9999999"])  # a repeat and an unknown id
    assert sorted(o["order_id"] for o in found) == ids
    asked = [q["order_id"].split(",") for q in world.asked]
    assert [len(a) for a in asked] == [100, 100, 6] and [q["limit"] for q in world.asked] == [
        "100",
        "100",
        "6",
    ]
    assert api.calls_made == 3
    assert api.order(ids[0])["buyer"]["name"] == "김민지"  # one order: items and buyer by default


def test_a_full_bucket_is_waited_out(world: World) -> None:
    place(world, 1, START)
    tokens = world.emulator.grant(MALL, APP.client_id, SCOPES)
    for _ in range(40):  # another caller fills the bucket at this instant
        world.client.get(
            f"https://{MALL}.cafe24api.com/api/v2/admin/orders/20260302-0000001",
            headers={"Authorization": f"Bearer {tokens['access_token']}"},
        )
    api = world.api()
    assert api.order("20260302-0000001")["order_id"] == "20260302-0000001"
    # One 429 waited out (1 s, no Retry header), then paced down to 30 in the bucket before the retry.
    assert world.slept == [1.0, 4.0] and api.calls_made == 2
    for _ in range(60):  # from then on it paces itself: never a 429
        api.order("20260302-0000001")
    assert api.calls_made == 62 and 1.0 not in world.slept[1:]


def test_members_joined_in_a_window_and_one_member(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cafe24, "CUSTOMERS_PAGE", 2)
    for day in range(1, 4):
        for n in range(3):
            world.mall.add_member(
                f"m{day}{n}", "회원", "010-0000-3000", "x@example.com", sms=n == 0, news_mail=False,
                created_at=START + timedelta(days=day, minutes=n),
            )  # fmt: skip
    world.at = START + timedelta(days=5)
    api = world.api()
    joined = list(api.customers_joined(START + timedelta(days=1), START + timedelta(days=2)))
    assert [m["member_id"] for m in joined] == ["m10", "m11", "m12", "m20", "m21", "m22"]
    assert joined[0]["sms"] == "T" and joined[1]["sms"] == "F"
    assert world.asked[0]["date_type"] == "join" and world.asked[0]["start_date"] == "2026-03-03"
    assert api.calls_made == 4  # pages of 2, 2, 2 and the empty one that ends it

    assert api.customer("m10") is not None and api.customer("nobody") is None
    world.mall.withdraw_member("m10", world.at)
    assert api.customer("m10") is None

    monkeypatch.setattr(cafe24, "MAX_CUSTOMER_OFFSET", 2)
    with pytest.raises(Cafe24Error, match="narrow"):
        list(api.customers_joined(START, START + timedelta(days=4)))


def test_products_by_number_and_changed(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    for no in range(100, 230):
        world.mall.put_product(no, f"상품 {no}", 1000 + no, stock=no % 3, at=START + timedelta(days=1))
    world.at = START + timedelta(days=2)
    api = world.api()
    found = api.products([str(n) for n in range(100, 230)])
    assert len(found) == 130 and [len(q["product_no"].split(",")) for q in world.asked] == [100, 30]
    assert found[0]["variants"][0]["quantity"] == 1 and found[2]["sold_out"] == "T"

    world.asked.clear()
    monkeypatch.setattr(cafe24, "PRODUCTS_PAGE", 50)
    changed = list(api.products_changed(START + timedelta(days=1), START + timedelta(days=1)))
    assert len(changed) == 130 and world.asked[0]["updated_start_date"] == "2026-03-03"
    assert [q["offset"] for q in world.asked] == ["0", "50", "100"]
    assert [p["product_no"] for p in api.products_changed(START, START)] == [12]  # created that day

    product = api.product("12")
    assert product is not None and product["product_name"] == "강아지 간식 세트"
    assert api.product("9999") is None


def test_refusals_raise_with_cafe24s_code(world: World) -> None:
    api = world.api()
    with pytest.raises(Cafe24Error) as refused:
        list(api.orders_changed(START, START + timedelta(days=120)))  # over three months
    assert refused.value.status == 422
    world.emulator.revoke(MALL)
    with pytest.raises(Cafe24Error) as revoked:
        api.order("20260302-0000001")
    assert revoked.value.status == 401
