"""POST /collect/{store_id}: the storefront tracker's visits, page views and dwell time (with CORS)."""

from typing import Any

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from nudge import clock
from nudge.adapters.wiring import ingest_dependencies as dependencies
from nudge.errors import Forbidden, NudgeError
from nudge.http import JSON, HttpRequest, check_body, error_response, json_response
from nudge.ingest.service import find_store, receive_tracker_batch
from nudge.ingest.tracker import allowed_origin
from nudge.observability import logger as make_logger

logger = make_logger()
metrics = Metrics()
# sendBeacon posts text/plain (no preflight); fetch() from the snippet may post JSON.
ACCEPTED_TYPES = (JSON, "text/plain")


def _cors(store_id: str, origin: str | None) -> dict[str, str]:
    store = dependencies().stores.get(store_id)
    allowed = allowed_origin(store, origin) if store else None
    if allowed is None:
        return {}
    return {
        "Access-Control-Allow-Origin": allowed,
        "Access-Control-Allow-Methods": "POST, OPTIONS",
        "Access-Control-Allow-Headers": "Content-Type",
        "Access-Control-Max-Age": "86400",
        "Vary": "Origin",
    }


def preflight(request: HttpRequest, store_id: str) -> dict[str, Any]:
    headers = _cors(store_id, request.headers.get("origin"))
    metrics.add_metric(name="TrackerPreflight", unit=MetricUnit.Count, value=1)
    return json_response(204 if headers else 403, None, headers)


def collect(request: HttpRequest, store_id: str) -> dict[str, Any]:
    try:
        check_body(request.headers, request.body, ACCEPTED_TYPES)
        deps = dependencies()
        store = find_store(deps.stores, store_id)
        origin = request.headers.get("origin")
        if origin and allowed_origin(store, origin) is None:
            raise Forbidden("origin is not allowed for this store")
        result = receive_tracker_batch(request.body, store, deps, clock.now())
    except NudgeError as error:
        logger.warning(
            "tracker batch refused",
            extra={"store_id": store_id, "status": error.status, "detail": str(error)},
        )
        metrics.add_metric(name="TrackerRefused", unit=MetricUnit.Count, value=1)
        return error_response(error, _cors(store_id, request.headers.get("origin")))
    if result.trimmed:
        # The oldest page views went to keep the profile within its budget (nudge.profiles.budget).
        logger.info("profile trimmed", extra={"store_id": store_id, "trimmed": list(result.trimmed)})
    metrics.add_metric(name="TrackerEvents", unit=MetricUnit.Count, value=len(result.event_types))
    return json_response(200, result.as_dict(), _cors(store_id, request.headers.get("origin")))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    request = HttpRequest.from_event(event)
    store_id = request.path_parameters.get("store_id", "")
    if request.method == "OPTIONS":
        return preflight(request, store_id)
    return collect(request, store_id)
