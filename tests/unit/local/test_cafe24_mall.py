"""The local Cafe24 as a whole mall (nudge_local/gateway/cafe24.py, docs/cafe24.md "The local Cafe24"):
members, products and orders driven through their life, each change giving the webhook Cafe24 would send
(field names of store-platforms.md §1.2-§1.3), and the Admin API answering what the mall held at the
simulated now, as strictly as Cafe24 documents it."""

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from nudge_local.gateway.cafe24 import Cafe24App, Cafe24Emulator, Cafe24Mall

KST = ZoneInfo("Asia/Seoul")
START = datetime(2026, 3, 2, 14, 5, tzinfo=KST)
MALL = "testmall"
APP = Cafe24App("client", "secret", ("https://localhost/cafe24/callback",))
SCOPES = ("mall.read_order", "mall.read_privacy", "mall.read_customer", "mall.read_product")
# The fields every order event carries (store-platforms.md §1.3, webhook-info.json 90023).
ORDER_EVENT_FIELDS = {
    "mall_id", "event_shop_no", "order_id", "payment_gateway_name", "currency", "order_date",
    "order_place_name", "order_place_id", "member_id", "member_authentication", "buyer_name", "buyer_email",
    "buyer_phone", "buyer_cellphone", "group_no_when_ordering", "first_order", "order_from_mobile", "paid",
    "payment_date", "billing_name", "bank_code", "payment_method", "easypay_name", "use_escrow",
    "bank_account_no", "order_price_amount", "membership_discount_amount", "actual_payment_amount",
    "mileage_spent_amount", "shipping_fee", "shipping_type", "shipping_status", "wished_delivery_date",
    "wished_delivery_time", "store_pickup", "shipping_message", "ordering_product_code",
    "ordering_product_name",
}  # fmt: skip


class Clock:
    def __init__(self) -> None:
        self.at = START

    def now(self) -> datetime:
        return self.at


class Shop:
    """The emulator, one mall in it, and an Admin API caller with the app's token."""

    def __init__(self) -> None:
        self.clock = Clock()
        self.emulator = Cafe24Emulator(self.clock.now, [APP], [MALL])
        self.mall: Cafe24Mall = self.emulator.mall(MALL)
        self.tokens = self.emulator.grant(MALL, APP.client_id, SCOPES)
        self.http = httpx.Client(transport=self.emulator.transport())

    def get(self, path: str, token: str | None = None, **params: str | int) -> tuple[int, Any]:
        """A read at the clock's now, with a fresh token unless one is given."""
        token = token or self.emulator.grant(MALL, APP.client_id, SCOPES)["access_token"]
        answer = self.http.get(
            f"https://{MALL}.cafe24api.com/api/v2/admin/{path}",
            params=params,
            headers={"Authorization": f"Bearer {token}"},
        )
        return answer.status_code, answer.json()

    def stock(self) -> None:
        self.mall.put_product(
            12, "강아지 간식 세트", 16000, categories=(24, 31), image="https://x/12.jpg", at=START
        )
        self.mall.put_product(15, "고양이 장난감", 9000, at=START)


@pytest.fixture
def shop() -> Shop:
    shop = Shop()
    shop.stock()
    shop.mall.add_member(
        "mong", "김민지", "010-0000-1001", "mong@example.com", sms=True, news_mail=False, created_at=START
    )
    return shop


