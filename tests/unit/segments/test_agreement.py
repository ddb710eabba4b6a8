"""The two ways of asking — one Profile at an automation's fire time, raw DynamoDB items for a campaign —
must give the same answer for every customer and every segment, or a customer would get a campaign
message an automation would have refused them (or miss one)."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from nudge.profiles.profile import Cart, Checkout, Consent, Order, OrderStatus, Profile
from nudge.segments.evaluate import compile_segment
from nudge.segments.item_compiler import member_of, screen_paths
from nudge.segments.language import SegmentInvalid, parse_segment
from tests.unit.segments.helpers import KST, NOW, STORE, dynamodb_item, project

NOW_TS = int(NOW.timestamp())
PRODUCTS = ["P1", "P2", "P3", "P4"]
PATHS = ["/event/dogday", "/event/dogday/snack", "/product/P1", "/"]
CHANNELS = ["sms", "kakao", "email", "push", "night"]
CATEGORIES = ["24", "25", "31"]
GRADES = ["1", "2", "3", "VIP"]
category_ids = st.lists(st.sampled_from(CATEGORIES), max_size=2, unique=True).map(tuple)

# Instants cluster around day boundaries and "now" so that off-by-one-day mistakes show.
instants = st.one_of(
    st.integers(NOW_TS - 400 * 86_400, NOW_TS + 3_600),
    st.integers(NOW_TS - 12 * 86_400, NOW_TS + 3_600),
    st.builds(
        lambda d, s: (
            int(datetime.combine(NOW.date() - timedelta(days=d), datetime.min.time(), KST).timestamp()) + s
        ),
        st.integers(-1, 12),
        st.sampled_from([-1, 0, 1]),
    ),
).map(lambda ts: datetime.fromtimestamp(ts, UTC))
maybe_instant = st.none() | instants
with_micros = st.builds(lambda at, us: at + timedelta(microseconds=us), instants, st.integers(0, 999_999))
day_keys = st.integers(0, 65).map(lambda d: (NOW - timedelta(days=d)).strftime("%Y%m%d"))
money = st.integers(0, 800_000).map(Decimal) | st.decimals("0", "99999.99", places=2)


@st.composite
def orders(draw: st.DrawFn) -> dict[str, Order]:
    out = {}
    for i in range(draw(st.integers(0, 6))):
        paid = draw(st.none() | with_micros)
        out[f"O{i}"] = Order(
            order_id=f"O{i}",
            status=draw(st.sampled_from(list(OrderStatus))),
            status_at=draw(instants),
            placed_at=draw(maybe_instant),
            amount=draw(st.none() | money),
            products=tuple(draw(st.lists(st.sampled_from(PRODUCTS), max_size=3, unique=True))),
            paid_at=paid,
            refunded=draw(st.none() | money),  # in part (a full refund is the REFUNDED status)
            categories=draw(category_ids),
        )
    return out


@st.composite
def profiles(draw: st.DrawFn) -> Profile:
    lines = draw(st.dictionaries(st.sampled_from(PRODUCTS), st.integers(1, 3), max_size=3))
    return Profile(
        store_id=STORE,
        customer_id=draw(st.from_regex(r"[a-z0-9]{1,8}", fullmatch=True)),
        joined_at=draw(maybe_instant),
        last_login_at=draw(st.none() | with_micros),
        consents=draw(
            st.dictionaries(
                st.sampled_from(CHANNELS), st.builds(Consent, st.booleans(), instants, st.just("join"))
            )
        ),
        channel_friend=draw(st.sampled_from([None, True, False])),
        grade=draw(st.none() | st.sampled_from(GRADES)),
        first_visit_at=draw(maybe_instant),
        last_visit_at=draw(st.none() | with_micros),
        visit_count=draw(st.integers(0, 30)),
        page_views=draw(
            st.dictionaries(day_keys, st.dictionaries(st.sampled_from(PATHS), st.integers(1, 6), min_size=1))
        ),
        dwell_seconds=draw(st.dictionaries(day_keys, st.integers(1, 3_000))),
        cart=Cart(
            lines=lines,
            prices={p: draw(money) for p in lines if draw(st.booleans())},
            categories={p: c for p in lines if (c := draw(category_ids))},
            last_added_at=draw(maybe_instant),
        ),
        checkout=draw(
            st.none()
            | st.builds(Checkout, st.just("ck"), instants, st.none() | money, st.none(), maybe_instant)
        ),
        orders=draw(orders()),
        products_bought=draw(st.dictionaries(st.sampled_from(PRODUCTS), instants)),
        first_purchase_at=draw(maybe_instant),
        last_purchase_at=draw(st.none() | with_micros),
    )


def _date(d: int) -> str:
    return (NOW.date() - timedelta(days=d)).isoformat()


days = st.integers(0, 10) | st.integers(0, 200)
# At most one relative and one absolute bound: more rarely adds cases and mostly adds empty windows.
date_bounds = st.fixed_dictionaries(
    {},
    optional={
        "within_days": days,
        "not_within_days": days,
        **{name: st.integers(-2, 12).map(_date) for name in ("before", "after")},
    },
).flatmap(
    lambda d: st.builds(
        lambda names: {names.get(k, k): v for k, v in d.items()},
        st.fixed_dictionaries(
            {
                "before": st.sampled_from(["before", "on_or_before"]),
                "after": st.sampled_from(["after", "on_or_after"]),
            }
        ),
    )
)
comparison = st.one_of(
    st.fixed_dictionaries(
        {
            "op": st.sampled_from([">=", ">", "<=", "<", "==", "!="]),
            "value": st.integers(0, 60) | st.floats(0, 1e5),
        }
    ),
    st.tuples(st.integers(0, 60), st.integers(0, 60)).map(lambda t: {"between": sorted(t)}),
    st.tuples(st.integers(0, 200_000), st.integers(0, 900_000)).map(lambda t: {"between": sorted(t)}),
)
products = st.lists(st.sampled_from([*PRODUCTS, "P9"]), min_size=1, max_size=3, unique=True).flatmap(
    lambda ps: st.sampled_from([{"any_of": ps}, {"all_of": ps}])
)

categories = st.lists(st.sampled_from([*CATEGORIES, "99"]), min_size=1, max_size=3, unique=True).flatmap(
    lambda cs: st.sampled_from([{"any_of": cs}, {"all_of": cs}])
)


def _with(field: str, *parts: st.SearchStrategy[dict[str, Any]], **fixed: Any) -> st.SearchStrategy[dict]:
    return st.tuples(*parts).map(
        lambda ds: {"field": field, **fixed, **{k: v for d in ds for k, v in d.items()}}
    )


leaf = st.one_of(
    st.just({"field": "member.all"}),
    st.sampled_from(
        [
            "member.joined",
            "member.last_login",
            "traffic.first_visit",
            "traffic.last_visit",
            "cart.last_added",
            "cart.checkout_open",
            "purchase.first",
            "purchase.last",
        ]
    ).flatmap(lambda f: _with(f, date_bounds)),
    st.builds(
        lambda c, g: {"field": "member.consent", "channel": c, "granted": g},
        st.sampled_from(CHANNELS),
        st.booleans(),
    ),
    st.booleans().map(lambda v: {"field": "member.channel_friend", "value": v}),
    st.lists(st.sampled_from([*GRADES, "9"]), min_size=1, max_size=3, unique=True).map(
        lambda gs: {"field": "member.grade", "any_of": gs}
    ),
    st.sampled_from(["traffic.visit_count", "cart.item_count", "cart.amount", "score"]).flatmap(
        lambda f: _with(f, comparison)
    ),
    _with("traffic.dwell_seconds", date_bounds, comparison),
    st.builds(
        lambda path, m: {"path": path, "match": m},
        st.sampled_from(["/event/dogday", "/product/P1", "/"]),
        st.sampled_from(["prefix", "exact"]),
    ).flatmap(lambda pm: _with("content.page_views", date_bounds, comparison, **pm)),
    st.sampled_from(["purchase.count", "purchase.amount"]).flatmap(
        lambda f: _with(f, date_bounds, comparison, st.sampled_from([{}, {"min_order_amount": 10_000}]))
    ),
    _with("cart.products", products),
    _with("purchase.products", products, date_bounds),
    _with("cart.categories", categories),
    _with("purchase.categories", categories, date_bounds),
)
conditions = st.recursive(
    leaf,
    lambda inner: st.builds(
        lambda kind, cs: {"field": kind, "conditions": cs},
        st.sampled_from(["any", "all"]),
        st.lists(inner, min_size=1, max_size=3),
    ),
    max_leaves=4,
)
segments = st.builds(
    lambda inc, exc, m: {"include": inc, "exclude": exc, "match": m},
    st.lists(conditions, min_size=1, max_size=3),
    st.lists(conditions, max_size=2),
    st.sampled_from(["all", "any"]),
)


@settings(
    max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]
)
@given(
    segment=segments,
    people=st.lists(profiles(), min_size=1, max_size=5),
    hours=st.sampled_from([0, 0, 0, -16, 9]),
)
def test_a_customer_is_in_by_profile_exactly_when_their_stored_item_is_in(
    segment: dict[str, Any], people: list[Profile], hours: int
) -> None:
    try:
        model = parse_segment(segment)
    except SegmentInvalid:
        assume(False)
        raise
    now = NOW + timedelta(hours=hours)  # sometimes just after midnight or just before it in Seoul
    compiled = compile_segment(model, KST, now)
    matcher = compiled.item_matcher
    items = [project(dynamodb_item(pr), matcher.attributes) for pr in people]
    for profile, item in zip(people, items, strict=True):
        assert matcher.matches(item) == compiled.matches(profile), matcher.source
    assert matcher.members(items) == [pr.customer_id for pr in people if compiled.matches(pr)]
    assert [it["sk"]["S"] for it in matcher.select(items)] == matcher.members(items)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(person=profiles(), channel=st.sampled_from(CHANNELS))
def test_a_members_consent_and_friendship_read_from_the_item_are_the_profiles(
    person: Profile, channel: str
) -> None:
    """What a campaign run's consent screen reads from a raw item is what the sender reads from the
    Profile (to the second: the stored instant)."""
    item = project(dynamodb_item(person), screen_paths(channel) | {("sk",)})
    member = member_of(item, channel)
    consent = person.consents.get(channel)
    expected = None if consent is None else (consent.granted, int(consent.at.timestamp()), consent.source)
    got = (
        None
        if member.consent is None
        else (member.consent.granted, int(member.consent.at.timestamp()), member.consent.source)
    )
    assert (member.customer_id, got, member.channel_friend) == (
        person.customer_id,
        expected,
        bool(person.channel_friend),
    )


def test_the_projection_asks_only_for_what_the_segment_reads() -> None:
    compiled = compile_segment(
        {
            "include": [
                {"field": "traffic.last_visit", "within_days": 0},
                {
                    "field": "content.page_views",
                    "path": "/event/dogday",
                    "within_days": 0,
                    "op": ">=",
                    "value": 3,
                },
            ],
            "exclude": [{"field": "purchase.last", "within_days": 7}],
        },
        KST,
        NOW,
    )
    matcher = compiled.item_matcher
    assert matcher.attributes == {("sk",), ("lv",), ("lp",), ("pv", "20260320")}
    assert set(matcher.names.values()) == {"sk", "lv", "lp", "pv", "20260320"}
    assert matcher.projection.count(",") == 3


def test_a_whole_map_and_one_of_its_keys_are_not_both_projected() -> None:
    # DynamoDB rejects overlapping document paths ("Two document paths overlap").
    compiled = compile_segment(
        {
            "include": [
                {"field": "content.page_views", "path": "/", "within_days": 0, "op": ">=", "value": 1},
                {"field": "score", "op": ">=", "value": 10},
                {"field": "cart.products", "any_of": ["P1"]},
                {"field": "cart.last_added", "within_days": 3},
            ]
        },
        KST,
        NOW,
    )
    paths = compiled.item_matcher.projection.split(", ")
    assert len(paths) == len(set(paths))
    assert date(2026, 3, 20).strftime("%Y%m%d") in compiled.item_matcher.names.values()
