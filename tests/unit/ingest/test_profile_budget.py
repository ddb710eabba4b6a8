"""A profile stays within its budget whatever arrives: the item DynamoDB stores is measured as DynamoDB
measures it (nudge_local.bill.capacity.item_size over the adapter's item), never near the 400 KB limit, and
what goes to keep it there is the oldest page views, cart lines or purchases, never an order or a consent."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from nudge.adapters.profile_item import to_item
from nudge.ingest.platforms.delivery import Delivery
from nudge.ingest.service import apply_delivery
from nudge.profiles import budget
from nudge.profiles.budget import BUDGETS, DYNAMODB_ITEM_LIMIT, PROFILE_BUDGET, Part, part_sizes
from nudge.profiles.events import (
    MAX_ATTRIBUTES,
    CartLine,
    CartUpdated,
    CheckoutStarted,
    ConsentChanged,
    ConsentChannel,
    MemberDetails,
    MemberJoined,
    NormalizedEvent,
    OrderDelivered,
    OrderLine,
    OrderPaid,
    OrderPlaced,
    PageViewed,
    VisitStarted,
)
from nudge.profiles.profile import (
    MAX_CART_LINES,
    MAX_PATH_LENGTH,
    MAX_PRODUCTS_PER_ORDER,
    PAGE_VIEW_DAY_BYTES,
    Cart,
    Checkout,
    Consent,
    Order,
    OrderStatus,
    Profile,
)
from nudge_local.bill.capacity import item_size, value_size
from nudge_local.demo import samples
from nudge_local.runtime.stores import DOGDAY
from tests.fakes import local_dependencies
from tests.unit.ingest.helpers import send

KST = ZoneInfo("Asia/Seoul")
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=KST)
STORE = DOGDAY.store
MEMBER = "dogfan01"

# Which of the adapter's attributes hold each part (everything else is the identity's).
ATTRIBUTES = {
    Part.CONSENTS: ("cs",),
    Part.CHECKOUT: ("co",),
    Part.PAGE_VIEWS: ("pv", "dw"),
    Part.PRODUCT_VIEWS: ("vw",),
    Part.CART: ("ct",),
    Part.ORDERS: ("od",),
    Part.PRODUCTS_BOUGHT: ("pb",),
}


def stored_size(profile: Profile) -> int:
    return item_size(to_item(profile))


def stored_part_sizes(profile: Profile) -> dict[Part, int]:
    item = to_item(profile)
    sizes = {
        part: sum(len(a) + value_size(item[a]) for a in names if a in item)
        for part, names in ATTRIBUTES.items()
    }
    claimed = {a for names in ATTRIBUTES.values() for a in names}
    sizes[Part.IDENTITY] = sum(len(a) + value_size(v) for a, v in item.items() if a not in claimed)
    return sizes


# ---------------------------------------------------------------- the budgets themselves


def _largest_fixed_parts() -> Profile:
    """Every bounded field at its longest, in 4-byte characters where text is free."""
    wide = "\U0001f436"  # 4 bytes in UTF-8
    at = datetime(2099, 12, 31, 23, 59, 59, tzinfo=UTC)  # instants with many significant digits
    profile = Profile(
        store_id="s" * 63,
        customer_id=wide * 200,
        phone="+821012345678",
        name=wide * 100,
        email=wide * 254,
        details_at=at,
        joined_at=at,
        last_login_at=at,
        channel_friend=True,
        channel_friend_at=at,
        adult_verified=True,
        grade=wide * 64,
        attributes={f"a{i:031d}": wide * 60 for i in range(MAX_ATTRIBUTES)},
        first_visit_at=at,
        last_visit_at=at,
        visit_count=987_654_321,
        first_purchase_at=at,
        last_purchase_at=at,
        created_at=at,
        updated_at=at,
        expires_at=at,
        tracker_window=at,
        tracker_batches=987_654_321,
        version=987_654_321,
        consents={c.value: Consent(True, at, wide * 200) for c in ConsentChannel},
        checkout=Checkout(wide * 200, at, Decimal("12345678901234.1234"), wide * 2048, at),
        cart=Cart(last_added_at=at, updated_at=at, cleared_at=at),
    )
    return profile


def test_the_budgets_and_the_largest_fixed_parts_fit_the_profile_budget_far_from_dynamodbs_limit() -> None:
    fixed = part_sizes(_largest_fixed_parts())
    bounded = fixed[Part.IDENTITY] + fixed[Part.CONSENTS] + fixed[Part.CHECKOUT]
    # The identity's counts and amounts come from the budgeted parts: room for the largest of them too.
    assert bounded + sum(BUDGETS.values()) + 200 <= PROFILE_BUDGET
    assert PROFILE_BUDGET <= DYNAMODB_ITEM_LIMIT * 2 // 3
    assert budget.PAGE_VIEW_DAY == PAGE_VIEW_DAY_BYTES < BUDGETS[Part.PAGE_VIEWS]


@st.composite
def _profiles(draw: st.DrawFn) -> Profile:
    text = st.text(st.characters(codec="utf-8"), min_size=1, max_size=40)
    instants = st.datetimes(datetime(2025, 1, 1), datetime(2027, 1, 1), timezones=st.just(UTC)).map(
        lambda d: d.replace(microsecond=0)
    )
    money = st.decimals(0, 10**9, places=2, allow_nan=False, allow_infinity=False)
    days = st.dates().map(lambda d: d.strftime("%Y%m%d"))
    products = st.lists(text, max_size=6, unique=True)
    categories = st.lists(text, max_size=4).map(tuple)
    lines = draw(products)
    order_ids = draw(st.lists(text, max_size=5, unique=True))
    return Profile(
        store_id=draw(st.from_regex(r"[a-z0-9][a-z0-9-]{1,20}", fullmatch=True)),
        customer_id=draw(text),
        phone=draw(st.none() | st.just("+821012345678")),
        name=draw(st.none() | text),
        email=draw(st.none() | text),
        joined_at=draw(st.none() | instants),
        channel_friend=draw(st.sampled_from([None, True, False])),
        adult_verified=draw(st.booleans()),
        grade=draw(st.none() | text),
        attributes=draw(
            st.dictionaries(st.from_regex(r"[a-z][a-z0-9_]{0,31}", fullmatch=True), text, max_size=3)
        ),
        visit_count=draw(st.integers(0, 10**6)),
        consents=draw(
            st.dictionaries(
                st.sampled_from([c.value for c in ConsentChannel]),
                st.builds(Consent, st.booleans(), instants, text),
            )
        ),
        page_views=draw(
            st.dictionaries(days, st.dictionaries(text, st.integers(1, 10**5), min_size=1), max_size=4)
        ),
        dwell_seconds=draw(st.dictionaries(days, st.integers(0, 10**6), max_size=4)),
        cart=Cart(
            lines={p: draw(st.integers(0, 1000)) for p in lines},
            prices={p: draw(money) for p in lines if draw(st.booleans())},
            added={p: draw(instants) for p in lines if draw(st.booleans())},
            names={p: draw(text) for p in lines if draw(st.booleans())},
            categories={p: draw(categories) for p in lines if draw(st.booleans())},
            last_added_at=draw(st.none() | instants),
            updated_at=draw(st.none() | instants),
        ),
        checkout=draw(
            st.none()
            | st.builds(Checkout, text, instants, st.none() | money, st.none() | text, st.none() | instants)
        ),
        orders={
            oid: Order(
                oid,
                draw(st.sampled_from(list(OrderStatus))),
                draw(instants),
                draw(st.none() | instants),
                draw(st.none() | money),
                tuple(draw(products)),
                draw(st.none() | instants),
                draw(st.none() | instants),
                draw(st.none() | text),
                refunded=draw(st.none() | money),
                categories=draw(categories),
                first_item=draw(st.none() | text),
                item_count=draw(st.integers(0, 500)),
            )
            for oid in order_ids
        },
        products_bought=draw(st.dictionaries(text, instants, max_size=5)),
        product_views=draw(st.dictionaries(text, st.lists(instants, min_size=1, max_size=10), max_size=5)),
        last_purchase_at=draw(st.none() | instants),
        created_at=draw(st.none() | instants),
        tracker_window=draw(st.none() | instants),
        tracker_batches=draw(st.integers(0, 500)),
        expires_at=draw(st.none() | instants),
        version=draw(st.integers(0, 10**6)),
    )


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(_profiles())
def test_the_budgets_measure_what_dynamodb_stores(profile: Profile) -> None:
    ours, stored = part_sizes(profile), stored_part_sizes(profile)
    item = to_item(profile)
    claimed = {a for names in ATTRIBUTES.values() for a in names}
    for part in Part:
        names = [a for a in item if (a in ATTRIBUTES[part] if part in ATTRIBUTES else a not in claimed)]
        # Never under; over by at most what NAME_ALLOWANCE allows the adapter's (shorter) names.
        assert stored[part] <= ours[part] <= stored[part] + budget.NAME_ALLOWANCE * len(names), part
    assert stored_size(profile) <= budget.profile_size(profile)


# ---------------------------------------------------------------- whatever arrives


def _common(key: str, at: datetime) -> dict[str, Any]:
    return {
        "event_id": key,
        "store_id": STORE.store_id,
        "customer_id": MEMBER,
        "occurred_at": at,
        "source": "t",
    }


# Text whose UTF-8 bytes per character differ: DynamoDB counts bytes.
WIDE = st.sampled_from(["x", "가", "\U0001f436"])


@st.composite
def _deliveries(draw: st.DrawFn) -> list[tuple[datetime, list[NormalizedEvent]]]:
    """A customer's life as the storefront, the tracker and the platform's webhooks tell it, over ~70 days
    (a heavy fortnight among them): floods of page views of distinct long paths and of cart lines with long
    product ids, among realistic orders, order updates and consent changes, some arriving late."""
    out: list[tuple[datetime, list[NormalizedEvent]]] = []
    orders: list[str] = []
    for n in range(draw(st.integers(1, 50))):
        day = draw(st.integers(0, 13) | st.integers(0, 69))
        at = T0 + timedelta(days=day, hours=draw(st.integers(0, 23)), seconds=n)
        key = f"d{n}"
        kind = draw(
            st.sampled_from(
                ["views"] * 8
                + [
                    "visit",
                    "cart",
                    "replace",
                    "order",
                    "order",
                    "status",
                    "consent",
                    "consent",
                    "checkout",
                    "member",
                ]
            )
        )
        events: list[NormalizedEvent]
        match kind:
            case "views":
                count, length, char = (
                    draw(st.integers(1, 60)),
                    draw(st.sampled_from([8, 300, 511])),
                    draw(WIDE),
                )
                paths = [f"/{n}/{i}/".ljust(length // len(char.encode()), char) for i in range(count)]
                product = draw(st.sampled_from([0, 8, 200]))  # the product page's id, and its length
                # A loop, not a comprehension: CPython 3.13 crashes reading the frame of an inlined
                # comprehension when pydantic builds a deferred schema from inside it.
                events = []
                for i, p in enumerate(paths):
                    shown = f"{n}-{i}-".ljust(product, "v") if product else None
                    common = _common(f"{key}#{i}", at + timedelta(minutes=i))
                    events.append(PageViewed(**common, path=p, dwell_seconds=i, product_id=shown))
            case "visit":
                events = [VisitStarted(**_common(key, at))]
            case "cart" | "replace":
                count, length, char = draw(st.integers(1, 200)), draw(st.sampled_from([6, 180])), draw(WIDE)
                name_length, category_count = draw(st.sampled_from([0, 250])), draw(st.sampled_from([0, 20]))
                lines = [
                    CartLine(
                        product_id=f"{n}-{i}-".ljust(length // len(char.encode()), char),
                        price=Decimal("12345.67"),
                        name=char * name_length or None,
                        category_ids=tuple(f"C{c}-".ljust(30, char) for c in range(category_count)),
                    )
                    for i in range(count)
                ]
                events = [CartUpdated(**_common(key, at), replace=kind == "replace", lines=lines)]
            case "order":
                order_id = f"2026{n:04d}-{draw(st.integers(0, 10**6)):07d}"
                orders.append(order_id)
                products = [f"P{draw(st.integers(0, 10**6)):07d}" for _ in range(draw(st.integers(0, 5)))]
                events = [
                    OrderPlaced(
                        **_common(key, at),
                        order_id=order_id,
                        amount=Decimal(42000),
                        lines=[
                            OrderLine(product_id=p, category_ids=tuple(f"{p}-C{c}" for c in range(20)))
                            for p in products
                        ],
                    ),
                    OrderPaid(**_common(f"{key}#p", at), order_id=order_id),
                ]
            case "status" if orders:
                events = [OrderDelivered(**_common(key, at), order_id=draw(st.sampled_from(orders)))]
            case "consent":
                channel = draw(st.sampled_from(list(ConsentChannel)))
                events = [ConsentChanged(**_common(key, at), channel=channel, granted=draw(st.booleans()))]
            case "checkout":
                url = "https://x.example/" + draw(WIDE) * draw(st.integers(0, 500))
                events = [CheckoutStarted(**_common(key, at), checkout_id=f"c-{n}", recovery_url=url)]
            case _:
                events = [
                    MemberJoined(
                        **_common(key, at), member=MemberDetails(name="김민지", email="m@example.com")
                    )
                ]
        out.append((at, events))
    return out


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_deliveries())
def test_whatever_arrives_the_stored_item_stays_within_its_budget_and_keeps_every_order_and_consent(
    deliveries: list[tuple[datetime, list[NormalizedEvent]]],
) -> None:
    deps, profiles, _ = local_dependencies()
    placed: set[str] = set()
    consents: dict[str, datetime] = {}
    now, largest = T0, 0
    for n, (at, events) in enumerate(deliveries):
        now = max(now, at)  # late events arrive after newer ones
        result = apply_delivery(Delivery(f"k{n}", MEMBER, events), STORE, deps, now)
        assert result.status == "applied"
        for part in result.trimmed:
            event(f"trimmed {part}")
        profile = profiles.get(STORE.store_id, MEMBER)
        sizes = stored_part_sizes(profile)
        assert stored_size(profile) <= PROFILE_BUDGET < DYNAMODB_ITEM_LIMIT
        for part, limit in BUDGETS.items():
            assert sizes[part] <= limit, part
        for applied in events:
            if isinstance(applied, OrderPlaced):
                placed.add(applied.order_id)
            if isinstance(applied, ConsentChanged):
                channel = applied.channel.value
                consents[channel] = max(consents.get(channel, applied.occurred_at), applied.occurred_at)
        assert set(profile.orders) == placed  # orders are never what makes room
        assert {ch: c.at for ch, c in profile.consents.items()} == consents  # nor consents
        assert "orders" not in result.trimmed
        largest = max(largest, stored_size(profile))
        assert len(profile.cart.lines) <= MAX_CART_LINES
        assert all(len(p) <= MAX_PATH_LENGTH for day in profile.page_views.values() for p in day)
        assert all(len(o.products) <= MAX_PRODUCTS_PER_ORDER for o in profile.orders.values())
    event(f"largest item {'over' if largest > 100 * 1024 else 'under'} 100 KB")


# ---------------------------------------------------------------- what goes, and what segments still see


def test_page_views_give_way_oldest_day_first_and_the_newest_days_stay() -> None:
    deps, profiles, _ = local_dependencies()
    for day in range(30):
        at = T0 + timedelta(days=day)
        views = [
            PageViewed(**_common(f"{day}-{i}", at), path=f"/event/{day}/{i}/" + "x" * 300) for i in range(100)
        ]
        result = apply_delivery(Delivery(f"k{day}", MEMBER, views), STORE, deps, at)  # type: ignore[arg-type]
    profile = profiles.get(STORE.store_id, MEMBER)
    kept = sorted(profile.page_views)
    newest = (T0 + timedelta(days=29)).strftime("%Y%m%d")
    assert kept[-1] == newest and len(kept) >= 7  # at least a week of the heaviest browsing
    assert kept == [(T0 + timedelta(days=d)).strftime("%Y%m%d") for d in range(30 - len(kept), 30)]
    assert result.trimmed == ("page_views",)
    assert stored_part_sizes(profile)[Part.PAGE_VIEWS] <= BUDGETS[Part.PAGE_VIEWS]
    # A day keeps what fits its own budget: the first paths of the day, counted every time they are seen.
    assert budget.day_size(profile.page_views[newest]) <= PAGE_VIEW_DAY_BYTES


def test_a_path_keeps_its_first_characters_and_segments_compare_the_same() -> None:
    from nudge.segments.evaluate import compile_segment

    deps, profiles, _ = local_dependencies()
    long_path = "/product/" + "%EA%B0%95" * 40 + "/123/category/24/display/1/"
    view = PageViewed(**_common("v", T0), path=long_path)
    apply_delivery(Delivery("k", MEMBER, [view]), STORE, deps, T0)
    profile = profiles.get(STORE.store_id, MEMBER)
    assert list(profile.page_views[f"{T0:%Y%m%d}"]) == [long_path[:MAX_PATH_LENGTH]]
    for match in ("exact", "prefix"):
        condition = {"field": "content.page_views", "path": long_path, "match": match, "op": ">=", "value": 1}
        segment = compile_segment({"include": [condition]}, STORE.zone, T0)
        assert segment.matches(profile), match


def test_a_flood_of_cart_lines_keeps_the_lines_added_last() -> None:
    """Finding: 5,000 distinct products added to a cart (Cafe24 90084, a webhook each) made a 115 KB cart."""
    deps, profiles, _ = local_dependencies()
    for n in range(600):
        send(deps, samples.cafe24_added_to_cart(MEMBER, 10_000 + n), T0 + timedelta(seconds=n))
    profile = profiles.get(STORE.store_id, MEMBER)
    assert len(profile.cart.lines) == MAX_CART_LINES
    assert set(profile.cart.lines) == {f"{10_000 + n}" for n in range(500, 600)}
    assert stored_part_sizes(profile)[Part.CART] <= BUDGETS[Part.CART]
    assert stored_size(profile) < 16 * 1024


def test_a_legacy_item_over_its_budgets_is_brought_within_them_by_its_next_write() -> None:
    """A profile written before the budget (a 5,000-line cart, a year of long page views) is trimmed by the
    next delivery, which is applied, not refused."""
    deps, profiles, _ = local_dependencies()
    at = T0 + timedelta(days=30)
    legacy = Profile(STORE.store_id, MEMBER, version=1)
    legacy.cart.lines = {f"P{n:06d}": 1 for n in range(5_000)}
    legacy.page_views = {
        (at - timedelta(days=d)).strftime("%Y%m%d"): {f"/{d}/{i}" + "y" * 500: 1 for i in range(100)}
        for d in range(40)
    }
    profiles.profiles[(STORE.store_id, MEMBER)] = legacy
    withdrawn = ConsentChanged(**_common("c", at), channel=ConsentChannel.SMS, granted=False)
    result = apply_delivery(Delivery("k", MEMBER, [withdrawn]), STORE, deps, at)
    assert result.status == "applied" and set(result.trimmed) == {"cart", "page_views"}
    profile = profiles.get(STORE.store_id, MEMBER)
    assert profile.consents["sms"].granted is False and stored_size(profile) <= PROFILE_BUDGET


def test_orders_and_purchases_give_way_only_to_their_own_budgets_oldest_first() -> None:
    """Only authenticated webhooks write orders, and realistic ones never reach their budget; an extreme
    history (orders of 50 products with 200-character ids) keeps its newest orders, and the purchases its
    most recent products."""
    deps, profiles, _ = local_dependencies()
    for n in range(40):
        at = T0 + timedelta(hours=n)
        lines = [OrderLine(product_id=f"{n:03d}-{i:02d}-".ljust(200, "p")) for i in range(60)]
        placed = OrderPlaced(**_common(f"o{n}", at), order_id=f"O-{n:03d}", amount=Decimal(1), lines=lines)
        paid = OrderPaid(**_common(f"p{n}", at), order_id=f"O-{n:03d}")
        result = apply_delivery(Delivery(f"k{n}", MEMBER, [placed, paid]), STORE, deps, at)
        assert f"O-{n:03d}" in profiles.get(STORE.store_id, MEMBER).orders  # the order just placed stays
    profile = profiles.get(STORE.store_id, MEMBER)
    assert set(result.trimmed) == {"orders", "products_bought"}
    assert all(len(o.products) == MAX_PRODUCTS_PER_ORDER for o in profile.orders.values())
    kept = sorted(profile.orders)
    assert kept == [f"O-{n:03d}" for n in range(40 - len(kept), 40)]
    sizes = stored_part_sizes(profile)
    assert sizes[Part.ORDERS] <= BUDGETS[Part.ORDERS]
    assert sizes[Part.PRODUCTS_BOUGHT] <= BUDGETS[Part.PRODUCTS_BOUGHT]
    newest = {p for p in profile.orders["O-039"].products}
    assert newest <= set(profile.products_bought)


def test_an_imported_member_with_the_largest_history_the_import_takes_fits_one_item() -> None:
    """A member import takes 200 orders of 50 products of 200 characters: far more than one item holds."""
    from nudge.ingest.member_import import import_members

    orders = [
        {
            "order_id": f"O-{n:03d}",
            "placed_at": (T0 + timedelta(hours=n)).isoformat(),
            "amount": 1000,
            "products": [f"{n:03d}-{i:02d}-".ljust(200, "p") for i in range(50)],
        }
        for n in range(200)
    ]
    member = {"customer_id": MEMBER, "signed_up_at": T0.isoformat(), "orders": orders}
    _, profiles, _ = local_dependencies()
    result = import_members(STORE, {"members": [member]}, profiles, T0 + timedelta(days=10))
    assert result.created == 1
    profile = profiles.get(STORE.store_id, MEMBER)
    assert stored_size(profile) <= PROFILE_BUDGET and "O-199" in profile.orders


def test_product_views_keep_the_products_viewed_last_within_their_budget() -> None:
    """The tracker names the product of every page: a visitor viewing hundreds of products (ids of 200
    characters) keeps the ones viewed last, each with its last views, and the part stays within budget."""
    from nudge.profiles.profile import MAX_VIEWED_PRODUCTS, MAX_VIEWS_PER_PRODUCT

    deps, profiles, _ = local_dependencies()
    for n in range(300):
        at = T0 + timedelta(minutes=n)
        views = [
            PageViewed(
                **_common(f"{n}-{i}", at + timedelta(seconds=61 * i)),
                path="/p",
                product_id=f"{n:03d}".ljust(200, "p"),
            )
            for i in range(12)
        ]
        result = apply_delivery(Delivery(f"k{n}", MEMBER, views), STORE, deps, at)  # type: ignore[arg-type]
    profile = profiles.get(STORE.store_id, MEMBER)
    assert len(profile.product_views) <= MAX_VIEWED_PRODUCTS
    assert all(len(times) == MAX_VIEWS_PER_PRODUCT for times in profile.product_views.values())
    kept = sorted(profile.product_views)
    assert kept == [f"{n:03d}".ljust(200, "p") for n in range(300 - len(kept), 300)]
    assert result.trimmed == ("product_views",)
    assert stored_part_sizes(profile)[Part.PRODUCT_VIEWS] <= BUDGETS[Part.PRODUCT_VIEWS]


def test_an_item_written_before_names_categories_and_product_views_reads_as_before() -> None:
    from nudge.adapters.profile_item import from_item

    old = {
        "pk": "dogday-mall#03",
        "sk": MEMBER,
        "v": 3,
        "ct": {"l": {"P1": 2}, "p": {"P1": Decimal(21000)}},
        "od": {
            "O-1": ["paid", 1773792000, 1773792000, Decimal(42000), ["P1"], 1773792000, None, None],
            "O-2": [
                "paid",
                1773792000,
                1773792000,
                Decimal(42000),
                ["P1"],
                1773792000,
                None,
                None,
                Decimal(1),
            ],
        },
    }
    profile = from_item(STORE.store_id, old)
    assert profile.cart.names == {} and profile.cart.categories == {} and profile.product_views == {}
    assert profile.orders["O-1"].categories == () and profile.orders["O-2"].refunded == Decimal(1)
    # Written again, an order with categories but no refund keeps its ninth element null.
    profile.orders["O-1"].categories = ("24", "31")
    again = from_item(STORE.store_id, to_item(profile))
    assert again.orders["O-1"].refunded is None and again.orders["O-1"].categories == ("24", "31")
    assert again.orders["O-2"].categories == ()
