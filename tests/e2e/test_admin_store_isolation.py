"""Nobody reaches a store they may not administer. A caller's IAM principal names its stores in its
`nudge:stores` tag; locally `local-store-token-{store_id}` is a marketer of that store only and
`local-admin-token` the operator of every store.

Every route of the admin app — taken from the app itself, so a new route is sent too — is called by store
A's marketer at store B, with a body that would be accepted: each is refused 403 with a JSON body that says
why, shows nothing of store B, and nothing in the tables, the secrets, the schedules, the queues or the
gateway's outbox changed. The same marketer at its own store is not refused, a route that names no store
and is not declared store-less needs the operator, a store only the operator creates, and a principal
without the tag may do nothing."""

import base64
import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from nudge_local.demo import pictures
from nudge_local.runtime import apigw
from nudge_local.runtime.apigw import LOCAL_ADMIN_TOKEN, LocalPrincipal, local_store_token
from nudge_local.runtime.runtime import LocalRuntime
from nudge_local.runtime.stores import DOGDAY, MAPLE

START = datetime(2026, 3, 18, 9, 0, tzinfo=ZoneInfo("Asia/Seoul"))
A, B = DOGDAY.store.store_id, MAPLE.store.store_id
# The routes that show no store's data: any marketer may read them (admin_access.STORELESS).
STORELESS = {("GET", "/admin/openapi.json"), ("GET", "/admin/swagger"), ("GET", "/admin/segment-templates")}
# Bodies for the routes whose document has no example to send (the others send their example).
SEGMENT = {"segment_id": "b-all", "name": "B 전체 회원", "definition": {"include": [{"field": "member.all"}]}}
BODIES: dict[tuple[str, str], Any] = {
    ("PUT", "/admin/stores/{store_id}"): {"name": "A가 바꾼 이름", "platforms": ["nudge"]},
    ("PUT", "/admin/stores/{store_id}/secrets/{name}"): {"value": "a-value-chosen-by-store-a"},
    ("PUT", "/admin/stores/{store_id}/segments/{segment_id}"): {**SEGMENT, "name": "A가 바꾼 세그먼트"},
}
# For a PUT of one item with no example, the example of the POST that creates such items.
COLLECTION = {"/segments/{segment_id}": "/segments", "/campaigns/{campaign_id}": "/campaigns",
              "/automations/{automation_id}": "/automations"}  # fmt: skip


def token(value: str) -> dict[str, str]:
    return {"authorization": f"Bearer {value}", "content-type": "application/json"}


OPERATOR = token(LOCAL_ADMIN_TOKEN)


@pytest.fixture(scope="module")
def runtime() -> Iterator[LocalRuntime]:
    with LocalRuntime(start=START) as rt:
        yield rt


@pytest.fixture(scope="module")
def document(runtime: LocalRuntime) -> dict[str, Any]:
    answer = runtime.http("GET", "/admin/openapi.json", OPERATOR)
    assert answer.status == 200
    result: dict[str, Any] = answer.json()
    return result


@pytest.fixture(scope="module")
def b_ids(runtime: LocalRuntime, document: dict[str, Any]) -> dict[str, str]:
    """What store B has, made by the operator: a segment, a recurring campaign (so a schedule), an
    automation, a member; its secrets are the local store's. The ids every path parameter takes."""

    def post(path: str, body: Any) -> Any:
        answer = runtime.http("POST", f"/admin/stores/{B}{path}", OPERATOR, json.dumps(body))
        assert answer.status in (200, 201), (path, answer.body)
        return answer.json()

    def example(path: str) -> Any:
        return _example(document, "post", f"/admin/stores/{{store_id}}{path}")

    post("/segments", SEGMENT)
    daily = {"mode": "recurring", "cron": "0 10 ? * * *", "start": "2026-03-18", "end": "2026-03-24"}
    campaign = post("/campaigns", {**example("/campaigns"), "segment_id": "b-all", "send": daily})
    automation = post("/automations", example("/automations"))
    assert post("/members/import", example("/members/import"))["created"] == 1
    image = post("/images", {"name": "b.png", "data": base64.b64encode(pictures.png(800, 400)).decode()})
    products = runtime.template.tables["ProductsTable"].name
    runtime.client("dynamodb").put_item(
        TableName=products,
        Item={"pk": {"S": B}, "sk": {"S": "p#P-b-1"}, "v": {"N": "1"}, "n": {"S": "B의 상품"},
              "at": {"S": "2026-03-18T00:00:00+00:00"}, "src": {"S": "shopify:products/update"}},
    )  # fmt: skip (store B's catalog: nudge.adapters.products' item)
    return {
        "store_id": B,
        "segment_id": "b-all",
        "campaign_id": campaign["campaign_id"],
        "automation_id": automation["automation_id"],
        "customer_id": "m-1001",  # the member import example's
        "template": "review_request",
        "kind": "campaign",
        "source_id": campaign["campaign_id"],
        "name": "solapi-api-secret",  # store B's gateway secret
        "product_id": "P-b-1",  # a product of store B's catalog, written below
        "step": "0",  # the automation's first step
        "image_id": image["image_id"],  # store B's banner
    }