def test_an_order_from_placed_to_refunded(shop: Shop) -> None:
    mall, at = shop.mall, START + timedelta(minutes=5)
    placed = mall.place_order("20260302-0000001", "mong", [(12, 2), (15, 1)], at=at)
    assert placed["event_no"] == 90023 and set(placed["resource"]) == ORDER_EVENT_FIELDS
    resource = placed["resource"]
    assert resource["mall_id"] == MALL and resource["paid"] == "T" and resource["first_order"] == "T"
    assert resource["order_date"] == "2026-03-02T14:10:00+09:00" == resource["payment_date"]
    assert resource["actual_payment_amount"] == "41000.00" and resource["buyer_cellphone"] == "010-0000-1001"
    assert resource["ordering_product_code"] == "P0000012,P0000015"

    shop.clock.at = at
    status, answer = shop.get("orders/20260302-0000001", embed="items,buyer")
    order = answer["order"]
    assert status == 200 and order["paid"] == "T" and order["canceled"] == "F"
    assert order["shipping_status"] == "F" and order["payment_amount"] == "41000.00"
    assert order["actual_order_amount"]["payment_amount"] == "41000.00"
    first = order["items"][0]
    assert first["order_item_code"] == "20260302-0000001-01" and first["product_no"] == 12
    assert (first["product_price"], first["option_price"], first["quantity"]) == ("16000.00", "0.00", 2)
    assert first["order_status"] == "N10" and first["ordered_date"] == "2026-03-02 14:10:00"
    assert order["buyer"]["name"] == "김민지" and order["buyer"]["email"] == "mong@example.com"
    without = shop.get("orders/20260302-0000001", embed="items")[1]["order"]
    assert "buyer" not in without and "items" not in shop.get("orders/20260302-0000001")[1]["order"]

    shipped = mall.ship(["20260302-0000001"], at + timedelta(days=1), tracking_prefix="6012")
    assert [s["event_no"] for s in shipped] == [90024] and shipped[0]["resource"]["shipping_status"] == "M"
    assert {"cancel_date", "return_confirmed_date", "withdraw", "withdraw_type"} <= set(
        shipped[0]["resource"]
    )
    delivered = mall.deliver("20260302-0000001", at + timedelta(days=2))
    assert delivered["event_no"] == 90024 and delivered["resource"]["shipping_status"] == "T"
    shop.clock.at = at + timedelta(days=2)
    item = shop.get("orders/20260302-0000001/items")[1]["items"][0]
    assert item["order_status"] == "N40" and item["tracking_no"] == "601200000001"
    assert item["shipped_date"] == "2026-03-03 14:10:00" and item["delivered_date"] == "2026-03-04 14:10:00"
    assert item["shipping_company_name"] and item["shipping_company_code"]

    returned = mall.return_items("20260302-0000001", at + timedelta(days=3), ["20260302-0000001-02"])
    assert returned["event_no"] == 90027 and {"claim_reason_type", "claim_reason"} <= set(
        returned["resource"]
    )
    refunded = mall.refund("20260302-0000001", at + timedelta(days=4))
    assert refunded["event_no"] == 90029 and refunded["resource"]["return_confirmed_date"]
    shop.clock.at = at + timedelta(days=5)
    order = shop.get("orders/20260302-0000001", embed="items")[1]["order"]
    kept, back = order["items"]
    assert kept["order_status"] == "N40" and back["order_status"] == "R40"
    assert back["refund_date"] == "2026-03-06 14:10:00" and back["return_confirmed_date"]
    assert order["actual_order_amount"]["payment_amount"] == "32000.00"

    # Each date type finds the order by its own date (Korea days, both ends included).
    for date_type, day in (
        ("order_date", "2026-03-02"),
        ("pay_date", "2026-03-02"),
        ("shipbegin_date", "2026-03-03"),
        ("shipend_date", "2026-03-04"),
        ("return_complete_date", "2026-03-06"),
    ):
        found = shop.get("orders", date_type=date_type, start_date=day, end_date=day)[1]["orders"]
        assert [o["order_id"] for o in found] == ["20260302-0000001"], date_type
        other = shop.get("orders", date_type=date_type, start_date="2026-03-07", end_date="2026-03-08")
        assert other[1]["orders"] == [], date_type


def test_the_admin_api_answers_what_the_mall_held_at_the_simulated_now(shop: Shop) -> None:
    mall = shop.mall
    mall.place_order("20260302-0000002", "mong", [(12, 1)], at=START + timedelta(hours=1))
    mall.ship("20260302-0000002", START + timedelta(hours=3))
    assert shop.get("orders/20260302-0000002")[0] == 404  # placed in an hour
    shop.clock.at = START + timedelta(hours=2)
    assert shop.get("orders/20260302-0000002")[1]["order"]["shipping_status"] == "F"
    shop.clock.at = START + timedelta(hours=4)
    assert shop.get("orders/20260302-0000002")[1]["order"]["shipping_status"] == "M"
    with pytest.raises(ValueError, match="before"):  # one record's changes come in time order
        mall.deliver("20260302-0000002", START + timedelta(hours=2))


