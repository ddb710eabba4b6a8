"""A segment form gets one clear line per mistake, naming the condition and the setting that is wrong."""

import json

import pytest

from nudge.segments.language import SegmentInvalid, parse_segment, segment_json
from nudge.segments.templates import DOG_DAY, friendtalk_segments, promotion_recipes


def _errors(data: object) -> list[str]:
    with pytest.raises(SegmentInvalid) as refused:
        parse_segment(data)  # type: ignore[arg-type]
    return refused.value.errors


VISITED_TODAY = {"field": "traffic.last_visit", "within_days": 0}


def test_a_negative_day_count_names_the_condition_and_setting() -> None:
    bad = {"include": [VISITED_TODAY, VISITED_TODAY, {"field": "purchase.last", "within_days": -1}]}
    assert _errors(bad) == ["include[2].within_days: must be ≥ 0"]


def test_an_empty_include_list_says_how_to_target_everyone() -> None:
    assert _errors({"include": []}) == [
        'include: needs at least 1 item(s); use {"field": "member.all"} for everyone'
    ]


def test_an_unknown_field_lists_the_known_ones() -> None:
    (error,) = _errors({"include": [{"field": "traffic.last_vist", "within_days": 0}]})
    assert error.startswith(
        "include[0]: unknown field 'traffic.last_vist'; expected one of all, any, cart.amount"
    )


def test_a_comparison_needs_an_operator_and_a_value_or_a_range() -> None:
    assert _errors({"include": [{"field": "score", "op": ">="}]}) == [
        'include[0]: give op and value (e.g. "op": ">=", "value": 3) or between: [low, high]'
    ]
    assert _errors({"include": [{"field": "score", "between": [100, 50]}]}) == [
        "include[0]: between must be [low, high] with low ≤ high"
    ]


def test_mistakes_inside_groups_and_the_exclude_list_are_located() -> None:
    bad = {
        "include": [
            {"field": "any", "conditions": [VISITED_TODAY, {"field": "cart.products", "any_of": []}]}
        ],
        "exclude": [{"field": "member.consent", "channel": "fax"}, {"field": "purchase.last", "days": 7}],
    }
    errors = _errors(bad)
    assert "include[0].conditions[1].any_of: needs at least 1 item(s)" in errors
    assert any(e.startswith("exclude[0].channel: ") for e in errors)
    assert "exclude[1].days: not a setting of this condition" in errors


def test_page_views_need_a_site_path_and_stay_inside_the_60_days_kept() -> None:
    page = {"field": "content.page_views", "op": ">=", "value": 3}
    assert _errors({"include": [{**page, "path": "event/dogday"}]}) == [
        "include[0].path: must be a path starting with /, e.g. /event/dogday"
    ]
    assert _errors({"include": [{**page, "path": "/event", "within_days": 90}]}) == [
        "include[0]: within_days: page views and dwell time are kept 60 days"
    ]


def test_dates_must_be_calendar_dates() -> None:
    (error,) = _errors({"include": [{"field": "cart.last_added", "after": "3/18"}]})
    assert error.startswith("include[0].after: ")


def test_broken_json_is_refused_as_such() -> None:
    assert _errors('{"include": [') == ["segment: not JSON (Expecting value at line 1)"]


def _groups(depth: int) -> dict[str, object]:
    condition: dict[str, object] = VISITED_TODAY
    for level in range(depth):
        condition = {"field": "all" if level % 2 else "any", "conditions": [VISITED_TODAY, condition]}
    return condition


def test_groups_nest_five_deep_and_one_deeper_is_refused_naming_it() -> None:
    parse_segment({"include": [_groups(5)]})
    assert _errors({"include": [VISITED_TODAY], "exclude": [_groups(6)]}) == [
        "exclude[0]" + ".conditions[1]" * 5 + ": groups (any, all) nest at most 5 deep"
    ]


def test_a_stored_segment_of_any_depth_is_refused_not_crashed_on() -> None:
    # Python's parser (the compiled segment) stops near 200 parentheses; json.loads near 1,000 levels.
    for depth in (200, 10_000):
        (error,) = _errors({"include": [_groups(depth)]})
        assert error.endswith("groups (any, all) nest at most 5 deep")
    (error,) = _errors('{"include": ' + "[" * 100_000 + "]" * 100_000 + "}")
    assert error == "segment: groups nest at most 5 deep"


def test_a_number_must_be_finite() -> None:
    for number in (float("nan"), float("inf")):
        assert _errors({"include": [{"field": "score", "op": ">=", "value": number}]}) == [
            "include[0].value: Input should be a finite number"
        ]


def test_every_template_survives_a_round_trip_through_its_stored_json() -> None:
    for segment in [*promotion_recipes(DOG_DAY).values(), *friendtalk_segments().values()]:
        stored = json.dumps(segment_json(segment), ensure_ascii=False)
        assert parse_segment(stored) == segment
        assert next(iter(json.loads(stored)["include"][0])) == "field"  # reads as people write it