def _example(document: dict[str, Any], method: str, path: str) -> Any:
    operation = document["paths"].get(path, {}).get(method, {})
    examples = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("examples")
    return examples["example"]["value"] if examples else None


def routes(runtime: LocalRuntime) -> list[tuple[str, str]]:
    """Every route the admin app serves (Powertools' own table, Swagger UI's too)."""
    result: list[tuple[str, str]] = runtime.functions.module("AdminFunction").app.routes()
    return result


def request(route: tuple[str, str], ids: dict[str, str], document: dict[str, Any]) -> tuple[str, bytes]:
    """The route's path with `ids` in it, and a body it would accept."""
    method, path = route
    concrete = path
    for part in path.split("/"):
        if part.startswith("{"):
            name = part[1:-1]
            assert name in ids, f"{method} {path}: no id of store B for {{{name}}}; add one to b_ids"
            concrete = concrete.replace(part, ids[name])
    if method in ("GET", "DELETE"):
        return concrete, b""
    tail = path.removeprefix("/admin/stores/{store_id}")
    body = (
        BODIES.get(route)
        or _example(document, method.lower(), path)
        or (_example(document, "post", path.replace(tail, COLLECTION[tail])) if tail in COLLECTION else None)
    )
    return concrete, json.dumps(body if body is not None else {}).encode()


def state(runtime: LocalRuntime) -> dict[str, Any]:
    """Everything a request could change: every table's items, the store secrets, the schedules, the
    queues' messages, what reached a phone."""
    out: dict[str, Any] = {}
    dynamodb = runtime.client("dynamodb")
    for logical_id, table in runtime.template.tables.items():
        items = []
        for page in dynamodb.get_paginator("scan").paginate(TableName=table.name):
            items.extend(page["Items"])
        out[logical_id] = sorted(json.dumps(item, sort_keys=True, default=repr) for item in items)
    ssm = runtime.client("ssm")
    path = runtime.template.parameters["StoreSecretsPath"]
    parameters = ssm.get_parameters_by_path(Path=path, Recursive=True, WithDecryption=True)["Parameters"]
    out["secrets"] = sorted((p["Name"], p["Value"], p["Version"]) for p in parameters)
    scheduler = runtime.client("scheduler")
    out["schedules"] = sorted(
        json.dumps(scheduler.get_schedule(Name=s["Name"], GroupName=s["GroupName"])["Target"], sort_keys=True)
        for s in scheduler.list_schedules()["Schedules"]
    )
    out["queues"] = {logical_id: runtime.queue_depth(logical_id) for logical_id in runtime.template.queues}
    assert runtime.gateway is not None
    out["outbox"] = len(runtime.gateway.outbox)
    return out


def b_data() -> list[str]:
    """What store B has that store A's marketer must never see."""
    secrets = list(MAPLE.secrets.values())
    store = MAPLE.store
    return [store.name, str(store.tracker_write_key), str(store.shopify_shop_domain), *secrets, "B 전체 회원"]