def test_deposit_cancel_and_bulk_shipping(shop: Shop) -> None:
    mall, at = shop.mall, START + timedelta(minutes=1)
    unpaid = mall.place_order("20260302-0000003", "mong", [(15, 1)], at=at, paid=False, payment_method="cash")
    assert unpaid["resource"]["paid"] == "F" and unpaid["resource"]["payment_date"] is None
    assert unpaid["resource"]["payment_method"] == "cash"
    shop.clock.at = at
    assert shop.get("orders/20260302-0000003", embed="items")[1]["order"]["items"][0]["order_status"] == "N00"
    deposit = mall.confirm_deposit("20260302-0000003", at + timedelta(hours=1))
    assert deposit["event_no"] == 90025 and deposit["resource"]["paid"] == "T"
    assert deposit["resource"]["extra_info"] == [
        {"ord_item_code": "20260302-0000003-01", "supplier_code": "S0000000"}
    ]
    shop.clock.at = at + timedelta(hours=2)
    order = shop.get("orders/20260302-0000003", embed="items")[1]["order"]
    assert order["paid"] == "T" and order["payment_date"] == "2026-03-02T15:06:00+09:00"
    assert order["items"][0]["order_status"] == "N10"

    # A guest's unpaid order is canceled before deposit (C48); a paid one is canceled and refunded (C40).
    mall.place_order(
        "20260302-0000004", None, [(12, 1)], at=at, paid=False, payment_method="cash",
        buyer_name="박서준", buyer_cellphone="010-0000-2002", buyer_email="guest@example.com",
    )  # fmt: skip
    mall.place_order("20260302-0000005", "mong", [(12, 1)], at=at)
    canceled = mall.cancel("20260302-0000004", at + timedelta(hours=3))
    assert canceled["event_no"] == 90026 and canceled["resource"]["member_id"] == ""
    assert canceled["resource"]["cancel_date"] == "2026-03-02T17:06:00+09:00"
    mall.cancel("20260302-0000005", at + timedelta(hours=3))
    shop.clock.at = at + timedelta(hours=4)
    unpaid_items = shop.get("orders/20260302-0000004", embed="items")[1]["order"]
    paid_items = shop.get("orders/20260302-0000005", embed="items")[1]["order"]
    assert unpaid_items["canceled"] == "T" and unpaid_items["items"][0]["order_status"] == "C48"
    assert paid_items["items"][0]["order_status"] == "C40" and paid_items["items"][0]["refund_date"]
    assert paid_items["first_order"] == "F"  # mong's second order
    found = shop.get("orders", date_type="cancel_date", start_date="2026-03-02", end_date="2026-03-02")[1]
    assert sorted(o["order_id"] for o in found["orders"]) == ["20260302-0000004", "20260302-0000005"]

    mall.place_order("20260302-0000006", "mong", [(12, 1)], at=at)
    bulk = mall.ship(["20260302-0000003", "20260302-0000006"], at + timedelta(hours=5), bulk=True)
    assert bulk == [
        {
            "event_no": 90071,
            "resource": {
                "mall_id": MALL,
                "event_shop_no": 1,
                "order_id": "20260302-0000003,20260302-0000006",
                "included_deferpay_order": "F",
                "deferpay_order_id": "",
            },
        }
    ]
    by_id = shop.get("orders", order_id="20260302-0000003,20260302-0000006,20260302-9999999", embed="items")
    assert sorted(o["order_id"] for o in by_id[1]["orders"]) == ["20260302-0000003", "20260302-0000006"]


