"""One month of a store's traffic, as the requests its platform and storefront would send.

`dogday-mall` (a Cafe24 mall, `dogdaymall`, and the storefront tracker) has 5,000 customers: most are
members it already had, brought in through the admin API's member import with their dated consents and
recent orders; the rest sign up during the month. Every day customers visit (tracker batches with page
views), log in, fill carts, order, get deliveries, now and then cancel or return and get a refund, and
change their consent; during the "Dog Day" promotion (days 10-17) they visit more and look at the promotion
page. A smaller Shopify store, `maple-goods`, runs alongside so Shopify's customer, checkout, order and
fulfillment webhooks are part of the month too.

What happens on the Cafe24 mall is not a prebuilt request but a `MallAction`: a change the runner makes to
the local Cafe24 mall (nudge_local.gateway.cafe24.Cafe24Mall) at the arrival's simulated time, which answers
the webhooks Cafe24 would send for it; the runner posts those (or, in a drill, loses some). So the mall's
Admin API, which Nudge reads for each order event and its reconciliation, holds what the webhooks say.
Its products are 1001-1006 (`PRODUCTS`, `CATALOG`): carts and orders name a product by its number.

Everything is drawn from a seeded generator: the same seed gives the same month, request for request.
Customer data is invented (phone numbers in the 010-0000-xxxx test range are not real).
"""

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from nudge_local.demo import samples
from nudge_local.demo.samples import SampleRequest
from nudge_local.runtime.stores import DOGDAY, MAPLE

KST = ZoneInfo("Asia/Seoul")
FIRST_DAY = date(2026, 3, 1)
DAYS = 30
PROMOTION_DAYS = (10, 17)  # first and last day (1-based) of the Dog Day promotion
PROMOTION_PATH = "/event/dogday"

# product id -> (price, how often a customer who likes it buys it again, in days)
PRODUCTS: dict[str, tuple[int, int]] = {
    "P-DOG-FOOD": (45_000, 30),
    "P-DOG-SNACK": (12_900, 14),
    "P-DOG-BED": (39_000, 365),
    "P-DOG-SHAMPOO": (18_000, 45),
    "P-DOG-TOY": (9_900, 60),
    "P-DOG-LEASH": (15_000, 365),
}
PROMOTED = ("P-DOG-BED", "P-DOG-SNACK")
# product id -> its name in the mall (its number in the mall is 1001, 1002, ... in PRODUCTS' order)
PRODUCT_NAMES: dict[str, str] = {
    "P-DOG-FOOD": "강아지 사료 2kg",
    "P-DOG-SNACK": "강아지 수제 간식 세트",
    "P-DOG-BED": "강아지 쿠션 침대",
    "P-DOG-SHAMPOO": "강아지 저자극 샴푸",
    "P-DOG-TOY": "강아지 노즈워크 장난감",
    "P-DOG-LEASH": "강아지 산책 리드줄",
}
_SURNAMES = "김이박최정강조윤장임한오서신권황안송류홍"
_GIVEN = "민서지하윤도준예은현우수아영호진성연유채원다희태승나"


@dataclass(frozen=True)
class Rates:
    """How busy the month is. The defaults keep a 5,000-customer month under two minutes locally."""

    existing_share: float = 0.88  # customers the store already had (imported); the rest sign up
    active_share: float = 0.22  # customers who visit in a typical month
    visits_active: float = 2.2  # visits per active customer in the month
    visits_dormant: float = 0.06
    promotion_lift: float = 1.8  # visit rate during the promotion, relative
    login_per_visit: float = 0.3
    cart_per_visit: float = 0.35
    order_per_cart: float = 0.4
    unpaid_order: float = 0.06  # orders placed by bank transfer and never paid
    cancel_before_shipping: float = 0.02
    refund_after_delivery: float = 0.03
    consent_change: float = 0.015  # customers who change their SMS consent during the month
    sms_consent: float = 0.55
    email_consent: float = 0.4
    channel_friend: float = 0.45
    prior_order: float = 0.45  # existing members with an order in the last four months
    shopify_customers: int = 120


@dataclass(frozen=True)
class MallAction:
    """A change to dogday-mall's Cafe24 mall: a `Cafe24Mall` method and its arguments, made by the runner
    at the arrival's time (the mall's `at`); `on` answers the webhook payloads Cafe24 would send for it."""

    method: str  # add_member, change_member, login, add_to_cart, place_order, ship, deliver, cancel, ...
    args: tuple[Any, ...] = ()
    options: tuple[tuple[str, Any], ...] = ()  # keyword arguments (a tuple: an arrival is frozen)

    def on(self, mall: Any, at: datetime) -> list[dict[str, Any]]:
        when = {"created_at" if self.method == "add_member" else "at": at}
        answer = getattr(mall, self.method)(*self.args, **dict(self.options), **when)
        return list(answer) if isinstance(answer, list) else [answer]