def test_store_a_cannot_read_or_change_anything_of_store_b_through_any_route(
    runtime: LocalRuntime, document: dict[str, Any], b_ids: dict[str, str]
) -> None:
    marketer_of_a = token(local_store_token(A))
    crossing = [route for route in routes(runtime) if route not in STORELESS]
    documented = {(method.upper(), path) for path, ops in document["paths"].items() for method in ops}
    assert documented - STORELESS <= set(crossing)  # the app's own table has every documented route
    for route in crossing:
        path, body = request(route, b_ids, document)
        before = state(runtime)
        answer = runtime.http(route[0], path, marketer_of_a, body)
        shown = f"{route[0]} {path}: {answer.status} {answer.body[:300]!r}"
        assert answer.status == 403, shown
        assert answer.headers["content-type"] == "application/json", shown
        refusal = answer.json()
        assert refusal["error"] == "forbidden" and "nudge:stores" in refusal["message"], shown
        if "{store_id}" in route[1]:
            assert refusal["fields"] == [
                {"field": "store_id", "message": "not a store of the caller's nudge:stores tag"}
            ], shown
            assert f"may not administer store '{B}'" in refusal["message"], shown
        text = answer.body.decode()
        assert not [seen for seen in b_data() if seen in text], shown
        assert state(runtime) == before, f"{shown}: something changed"
    # Store B's data is all there, as the operator made it.
    settings = runtime.http("GET", f"/admin/stores/{B}", OPERATOR).json()
    assert settings["name"] == MAPLE.store.name


def test_a_marketer_is_not_refused_at_their_own_store_nor_on_the_routes_that_show_no_store(
    runtime: LocalRuntime, document: dict[str, Any], b_ids: dict[str, str]
) -> None:
    marketer_of_b = token(local_store_token(B))
    for route in routes(runtime):
        path, body = request(route, b_ids, document)
        answer = runtime.http(route[0], path, marketer_of_b, body)
        shown = f"{route[0]} {path}: {answer.status} {answer.body[:300]!r}"
        if route in STORELESS:
            assert answer.status == 200, shown
        elif "{store_id}" in route[1]:
            assert answer.status != 403 and answer.status < 500, shown
        else:  # a route about every store (none yet): the operator's
            assert answer.status == 403, shown
            assert runtime.http(route[0], path, OPERATOR, body).status != 403, shown


def test_only_the_operator_creates_a_store_and_its_marketer_may_then_change_it(runtime: LocalRuntime) -> None:
    settings = json.dumps({"name": "새 상점", "platforms": ["nudge"]})
    new = "new-shop"
    refused = runtime.http("PUT", f"/admin/stores/{new}", token(local_store_token(new)), settings)
    assert refused.status == 403
    assert refused.json()["fields"] == [
        {"field": "store_id", "message": "a new store; the caller may only change an existing one"}
    ]
    assert runtime.http("GET", f"/admin/stores/{new}", OPERATOR).status == 404  # nothing was written
    assert runtime.http("PUT", f"/admin/stores/{new}", OPERATOR, settings).status == 200
    renamed = json.dumps({"name": "이름을 바꾼 상점", "platforms": ["nudge"]})
    assert runtime.http("PUT", f"/admin/stores/{new}", token(local_store_token(new)), renamed).status == 200
    assert runtime.http("GET", f"/admin/stores/{new}", OPERATOR).json()["name"] == "이름을 바꾼 상점"


@pytest.mark.parametrize(
    ("name", "tags", "why"),
    [
        ("no-tag-at-all", None, "it has no nudge:stores tag"),
        ("empty-tag", "", "its nudge:stores tag names no store"),
    ],
)
def test_a_principal_whose_tag_names_no_store_may_do_nothing(
    runtime: LocalRuntime, name: str, tags: str | None, why: str
) -> None:
    if tags is None:
        runtime.client("iam").create_user(UserName=name)
    else:
        runtime.ensure_principal(LocalPrincipal("user", name, tags))
    caller = apigw.iam_caller(LocalPrincipal("user", name, ""), runtime.template.account)
    for method, path in routes(runtime):
        concrete = path.replace("{store_id}", A)
        match = runtime.routes.match(method, concrete)
        assert match is not None
        event = apigw.build_event(match, method, concrete, "", [], b"", runtime.clock.now(),
                                  account=runtime.template.account)  # fmt: skip
        event["requestContext"]["authorizer"] = {"iam": caller}
        answer = runtime.invoke("AdminFunction", event)
        body = json.loads(answer["body"])
        assert answer["statusCode"] == 403, (method, path, body)
        assert body["message"] == f"{caller['userArn']} may administer no store: {why}"


def test_the_document_says_which_callers_each_route_refuses(document: dict[str, Any]) -> None:
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            refused = operation["responses"]["403"]["description"]
            assert refused.startswith("Not signed") and "`nudge:stores`" in refused, (method, path)
            if "{store_id}" in path:
                assert "may not administer this store" in refused, (method, path)
    creates = document["paths"]["/admin/stores/{store_id}"]["put"]["responses"]["403"]["description"]
    assert "may not create one" in creates