def test_member_events_and_customersprivacy(shop: Shop) -> None:
    mall = shop.mall
    member = shop.get("customersprivacy/mong")[1]["customersprivacy"]
    assert (member["sms"], member["news_mail"], member["group_no"]) == ("T", "F", 1)
    assert member["created_date"] == "2026-03-02T14:05:00+09:00" and member["cellphone"] == "010-0000-1001"

    changed = mall.change_member("mong", START + timedelta(minutes=1), sms=False, email="new@example.com")
    assert changed == {
        "event_no": 90080,
        "resource": {
            "mall_id": MALL,
            "event_shop_no": 1,
            "member_id": "mong",
            "diff_key": ["sms", "email"],
            "sub_event_code": "EC_FRONT",
        },
    }
    login = mall.login("mong", START + timedelta(minutes=2))
    assert login["event_no"] == 90143 and set(login["resource"]) == {
        "mall_id", "event_shop_no", "member_id", "group_name", "inflow_name"
    }  # fmt: skip
    grade = mall.change_grade("mong", 2, "VIP", START + timedelta(minutes=3))
    assert grade["resource"] == {
        "mall_id": MALL, "event_shop_no": 1, "member_id": "mong", "after_member_group_name": "VIP"
    }  # fmt: skip
    cart = mall.add_to_cart("mong", 12, 2, START + timedelta(minutes=4))
    assert cart == {
        "event_no": 90084,
        "resource": {
            "mall_id": MALL,
            "shop_no": 1,
            "member_id": "mong",
            "shipping_type": "01",
            "product_no": 12,
            "variant_code": "P0000012000A",
            "quantity": 2,
            "product_bundle": "F",
        },
    }
    shop.clock.at = START + timedelta(minutes=5)
    member = shop.get("customersprivacy/mong")[1]["customersprivacy"]
    assert (member["sms"], member["email"], member["group_no"]) == ("F", "new@example.com", 2)
    assert member["last_login_date"] == "2026-03-02T14:07:00+09:00"

    mall.add_member("bori", "이보리", "010-0000-1002", "bori@example.com", sms=False, news_mail=True,
                    created_at=START + timedelta(days=1))  # fmt: skip
    joined = mall.webhooks[-1]
    assert (
        joined["event_no"] == 90032
        and joined["resource"]["sms"] == "F"
        and joined["resource"]["news_mail"] == "T"
    )
    assert {"member_id", "group_no", "name", "created_date", "cellphone", "email"} <= set(joined["resource"])
    shop.clock.at = START + timedelta(days=2)
    listed = shop.get("customersprivacy", date_type="join", start_date="2026-03-03", end_date="2026-03-03")
    assert [m["member_id"] for m in listed[1]["customersprivacy"]] == ["bori"]

    withdrawn = mall.withdraw_member("mong", START + timedelta(days=2))
    assert withdrawn["resource"] == {"mall_id": MALL, "event_shop_no": 1, "member_id": "mong"}
    assert withdrawn["event_no"] == 90147
    status, body = shop.get("customersprivacy/mong")
    assert status == 404 and body["error"]["code"] == 404
    everyone = shop.get("customersprivacy", date_type="join", start_date="2026-03-01", end_date="2026-03-05")
    assert [m["member_id"] for m in everyone[1]["customersprivacy"]] == ["bori"]


