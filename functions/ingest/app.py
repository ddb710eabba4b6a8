"""POST /webhooks/{platform}/{store_id}: Cafe24, Shopify and Nudge-format webhooks into customer profiles.
GET /cafe24/install and /cafe24/callback: the Cafe24 app's install (ingest_cafe24.py)."""

from typing import Any

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from nudge import clock
from nudge.adapters.wiring import ingest_dependencies as dependencies
from nudge.errors import NudgeError
from nudge.http import HttpRequest, check_body, error_response, json_response
from nudge.ingest.platforms.delivery import WebhookRequest
from nudge.ingest.service import receive_webhook
from nudge.observability import logger as make_logger

logger = make_logger()
metrics = Metrics()


def receive(request: HttpRequest) -> dict[str, Any]:
    platform = request.path_parameters.get("platform", "")
    store_id = request.path_parameters.get("store_id", "")
    try:
        check_body(request.headers, request.body)
        webhook = WebhookRequest(platform, store_id, request.headers, request.body, clock.now())
        result = receive_webhook(webhook, dependencies())
    except NudgeError as error:
        logger.warning(
            "webhook refused",
            extra={"store_id": store_id, "platform": platform, "status": error.status, "detail": str(error)},
        )
        metrics.add_metric(name="WebhookRefused", unit=MetricUnit.Count, value=1)
        return error_response(error)
    extra: dict[str, Any] = {
        "store_id": store_id,
        "platform": platform,
        "events": list(result.event_types),
        "reason": result.reason,
    }
    if result.not_kept:
        # Which fields were left out and why; never their values (a phone number is personal data).
        extra["not_kept"] = [f"{f.field}: {f.message}" for f in result.not_kept]
    if result.trimmed:
        # These parts' oldest detail went to keep the profile within its budget (nudge.profiles.budget).
        extra["trimmed"] = list(result.trimmed)
    logger.info("webhook %s", result.status, extra=extra)
    metrics.add_metric(name=f"Webhook{result.status.capitalize()}", unit=MetricUnit.Count, value=1)
    return json_response(200, result.as_dict())


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    if str(event.get("routeKey", "")).startswith("GET /cafe24/"):
        # The Cafe24 app's install: rare, so not on a webhook's cold start. mypy checks the module on its own
        # (functions.ingest.ingest_cafe24): a second `app` on its path would clash with the admin's.
        import ingest_cafe24  # type: ignore[import-not-found]

        return ingest_cafe24.handle(event, logger, metrics)
    return receive(HttpRequest.from_event(event))
