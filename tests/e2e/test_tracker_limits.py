"""How fast anyone may post to the public tracker, over HTTP on the local runtime: one visitor, a crowd of
new visitors at one store, and the route as a whole (API Gateway's throttle, as the template deploys it)."""

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from nudge.ingest import tracker
from nudge_local.demo import samples
from nudge_local.runtime.runtime import LocalRuntime
from nudge_local.runtime.sam import translate
from tests.e2e.conftest import START, profiles, send

ROOT = Path(__file__).resolve().parents[2]


def _visit(visitor: str, n: int, member_id: str | None = None) -> Any:
    return samples.tracker_request(visitor, [{"id": f"{visitor}-{n}", "type": "visit"}], member_id=member_id)


def test_one_visitor_posting_as_fast_as_they_can_is_held_to_the_hourly_allowance(
    runtime: LocalRuntime,
) -> None:
    answers = [send(runtime, _visit("v-fast", n)) for n in range(tracker.TRACKER_BATCHES_PER_HOUR + 5)]
    assert [status for status, _ in answers].count(200) == tracker.TRACKER_BATCHES_PER_HOUR
    status, body = answers[-1]
    assert status == 429 and body["error"] == "too_many_requests"
    assert profiles(runtime)[("dogday-mall", "anon:v-fast")].visit_count == tracker.TRACKER_BATCHES_PER_HOUR
    runtime.advance_to(START + timedelta(hours=1, seconds=1))
    assert send(runtime, _visit("v-fast", 999))[0] == 200


def test_a_crowd_of_new_visitors_is_bounded_per_store_and_hour(
    runtime: LocalRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tracker, "NEW_VISITORS_PER_HOUR", 5)  # the collect function runs in this process
    statuses = [send(runtime, _visit(f"v-{n}", n))[0] for n in range(8)]
    assert statuses == [200] * 5 + [429] * 3
    stored = profiles(runtime)
    assert sum(1 for (_, customer) in stored if customer.startswith("anon:")) == 5
    assert send(runtime, _visit("v-0", 100))[0] == 200  # a visitor already known is not new
    assert send(runtime, _visit("v-x", 0, member_id="dogfan01"))[0] == 200  # nor a vouched member
    # The other store has its own count.
    maple = samples.tracker_request(
        "v-m", [{"id": "m", "type": "visit"}], store_id="maple-goods", origin="https://maple-goods.example"
    )
    assert send(runtime, maple)[0] == 200


def test_the_template_throttles_the_tracker_route_below_the_apis_default() -> None:
    translated = translate(ROOT / "template.yaml")
    (stage,) = (r for r in translated["Resources"].values() if r["Type"] == "AWS::ApiGatewayV2::Stage")
    default = stage["Properties"]["DefaultRouteSettings"]
    collect = stage["Properties"]["RouteSettings"]["POST /collect/{store_id}"]
    # The names AWS::ApiGatewayV2::Stage's RouteSettings takes (CloudFormation types the map as free JSON,
    # so cfn-lint cannot tell a misspelt one: this does).
    assert set(collect) == {"ThrottlingBurstLimit", "ThrottlingRateLimit"}
    assert 0 < collect["ThrottlingRateLimit"] < default["ThrottlingRateLimit"]
    assert 0 < collect["ThrottlingBurstLimit"] < default["ThrottlingBurstLimit"]
