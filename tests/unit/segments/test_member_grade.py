"""The store's member grade (`member.grade`, Cafe24's `group_no`): a customer is in when their grade is one
of the condition's. Both ways of asking — the Profile at an automation's fire time and the raw item of a
campaign's whole-store read — answer the same (also checked for random profiles and segments in
test_agreement.py)."""

import pytest

from nudge.adapters.profile_item import from_item, to_item
from nudge.segments.evaluate import compile_segment
from nudge.segments.language import SegmentInvalid, parse_segment, segment_json
from tests.unit.segments.helpers import KST, NOW, STORE, customer, dynamodb_item, project

PEOPLE = [
    customer("bronze", grade="1"),
    customer("silver", grade="2"),
    customer("gold", grade="3"),
    customer("named", grade="VIP"),  # 90144 without the app: the grade's name
    customer("unknown"),
]


def _members(segment: dict) -> list[str]:
    compiled = compile_segment(segment, KST, NOW)
    by_profile = [pr.customer_id for pr in PEOPLE if compiled.matches(pr)]
    matcher = compiled.item_matcher
    items = [project(dynamodb_item(pr), matcher.attributes) for pr in PEOPLE]
    assert matcher.members(items) == by_profile, matcher.source  # the two evaluators agree
    return by_profile


@pytest.mark.parametrize(
    ("grades", "expected"),
    [
        (["2", "3"], ["silver", "gold"]),
        (["3"], ["gold"]),
        (["VIP", "1"], ["bronze", "named"]),
        (["9"], []),
    ],
)
def test_a_customer_is_in_when_their_grade_is_one_of_the_conditions(
    grades: list[str], expected: list[str]
) -> None:
    assert _members({"include": [{"field": "member.grade", "any_of": grades}]}) == expected


def test_a_customer_whose_grade_is_unknown_is_in_no_grade_but_passes_an_exclusion_of_grades() -> None:
    segment = {
        "include": [{"field": "member.all"}],
        "exclude": [{"field": "member.grade", "any_of": ["2", "3"]}],
    }
    assert _members(segment) == ["bronze", "named", "unknown"]


def test_the_grade_condition_reads_only_the_grade_attribute() -> None:
    compiled = compile_segment({"include": [{"field": "member.grade", "any_of": ["2"]}]}, KST, NOW)
    assert compiled.item_matcher.attributes == {("sk",), ("gr",)}


def test_a_grade_condition_needs_a_list_of_grades_and_survives_its_stored_json() -> None:
    for bad in ({"field": "member.grade"}, {"field": "member.grade", "any_of": []}):
        with pytest.raises(SegmentInvalid) as refused:
            parse_segment({"include": [bad]})
        assert refused.value.errors[0].startswith("include[0].any_of: ")
    segment = parse_segment({"include": [{"field": "member.grade", "any_of": ["2", "3"]}]})
    assert segment_json(segment)["include"] == [{"field": "member.grade", "any_of": ["2", "3"]}]


def test_the_grade_is_stored_and_an_item_written_before_it_reads_as_unknown() -> None:
    item = to_item(customer("gold", grade="3"))
    assert item["gr"] == "3" and from_item(STORE, item).grade == "3"
    del item["gr"]
    assert from_item(STORE, item).grade is None
