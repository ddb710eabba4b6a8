"""The admin API's customer routes: what Nudge holds about one customer (masked), and erasing them (PIPA).

Both are a store's routes (`{store_id}` in the path): a caller administers them for the stores its IAM
principal's `nudge:stores` tag names (admin_access decides before the route runs)."""

from typing import Any

from admin_contract import CustomerPath, StorePath, answers
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from nudge import clock
from nudge.adapters.wiring import erasure_dependencies, report_read_dependencies
from nudge.erasure.service import erase_customer
from nudge.reports.customer import customer

router = APIGatewayHttpRouter()


@router.get(
    "/admin/stores/<store_id>/customers/<customer_id>",
    summary="What Nudge holds about one customer: consents, visits, orders; the number and name masked",
    tags=["customers"],
    responses=answers(
        200, "The customer's profile, personal data masked", missing="Unknown store or customer"
    ),
)
def get_customer(store_id: StorePath, customer_id: CustomerPath) -> dict[str, Any]:
    deps = report_read_dependencies()
    return customer(deps.stores, deps.profiles, store_id, customer_id)


@router.delete(
    "/admin/stores/<store_id>/customers/<customer_id>",
    summary="Erase a customer (PIPA): the profile, pending automation steps, the send records' personal "
    "fields; an audit record without personal data stays",
    description=(
        "Removes everything that names the customer: the profile (number, name, e-mail, consents, orders, "
        "visits), their entries in the order index, their pending automation steps and journey entries, "
        "the schedules of their deferred sends, and the customer id, variables, link destinations and "
        "gateway message id of their send records (the records stay, without them, so reports still count "
        "the messages and a retried send still sends nothing). Answers the erasure record, which holds no "
        "personal data: `reference` is a keyed hash of the customer id, with when, who asked and what was "
        "removed. Idempotent: the same request again answers the same record (200), and finishes an "
        "erasure a failure interrupted. A customer Nudge never knew is erased all the same (nothing "
        "removed). Events that happened before `erased_at` and arrive later are not applied; "
        "docs/privacy.md."
    ),
    tags=["customers"],
    responses=answers(200, "The erasure record (no personal data)"),
)
def delete_customer(store_id: StorePath, customer_id: CustomerPath) -> dict[str, Any]:
    erasure = erase_customer(
        erasure_dependencies(), store_id, customer_id, _caller(router.current_event.raw_event), clock.now()
    )
    return {"customer_id": customer_id, **erasure.as_dict()}


def _caller(event: dict[str, Any]) -> str:
    """Who asked: the IAM principal API Gateway verified (its ARN)."""
    iam = ((event.get("requestContext") or {}).get("authorizer") or {}).get("iam") or {}
    return str(iam.get("userArn") or "unknown caller")