@dataclass(frozen=True)
class Arrival:
    at: datetime
    request: SampleRequest | None  # a prebuilt request (tracker, Shopify), or None for a mall action
    kind: str  # what a marketer would call it: "sign-up", "visit", "cart", "order", "delivered", ...
    customer_id: str
    action: MallAction | None = None  # dogday-mall's Cafe24 mall changes (its webhooks are posted)


@dataclass
class Month:
    customers: int
    arrivals: list[Arrival] = field(default_factory=list)
    import_pages: list[dict[str, Any]] = field(default_factory=list)  # admin API member-import bodies
    imported: int = 0

    @property
    def start(self) -> datetime:
        return day_start(1)

    @property
    def end(self) -> datetime:
        return day_start(DAYS + 1)

    def kinds(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for arrival in self.arrivals:
            out[arrival.kind] = out.get(arrival.kind, 0) + 1
        return out


def day_start(day: int) -> datetime:
    """Midnight (KST) of day `day` of the month, 1-based."""
    return datetime.combine(FIRST_DAY + timedelta(days=day - 1), time(0, 0), KST)


def in_promotion(at: datetime) -> bool:
    first, last = PROMOTION_DAYS
    return day_start(first) <= at < day_start(last + 1)


def _name(rng: random.Random) -> str:
    return rng.choice(_SURNAMES) + rng.choice(_GIVEN) + rng.choice(_GIVEN)


def _phone(n: int) -> str:
    return f"010-0000-{n:04d}"


def _moment(rng: random.Random, day: int) -> datetime:
    """A time of day shoppers keep: mostly evenings, a few late at night."""
    hour = rng.choices(
        range(24), weights=[2, 1, 1, 0, 0, 0, 1, 2, 3, 4, 5, 6, 6, 6, 5, 5, 5, 6, 7, 8, 9, 9, 7, 4]
    )[0]
    return day_start(day) + timedelta(hours=hour, minutes=rng.randrange(60), seconds=rng.randrange(60))


class _Builder:
    def __init__(self, customers: int, rates: Rates, seed: int) -> None:
        self.rng = random.Random(seed)
        self.rates = rates
        self.month = Month(customers)
        self.order_seq = 0
        self.joined: dict[str, datetime] = {}  # members who sign up during the month, when

    def add(self, at: datetime, request: SampleRequest, kind: str, customer_id: str) -> None:
        if self.month.start <= at < self.month.end:
            self.month.arrivals.append(Arrival(at, request, kind, customer_id))

    def mall(
        self, at: datetime, kind: str, customer_id: str, method: str, *args: Any, **options: Any
    ) -> None:
        """A change on the Cafe24 mall at `at` (its webhooks posted then)."""
        if self.month.start <= at < self.month.end:
            action = MallAction(method, args, tuple(sorted(options.items())))
            self.month.arrivals.append(Arrival(at, None, kind, customer_id, action))

    def is_member(self, customer_id: str, at: datetime) -> bool:
        """Whether the customer is a member of the mall at `at` (one who signs up later is not yet)."""
        joined = self.joined.get(customer_id)
        return joined is None or joined <= at

    # ------------------------------------------------------------ dogday-mall (Cafe24)

    def existing_member(self, n: int, customer_id: str) -> dict[str, Any]:
        rng, rates = self.rng, self.rates
        signed_up = self.month.start - timedelta(days=rng.randrange(30, 900), hours=rng.randrange(24))
        consents = {
            "sms": {"granted": rng.random() < rates.sms_consent, "at": signed_up.isoformat()},
            "email": {"granted": rng.random() < rates.email_consent, "at": signed_up.isoformat()},
        }
        friend = rng.random() < rates.channel_friend
        if friend:  # a channel friend who agreed to the store's Kakao ads
            consents["kakao"] = {"granted": True, "at": signed_up.isoformat()}
        if rng.random() < 0.1:
            consents["night"] = {"granted": True, "at": signed_up.isoformat()}
        orders = []
        if rng.random() < rates.prior_order:
            for _ in range(rng.choice((1, 1, 1, 2, 3))):
                product = rng.choice(list(PRODUCTS))
                placed = self.month.start - timedelta(days=rng.randrange(3, 120), hours=rng.randrange(24))
                self.order_seq += 1
                orders.append(
                    {
                        "order_id": f"20260{self.order_seq:06d}-H",
                        "placed_at": placed.isoformat(),
                        "amount": PRODUCTS[product][0],
                        "products": [cart_id(product)],
                        "status": "delivered",
                        "delivered_at": (placed + timedelta(days=2)).isoformat(),
                    }
                )
        return {
            "customer_id": customer_id,
            "name": _name(rng),
            "phone": _phone(n),
            "email": f"{customer_id}@example.com",
            "signed_up_at": signed_up.isoformat(),
            "consents": consents,
            "channel_friend": friend,
            "orders": orders,
        }

    def dogday(self) -> None:
        rng, rates, month = self.rng, self.rates, self.month
        members: list[dict[str, Any]] = []
        for n in range(1, month.customers + 1):
            customer_id = f"dd{n:05d}"
            if rng.random() < rates.existing_share:
                members.append(self.existing_member(n, customer_id))
                joined_day = 0
            else:
                joined_day = rng.randrange(1, DAYS + 1)
                joined = _moment(rng, joined_day)
                self.joined[customer_id] = joined
                self.mall(
                    joined, "sign-up", customer_id, "add_member",
                    customer_id, _name(rng), _phone(n), f"{customer_id}@example.com",
                    sms=rng.random() < rates.sms_consent, news_mail=rng.random() < rates.email_consent,
                )  # fmt: skip
                # A new member looks around on the day they join.
                self.visit(customer_id, joined + timedelta(minutes=2), first=True)
            active = rng.random() < rates.active_share
            self.month_of(customer_id, joined_day, active)
            if rng.random() < rates.consent_change:
                day = rng.randrange(max(joined_day, 1), DAYS + 1)
                withdraw = rng.random() < 0.75
                at = _moment(rng, day)
                if not self.is_member(customer_id, at):  # the day they join, after joining
                    at = self.joined[customer_id] + timedelta(hours=1)
                kind = "consent withdrawn" if withdraw else "consent given"
                self.mall(at, kind, customer_id, "change_member", customer_id, sms=not withdraw)
        for start in range(0, len(members), 500):
            month.import_pages.append({"members": members[start : start + 500]})
        month.imported = len(members)

    def month_of(self, customer_id: str, joined_day: int, active: bool) -> None:
        rng, rates = self.rng, self.rates
        per_day = (rates.visits_active if active else rates.visits_dormant) / DAYS
        for day in range(max(joined_day, 1), DAYS + 1):
            lift = rates.promotion_lift if in_promotion(day_start(day)) else 1.0
            if rng.random() < per_day * lift:
                self.visit(customer_id, _moment(rng, day))

    def visit(self, customer_id: str, at: datetime, first: bool = False) -> None:
        rng, rates = self.rng, self.rates
        product = rng.choice(list(PRODUCTS))
        paths = ["/", f"/product/{product}"]
        if in_promotion(at):
            paths += [PROMOTION_PATH] * rng.choice((1, 2, 3, 4))
        events: list[dict[str, Any]] = [{"id": f"{customer_id}-{at:%m%d%H%M%S}-v", "type": "visit"}]
        for i, path in enumerate(paths):
            events.append(
                {"id": f"{customer_id}-{at:%m%d%H%M%S}-{i}", "type": "page_view", "path": path,
                 "dwell_seconds": rng.randrange(5, 120)}
            )  # fmt: skip
        request = samples.tracker_request(f"v-{customer_id}", events, member_id=customer_id)
        self.add(at, request, "visit", customer_id)
        if not self.is_member(customer_id, at):
            return  # a visit before they sign up: no login, and Cafe24 sends no guest's cart
        if not first and rng.random() < rates.login_per_visit:
            self.mall(at + timedelta(seconds=20), "login", customer_id, "login", customer_id)
        if rng.random() < rates.cart_per_visit * (1.3 if in_promotion(at) else 1.0):
            if in_promotion(at) and rng.random() < 0.6:
                product = rng.choice(PROMOTED)
            cart_at = at + timedelta(minutes=rng.randrange(1, 10))
            self.mall(cart_at, "cart", customer_id, "add_to_cart", customer_id, product_no(product))
            if rng.random() < rates.order_per_cart:
                delay = (
                    timedelta(minutes=rng.randrange(2, 30))
                    if rng.random() < 0.7
                    else timedelta(hours=rng.randrange(2, 48))
                )
                self.order(customer_id, cart_at + delay, product)

    def order(self, customer_id: str, at: datetime, product: str) -> None:
        rng, rates = self.rng, self.rates
        self.order_seq += 1
        order_id = f"{at:%Y%m%d}-{self.order_seq:07d}"
        paid = rng.random() >= rates.unpaid_order
        self.mall(
            at, "order" if paid else "order unpaid", customer_id, "place_order",
            order_id, customer_id, ((product_no(product), 1),), paid=paid,
            payment_method="card" if paid else "cash", buyer_name=_name(rng),
            buyer_cellphone=_phone(int(customer_id[2:])), buyer_email=f"{customer_id}@example.com",
        )  # fmt: skip
        if not paid:
            return
        if rng.random() < rates.cancel_before_shipping:
            self.mall(at + timedelta(hours=rng.randrange(1, 12)), "cancel", customer_id, "cancel", order_id)
            return
        shipped = datetime.combine(at.date() + timedelta(days=1), time(14, rng.randrange(60)), KST)
        self.mall(shipped, "shipped", customer_id, "ship", (order_id,))
        delivered = shipped + timedelta(days=rng.choice((1, 1, 2, 3)), hours=rng.randrange(-4, 9))
        self.mall(delivered, "delivered", customer_id, "deliver", order_id)
        if rng.random() < rates.refund_after_delivery:
            returned = delivered + timedelta(days=rng.randrange(1, 5), hours=rng.randrange(1, 8))
            self.mall(returned, "return", customer_id, "return_items", order_id)
            # The returned parcel reaches the warehouse and the store refunds it.
            self.mall(returned + timedelta(days=2), "refund", customer_id, "refund", order_id)

    # ------------------------------------------------------------ maple-goods (Shopify)

    def maple(self) -> None:
        rng = self.rng
        for n in range(1, self.rates.shopify_customers + 1):
            customer_id = 7_000_000 + n
            cid = str(customer_id)
            at = _moment(rng, rng.randrange(1, DAYS + 1))
            sms = "subscribed" if rng.random() < 0.5 else "not_subscribed"
            customer = samples.shopify_customer(customer_id, _name(rng), "", _phone(5000 + n), at, sms)
            self.shopify("customers/create", customer, f"maple-c-{n}", at, "sign-up", cid)
            if rng.random() >= 0.5:
                continue
            lines = [(8001 + rng.randrange(3), 1, "18000.00")]
            token = f"ck{n:05d}"
            checkout_at = at + timedelta(minutes=rng.randrange(3, 40))
            checkout = samples.shopify_checkout(token, customer, checkout_at, lines)
            self.shopify("checkouts/create", checkout, f"maple-ck-{n}", checkout_at, "checkout", cid)
            if rng.random() >= 0.55:
                continue  # left at checkout
            order_at = checkout_at + timedelta(minutes=rng.randrange(1, 20))
            order_id = 9_000_000 + n
            order = samples.shopify_order(order_id, customer, order_at, lines, checkout_token=token)
            self.shopify("orders/create", order, f"maple-o-{n}", order_at, "order", cid)
            delivered = order_at + timedelta(days=2, hours=rng.randrange(0, 6))
            fulfillment = samples.shopify_fulfillment(order_id * 10, order_id, delivered, "delivered")
            self.shopify("fulfillments/update", fulfillment, f"maple-f-{n}", delivered, "delivered", cid)

    def shopify(
        self, topic: str, payload: dict[str, Any], event_id: str, at: datetime, kind: str, customer_id: str
    ) -> None:
        self.add(at, samples.shopify_request(topic, payload, event_id, triggered_at=at), kind, customer_id)


def product_no(product: str) -> int:
    """The product's number in the Cafe24 mall (1001-1006, in PRODUCTS' order)."""
    return 1001 + list(PRODUCTS).index(product)


def cart_id(product: str) -> str:
    """The product as Nudge's profile holds it, from Cafe24's carts and orders alike (the product number:
    Nudge reads an order's items from the Admin API, and each item carries `product_no`)."""
    return str(product_no(product))


def catalog() -> list[tuple[int, str, int]]:
    """The mall's products as the month starts: (product number, name, price)."""
    return [(product_no(p), PRODUCT_NAMES[p], price) for p, (price, _) in PRODUCTS.items()]


def build(customers: int = 5_000, seed: int = 2026, rates: Rates | None = None) -> Month:
    """The month's requests in the order they arrive, and the member-import pages sent before it starts."""
    builder = _Builder(customers, rates or Rates(), seed)
    builder.dogday()
    builder.maple()
    builder.month.arrivals.sort(key=lambda a: a.at)
    return builder.month


STORES = (DOGDAY.store.store_id, MAPLE.store.store_id)
