"""Ready-made automations from the seeds, installed through the admin API and then the store's own.

Each template is an ordinary automation definition built for one store (its name goes into the text) from
a few parameters the marketer may change; installing one validates it like any other automation. Message
texts use only variables the journey knows when it starts (order number, checkout link, cart amount,
consent date …) and `#{name}`, which the profile supplies.

- review_request (seed 004): order delivered → AlimTalk 3 days later at 16:00; stops if the order is
  canceled or refunded;
- cart_reminder (seeds 000, 002): a cart with ≥ 1 item → brand message after 3 h and again after 24 h;
  both stop on a purchase or an emptied cart;
- checkout_abandoned (seed 000): checkout started (Shopify) → brand message after 1 h; stops when it
  becomes an order;
- unpaid_order (seed 000): order placed (Cafe24, e.g. bank transfer) → AlimTalk after 6 h; stops when
  it is paid or canceled;
- welcome (seeds 003, 004): member joined → AlimTalk at once with the "채널 추가" button;
- signup_nudge (seeds 000, 002): first visit → brand message after 1 h; stops on sign-up or purchase;
- free_shipping (seed 000): a cart just under the free-shipping threshold → brand message after 30 min
  saying what is missing (`#{free_shipping_gap}`: the threshold rides on the trigger's
  `free_shipping_threshold`, which also bounds the carts it matches);
- repurchase_reminder (seed 004): order paid → an ad when the product's learned repurchase cycle has
  passed (the shortest among the order's products; the store's cycle, else 32 days), at 10:00; stops
  on another purchase or if the order is canceled or refunded;
- coupon_expiry (seed 000): coupon issued (Nudge format `coupon.issued`) → an ad 3 days before it
  expires, at 10:00;
- back_in_stock: a product the customer carted or viewed is back in stock (the store's catalog,
  nudge.products) → brand message at once; stops once they buy it; once per product in 7 days;
- price_drop: a product in the customer's cart got cheaper → brand message at once naming the old and new
  price; stops if it left the cart or was bought; once per product in 7 days;
- browse_abandonment: a product page viewed 3 times within 7 days (the tracker's product pages), the
  product not in the cart → brand message after 1 h; stops if it is carted or bought; once per product in
  14 days;
- consent_reconfirmation (§50 ⑧): ad consent given → informational SMS 700 days later, at least 30
  days before the 2-year anniversary; stops if the consent is answered again meanwhile;
- consent_result (§50 ⑦): consent given or withdrawn → informational SMS at once.
"""

from collections.abc import Callable, Iterable, Mapping
from datetime import time
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from nudge.errors import InvalidPayload, field_errors
from nudge.profiles.profile import MAX_VIEWS_PER_PRODUCT, PRODUCT_VIEW_HISTORY_DAYS
from nudge.sending.links import WebLink
from nudge.stores import Store