def test_product_events_and_answers(shop: Shop) -> None:
    mall = shop.mall
    created = mall.webhooks[0]
    assert created["event_no"] == 90001 and created["resource"]["product_no"] == 12
    assert (
        created["resource"]["price"] == "16000.00"
        and created["resource"]["product_name"] == "강아지 간식 세트"
    )
    modified = mall.put_product(12, "강아지 간식 세트", 14000, retail_price=18000, categories=(24,),
                                at=START + timedelta(days=1))  # fmt: skip
    assert modified["event_no"] == 90002 and modified["resource"]["price"] == "14000.00"
    assert modified["resource"]["created_date"] == "2026-03-02T14:05:00+09:00"

    assert mall.set_stock(15, 3, START + timedelta(days=1)) == []  # still in stock: nothing sent
    out = mall.set_stock(15, 0, START + timedelta(days=1, hours=1))
    assert [w["event_no"] for w in out] == [90075, 90150]
    assert out[0]["resource"]["variant_code"] == "P0000015000A" and "use_soldout" in out[0]["resource"]
    assert out[1]["resource"] == {
        "mall_id": MALL,
        "event_shop_no": 1,
        "sold_out_by_current_shop": "T",
        "product_no": 15,
        "sold_out": {"1": "T"},
    }
    back = mall.set_stock(15, 4, START + timedelta(days=2))
    assert [w["resource"]["sold_out_by_current_shop"] for w in back if w["event_no"] == 90150] == ["F"]

    shop.clock.at = START + timedelta(days=1, hours=2)
    product = shop.get("products/15", embed="variants")[1]["product"]
    assert product["sold_out"] == "T" and product["variants"][0]["quantity"] == 0
    product = shop.get("products/12", embed="variants")[1]["product"]
    assert (product["price"], product["retail_price"]) == ("14000.00", "18000.00")
    assert product["category"] == [{"category_no": 24, "recommend": "F", "new": "F"}]
    assert "variants" not in shop.get("products/12")[1]["product"]
    changed = shop.get(
        "products", updated_start_date="2026-03-03", updated_end_date="2026-03-03", embed="variants"
    )
    assert [p["product_no"] for p in changed[1]["products"]] == [12]  # a stock change leaves updated_date
    both = shop.get("products", product_no="12,15,99")[1]["products"]
    assert [p["product_no"] for p in both] == [12, 15]
    assert shop.get("products/99")[0] == 404


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("orders", {"start_date": "2026-01-01", "end_date": "2026-04-10"}),  # over 3 months
        ("orders", {"start_date": "2026-03-01", "end_date": "2026-03-02", "limit": 1001}),
        ("orders", {"start_date": "2026-03-01", "end_date": "2026-03-02", "offset": 15001}),
        ("orders", {"start_date": "2026-03-01", "end_date": "2026-03-02", "date_type": "updated_date"}),
        ("orders", {"start_date": "2026-03-03", "end_date": "2026-03-02"}),
        ("orders", {"start_date": "2026-03-03"}),
        ("orders", {}),  # neither a window nor order ids
        ("customersprivacy", {"limit": 1001}),
        ("customersprivacy", {"offset": 8001}),
        ("customersprivacy", {"date_type": "join", "start_date": "yesterday", "end_date": "2026-03-02"}),
        ("products", {"limit": 101}),
        ("products", {"offset": 5001}),
    ],
)
def test_parameters_out_of_range_are_refused(shop: Shop, path: str, params: dict[str, Any]) -> None:
    status, body = shop.get(path, **params)
    assert status == 422 and body["error"]["code"] == 422 and body["error"]["message"]


def test_the_limits_themselves_are_accepted(shop: Shop) -> None:
    window = {"start_date": "2026-01-01", "end_date": "2026-04-02"}  # 92 days: three months
    assert shop.get("orders", limit=1000, offset=15000, **window)[0] == 200
    assert shop.get("customersprivacy", limit=1000, offset=8000)[0] == 200
    assert shop.get("products", limit=100, offset=5000)[0] == 200


def test_paging_and_links(shop: Shop) -> None:
    for n in range(5):
        shop.mall.place_order(f"20260302-000010{n}", "mong", [(12, 1)], at=START + timedelta(minutes=n))
    shop.clock.at = START + timedelta(hours=1)
    window = {"start_date": "2026-03-02", "end_date": "2026-03-02"}
    pages = [shop.get("orders", limit=2, offset=offset, **window)[1] for offset in (0, 2, 4)]
    assert [[o["order_id"][-1] for o in page["orders"]] for page in pages] == [["0", "1"], ["2", "3"], ["4"]]
    assert [link["rel"] for link in pages[1]["links"]] == ["previous", "next"]
    assert pages[0]["links"][0]["href"].startswith(f"https://{MALL}.cafe24api.com/api/v2/admin/orders?")


def test_unknown_paths_scopes_and_revoked_tokens(shop: Shop) -> None:
    status, body = shop.get("no-such-thing")
    assert status == 404 and set(body["error"]) == {"code", "message", "more_info"}
    narrow = shop.emulator.grant(MALL, APP.client_id, ("mall.read_order",))
    assert shop.get("customersprivacy/mong", token=narrow["access_token"])[0] == 403
    assert shop.get("products/12", token=narrow["access_token"])[0] == 403

    shop.emulator.revoke(MALL)
    assert shop.get("orders", token=shop.tokens["access_token"], order_id="x")[0] == 401
    refused = shop.http.post(
        f"https://{MALL}.cafe24api.com/api/v2/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": shop.tokens["refresh_token"]},
        auth=(APP.client_id, APP.client_secret),
    )
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"
