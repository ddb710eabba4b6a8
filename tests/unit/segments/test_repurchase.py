"""Repurchase cycles per store and product: the median gap between one customer's purchases of the same
product, the store's cycle when a product has too little history, 32 days when the store has too little."""

from datetime import UTC, datetime, timedelta

from nudge.profiles.profile import OrderStatus
from nudge.segments.repurchase import DEFAULT_CYCLE_DAYS, Cycle, learn_cycles, purchases
from tests.unit.segments.helpers import customer, order

T0 = datetime(2025, 6, 1, 3, tzinfo=UTC)


def _rows(customer_id: str, product: str, gaps: list[int]) -> list[tuple[str, str, datetime]]:
    at, rows = T0, [(customer_id, product, T0)]
    for gap in gaps:
        at += timedelta(days=gap)
        rows.append((customer_id, product, at))
    return rows


def test_a_new_store_uses_the_korean_average_of_32_days() -> None:
    cycles = learn_cycles(_rows("a", "FOOD", [20, 25]))  # two intervals: not enough
    assert cycles.store == Cycle(DEFAULT_CYCLE_DAYS, 0, "default")
    assert cycles.for_product("FOOD").days == 32


def test_dog_food_bought_every_four_weeks_gets_a_28_day_cycle() -> None:
    rows = _rows("a", "FOOD", [28, 27, 29]) + _rows(
        "b", "FOOD", [28, 90]
    )  # one late return: median ignores it
    cycles = learn_cycles(rows)
    assert cycles.for_product("FOOD") == Cycle(28, 5, "product")


def test_a_product_with_little_history_falls_back_to_the_store_cycle() -> None:
    rows = _rows("a", "FOOD", [28, 28, 28, 28, 28]) + _rows("b", "SHAMPOO", [60])
    cycles = learn_cycles(rows)
    assert cycles.for_product("SHAMPOO") == cycles.store == Cycle(28, 6, "store")


def test_orders_split_on_one_day_are_one_trip_not_a_cycle() -> None:
    rows = _rows("a", "FOOD", [0, 30, 0, 30, 0, 30, 30, 30])
    assert learn_cycles(rows).for_product("FOOD") == Cycle(30, 5, "product")


def test_canceled_refunded_and_unpaid_orders_do_not_count_as_purchases() -> None:
    profile = customer(
        "c1",
        [
            order("1", T0, 10_000),
            order("2", T0 + timedelta(days=10), 10_000, status=OrderStatus.CANCELED),
            order("3", T0 + timedelta(days=20), 10_000, status=OrderStatus.REFUNDED),
            order("4", None, 10_000, status=OrderStatus.PLACED),
            order("5", T0 + timedelta(days=30), 10_000, ("P1", "P2"), status=OrderStatus.DELIVERED),
        ],
    )
    assert sorted(purchases([profile])) == [
        ("c1", "P1", T0),
        ("c1", "P1", T0 + timedelta(days=30)),
        ("c1", "P2", T0 + timedelta(days=30)),
    ]
