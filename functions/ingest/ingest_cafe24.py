"""GET /cafe24/install (the Cafe24 app's App URL) and GET /cafe24/callback (its Redirect URI): the app's
install, the flow in nudge.ingest.cafe24_app. Imported only when one of these routes is called, so a
webhook's cold start does not load it (tests/e2e/cold_start/IngestFunction.json)."""

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from nudge import clock
from nudge.adapters.wiring import cafe24_app_dependencies
from nudge.errors import NudgeError
from nudge.http import error_response, json_response
from nudge.ingest.cafe24_app import CALLBACK_PATH, begin_install, finish_install


def _callback_url(event: dict[str, Any]) -> str:
    """The Redirect URI registered with the app: this API's own address (a custom domain when it has one)."""
    domain = event.get("requestContext", {}).get("domainName") or event.get("headers", {}).get("host", "")
    return f"https://{domain}{CALLBACK_PATH}"


def handle(event: dict[str, Any], logger: Logger, metrics: Metrics) -> dict[str, Any]:
    route = str(event.get("routeKey", ""))
    query = event.get("queryStringParameters") or {}
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    if event.get("cookies"):
        headers["cookie"] = "; ".join(event["cookies"])
    deps = cafe24_app_dependencies()
    step = "install" if route.endswith("/install") else "callback"
    try:
        if step == "install":
            redirect = begin_install(query, _callback_url(event), deps, clock.now())
            logger.info("cafe24 install: to the mall's consent", extra={"mall_id": query.get("mall_id")})
            metrics.add_metric(name="Cafe24InstallStarted", unit=MetricUnit.Count, value=1)
            return {
                "statusCode": 302,
                "headers": {"Location": redirect.location},
                "cookies": [redirect.cookie],
            }
        store_id, tokens = finish_install(query, headers, _callback_url(event), deps, clock.now())
    except NudgeError as error:
        # The reason, never the code, the state's contents or a token.
        logger.warning(
            f"cafe24 {step} refused",
            extra={"mall_id": query.get("mall_id"), "status": error.status, "detail": str(error)},
        )
        metrics.add_metric(name="Cafe24InstallRefused", unit=MetricUnit.Count, value=1)
        return error_response(error)
    logger.info("cafe24 app installed", extra={"store_id": store_id, "mall_id": tokens.mall_id})
    metrics.add_metric(name="Cafe24AppInstalled", unit=MetricUnit.Count, value=1)
    return json_response(200, {"store_id": store_id, "mall_id": tokens.mall_id, "status": "installed"})