class TemplateParams(BaseModel):
    """What a marketer may change when installing a template (each template reads the ones it needs)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    days: Annotated[int, Field(ge=0, le=60)] = 3  # review_request; coupon_expiry: days before expiry
    at: time = time(16, 0)  # review_request (coupon_expiry: 10:00 unless given)
    business_days: bool = False  # review_request: count only days couriers work
    hours: Annotated[int, Field(ge=1, le=72)] | None = None  # the first (or only) delay in hours
    second_hours: Annotated[int, Field(ge=1, le=24 * 14)] = 24  # cart_reminder: the second reminder
    threshold: Annotated[Decimal, Field(gt=0)] = Decimal(50_000)  # free_shipping: the store's threshold
    gap: Annotated[Decimal, Field(gt=0)] = Decimal(10_000)  # free_shipping: "just under" = within this
    views: Annotated[int, Field(ge=1, le=MAX_VIEWS_PER_PRODUCT)] = 3  # browse_abandonment: views of a product
    view_days: Annotated[int, Field(ge=1, le=PRODUCT_VIEW_HISTORY_DAYS)] = 7  # … within these days
    link: WebLink | None = None  # the page a button opens (review page, cart, shop): compliance.links
    channel: Literal["brand_message", "sms"] = "brand_message"  # the ads: brand message (to channel
    # friends, targeting I) or an SMS ad (to SMS-consent holders; labelled and with the 080 line when sent)


def _button(name: str, link: str | None) -> list[dict[str, Any]]:
    return [{"name": name, "type": "WL", "link_mo": link}] if link else []


def _ad(p: TemplateParams, content: str, button: str, group: str) -> dict[str, Any]:
    if p.channel == "sms":
        text = f"{content}\n{p.link}" if p.link else content
        return {"message_class": "advertising", "channel": "sms", "content": text, "promotion_group": group}
    return _brand(content, button, p.link, group)


def _brand(content: str, button: str, link: str | None, group: str) -> dict[str, Any]:
    return {
        "message_class": "advertising",
        "channel": "brand_message",
        "content": content,
        "buttons": _button(button, link),
        "targeting": "I",
        "promotion_group": group,
    }


def _alimtalk(code: str, content: str, buttons: list[dict[str, Any]], kind: str = "BA") -> dict[str, Any]:
    return {
        "message_class": "informational",
        "channel": "alimtalk",
        "content": content,
        "template_code": code,
        "template_message_type": kind,
        "buttons": buttons,
        "fallback_sms": True,  # a customer without KakaoTalk (or who blocked the channel) gets it as SMS
    }


def _sms_notice(content: str) -> dict[str, Any]:
    return {"message_class": "informational", "channel": "sms", "content": content}


def review_request(store: Store, p: TemplateParams) -> dict[str, Any]:
    delay: dict[str, Any] = {"days": p.days, "at": p.at.strftime("%H:%M")}
    if p.business_days:
        delay["business_days"] = True
    text = (
        f"#{{name}}님, {store.name}에서 주문하신 상품(주문번호 #{{order_id}})은 잘 받으셨나요? "
        "사용해 보신 후기를 남겨 주세요."
    )
    return {
        "name": f"리뷰 요청: 배송 완료 {p.days}일 후 {p.at:%H:%M}",
        "trigger": {"event": "order.delivered"},
        "steps": [
            {"delay": delay, "message": _alimtalk("REVIEW_REQUEST", text, _button("후기 쓰기", p.link))}
        ],
        "exit": {"when": ["order_canceled"]},
        "reentry": {"policy": "once_per_business_key"},
    }


def shipping_started(store: Store, p: TemplateParams) -> dict[str, Any]:
    """배송 출발: the carrier and tracking number the platform gave when the order shipped (Cafe24's order
    items, Shopify's fulfillment, the Nudge format's order.shipped), sent at once."""
    text = (
        f"#{{name|고객}}님, {store.name}에서 주문하신 #{{order_item_summary|상품}}이(가) 출발했어요.\n"
        "택배사: #{shipping_company}\n송장번호: #{tracking_number}"
    )
    return {
        "name": "배송 출발 알림",
        "trigger": {"event": "order.shipped"},
        "steps": [{"delay": {}, "message": _alimtalk("ORDER_SHIPPED", text, _button("주문 조회", p.link))}],
        "exit": {"when": ["order_canceled"]},
        "reentry": {"policy": "once_per_business_key"},
    }


def cart_reminder(store: Store, p: TemplateParams) -> dict[str, Any]:
    first = p.hours or 3
    return {
        "name": f"장바구니 리마인드: {first}시간 후, {p.second_hours}시간 후",
        "trigger": {"event": "cart.updated", "filter": {"min_items": 1}},
        "steps": [
            {
                "delay": {"hours": first},
                "message": _ad(
                    p,
                    "#{name}님, 장바구니에 담아 두신 상품이 기다리고 있어요.",
                    "장바구니 보기",
                    "cart-1",
                ),
            },
            {
                "delay": {"hours": p.second_hours},
                "message": _ad(
                    p,
                    "#{name}님, 장바구니 상품을 아직 고민 중이신가요? 담아 두신 상품을 다시 확인해 보세요.",
                    "장바구니 보기",
                    "cart-2",
                ),
            },
        ],
        "exit": {"when": ["purchased", "cart_emptied"]},
        "reentry": {"policy": "once_per_days", "days": 3},
    }


def checkout_abandoned(store: Store, p: TemplateParams) -> dict[str, Any]:
    hours = p.hours or 1
    return {
        "name": f"결제 미완료: {hours}시간 후",
        "trigger": {"event": "checkout.started"},
        "steps": [
            {
                "delay": {"hours": hours},
                "message": _ad(
                    p,
                    "#{name}님, 결제가 완료되지 않은 주문이 있어요. 이어서 결제하기: #{checkout_url}",
                    "쇼핑 계속하기",
                    "checkout",
                ),
            }
        ],
        "exit": {"when": ["checkout_completed", "purchased"]},
        "reentry": {"policy": "once_per_business_key"},
    }


def unpaid_order(store: Store, p: TemplateParams) -> dict[str, Any]:
    hours = p.hours or 6
    text = (
        f"#{{name}}님, {store.name} 주문(주문번호 #{{order_id}}, #{{order_amount}}원)의 "
        "입금이 아직 확인되지 않았습니다. "
        "입금 기한이 지나면 주문이 자동 취소됩니다."
    )
    return {
        "name": f"미입금 주문 안내: {hours}시간 후",
        "trigger": {"event": "order.placed"},
        "steps": [
            {
                "delay": {"hours": hours},
                "message": _alimtalk("UNPAID_ORDER", text, _button("주문 확인", p.link)),
            }
        ],
        "exit": {"when": ["order_paid", "order_canceled"]},
        "reentry": {"policy": "once_per_business_key"},
    }


def welcome(store: Store, p: TemplateParams) -> dict[str, Any]:
    text = (
        f"#{{name}}님, {store.name} 회원이 되신 것을 환영합니다. "
        "채널을 추가하시면 주문과 배송 소식을 카카오톡으로 받아 보실 수 있어요."
    )
    buttons = [{"name": "채널 추가", "type": "AC"}, *_button("쇼핑하러 가기", p.link)]
    return {
        "name": "회원가입 환영 (채널 추가 버튼)",
        "trigger": {"event": "member.joined"},
        "steps": [{"delay": {}, "message": _alimtalk("WELCOME", text, buttons, kind="AD")}],
        "reentry": {"policy": "once_per_business_key"},
    }


def signup_nudge(store: Store, p: TemplateParams) -> dict[str, Any]:
    hours = p.hours or 1
    return {
        "name": f"첫 방문 회원가입 유도: {hours}시간 후",
        "trigger": {"event": "visit.started", "filter": {"first_visit": True}},
        "steps": [
            {
                "delay": {"hours": hours},
                "message": _ad(
                    p,
                    f"{store.name}에 처음 오셨네요! 회원가입하고 첫 구매 혜택을 받아 보세요.",
                    "회원가입",
                    "signup",
                ),
            }
        ],
        "exit": {"when": ["joined", "purchased"]},
        "reentry": {"policy": "once_per_business_key"},
    }


def free_shipping(store: Store, p: TemplateParams) -> dict[str, Any]:
    threshold = f"{p.threshold:,.0f}"
    return {
        "name": f"무료배송 기준 {threshold}원 안내",
        "trigger": {
            "event": "cart.updated",
            # Carts from threshold − gap up to just below the threshold; the threshold also gives the
            # journey its #{free_shipping_gap} (threshold − the cart's amount).
            "filter": {
                "min_amount": str(max(p.threshold - p.gap, Decimal(0))),
                "free_shipping_threshold": str(p.threshold),
            },
        },
        "steps": [
            {
                "delay": {"minutes": 30},
                "message": _ad(
                    p,
                    "#{name}님, 장바구니에 #{cart_amount}원 담으셨어요. "
                    f"#{{free_shipping_gap}}원만 더 담으면 무료배송! ({threshold}원 이상 구매 시)",
                    "장바구니 보기",
                    "free-shipping",
                ),
            }
        ],
        "exit": {"when": ["purchased", "cart_emptied"]},
        "reentry": {"policy": "once_per_days", "days": 1},
    }


def repurchase_reminder(store: Store, p: TemplateParams) -> dict[str, Any]:
    return {
        "name": "재구매 주기 리마인드",
        "trigger": {"event": "order.paid"},
        "steps": [
            {
                "delay": {"repurchase_cycle": True, "at": "10:00"},
                "message": _ad(
                    p,
                    "#{name}님, 지난번 구매하신 상품을 다 쓰실 때가 되었어요. 다시 구매하시려면 눌러 주세요.",
                    "다시 구매하기",
                    "repurchase",
                ),
            }
        ],
        "exit": {"when": ["purchased", "order_canceled"]},
        "reentry": {"policy": "once_per_business_key"},
    }


def coupon_expiry(store: Store, p: TemplateParams) -> dict[str, Any]:
    days = p.days if "days" in p.model_fields_set else 3
    at = p.at if "at" in p.model_fields_set else time(10, 0)
    return {
        "name": f"쿠폰 만료 {days}일 전 안내",
        "trigger": {"event": "coupon.issued"},
        "steps": [
            {
                "delay": {"before_expiry": True, "days": days, "at": at.strftime("%H:%M")},
                "message": _ad(
                    p,
                    "#{name}님, 보유하신 #{coupon_name} 쿠폰이 #{coupon_expires}에 만료돼요. "
                    "기간 안에 사용해 주세요.",
                    "쿠폰 사용하기",
                    "coupon-expiry",
                ),
            }
        ],
        "reentry": {"policy": "once_per_business_key"},
    }


def back_in_stock(store: Store, p: TemplateParams) -> dict[str, Any]:
    return {
        "name": "재입고 알림",
        "trigger": {"event": "product.back_in_stock"},
        "steps": [
            {
                "delay": {},
                "message": _ad(
                    p,
                    "#{name}님, 기다리시던 #{product_name} 다시 입고되었어요. 품절되기 전에 만나 보세요.",
                    "상품 보기",
                    "back-in-stock",
                ),
            }
        ],
        "exit": {"when": ["product_purchased"]},
        "reentry": {"policy": "once_per_business_key_per_days", "days": 7},
    }


def price_drop(store: Store, p: TemplateParams) -> dict[str, Any]:
    return {
        "name": "장바구니 상품 가격 인하 알림",
        "trigger": {"event": "product.price_dropped", "filter": {"in_cart": True}},
        "steps": [
            {
                "delay": {},
                "message": _ad(
                    p,
                    "#{name}님, 장바구니에 담으신 #{product_name} 가격이 "
                    "#{product_old_price}원에서 #{product_price}원으로 내려갔어요.",
                    "장바구니 보기",
                    "price-drop",
                ),
            }
        ],
        "exit": {"when": ["not_in_cart", "product_purchased"]},
        "reentry": {"policy": "once_per_business_key_per_days", "days": 7},
    }


def browse_abandonment(store: Store, p: TemplateParams) -> dict[str, Any]:
    hours = p.hours or 1
    return {
        "name": f"관심 상품 리마인드: {p.view_days}일 안에 {p.views}번 본 상품, {hours}시간 후",
        "trigger": {
            "event": "page.viewed",
            "filter": {"min_product_views": p.views, "views_within_days": p.view_days, "in_cart": False},
        },
        "steps": [
            {
                "delay": {"hours": hours},
                "message": _ad(
                    p,
                    "#{name}님, 여러 번 살펴보신 상품, 아직 고민 중이신가요? 지금 다시 확인해 보세요.",
                    "상품 다시 보기",
                    "browse",
                ),
            }
        ],
        "exit": {"when": ["carted", "product_purchased"]},
        "reentry": {"policy": "once_per_business_key_per_days", "days": 14},
    }


def consent_reconfirmation(store: Store, p: TemplateParams) -> dict[str, Any]:
    # 700 days: at least 30 days before the 2-year anniversary, whether or not a Feb 29 falls in between.
    optout = store.optout_080_number or store.contact_phone or "고객센터"
    text = (
        f"[{store.name}] 광고성 정보 수신동의 여부 확인 안내\n"
        f"고객님께서는 #{{consent_date}}에 {store.name}의 #{{consent_channel}} "
        "광고성 정보 수신에 동의하셨습니다.\n"
        "정보통신망법 제50조 제8항에 따라 2년마다 수신동의 여부를 확인해 드립니다.\n"
        "- 유지: 별도의 조치 없이 수신동의가 유지됩니다.\n"
        f"- 철회: {optout}(무료)로 전화하시면 철회됩니다."
    )
    return {
        "name": "광고 수신동의 2년 재확인 안내",
        "trigger": {"event": "consent.changed", "filter": {"granted": True}},
        "steps": [{"delay": {"days": 700, "at": "10:00"}, "message": _sms_notice(text)}],
        "exit": {"when": ["consent_changed"]},
        "reentry": {"policy": "once_per_business_key"},
    }


def consent_result(store: Store, p: TemplateParams) -> dict[str, Any]:
    text = (
        f"[{store.name}] 광고성 정보 #{{consent_result}} 결과 안내\n"
        "요청일: #{consent_date}\n"
        "고객님의 #{consent_channel} 광고성 정보 #{consent_result} 요청이 "
        "#{consent_date}자로 처리되었습니다."
    )
    return {
        "name": "광고 수신동의·거부 처리 결과 안내",
        "trigger": {"event": "consent.changed"},
        "steps": [{"delay": {}, "message": _sms_notice(text)}],
        "reentry": {"policy": "once_per_business_key"},
    }


# Templates whose messages are notices the law requires (§50 ⑦ ⑧): owed to the customer, chosen by no
# marketer (nudge.sending.notices.is_owed_by_law says what follows).
LEGAL_NOTICE_TEMPLATES = frozenset({"consent_reconfirmation", "consent_result"})


def is_legal_notice(template: str | None) -> bool:
    """Whether an automation made from this template sends notices the law requires."""
    return template in LEGAL_NOTICE_TEMPLATES


def legal_notice_automations(documents: Iterable[Mapping[str, Any]]) -> frozenset[str]:
    """The sources (`automation:<id>`) of the automations among these catalog documents that send legal
    notices: what `is_owed_by_law` needs for the sends recorded before they were marked."""
    return frozenset(
        f"automation:{document['automation_id']}"
        for document in documents
        if is_legal_notice(document.get("template"))
    )


TEMPLATES: dict[str, Callable[[Store, TemplateParams], dict[str, Any]]] = {
    "review_request": review_request,
    "shipping_started": shipping_started,
    "cart_reminder": cart_reminder,
    "checkout_abandoned": checkout_abandoned,
    "unpaid_order": unpaid_order,
    "welcome": welcome,
    "signup_nudge": signup_nudge,
    "free_shipping": free_shipping,
    "repurchase_reminder": repurchase_reminder,
    "coupon_expiry": coupon_expiry,
    "back_in_stock": back_in_stock,
    "price_drop": price_drop,
    "browse_abandonment": browse_abandonment,
    "consent_reconfirmation": consent_reconfirmation,
    "consent_result": consent_result,
}


def template_definition(name: str, store: Store, params: Any) -> dict[str, Any]:
    """The automation definition a template makes for this store (then validated like any other)."""
    try:
        p = TemplateParams.model_validate(params or {})
    except ValidationError as exc:
        raise InvalidPayload("template parameters are not valid", field_errors(exc, "params")) from exc
    return {**TEMPLATES[name](store, p), "template": name}
