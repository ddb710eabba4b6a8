"""The gateways' delivery reports (`POST /gateway/reports/{provider}`) and the click redirect
(`GET /r/{token}`): both record what happened to a message after it was sent."""

from typing import Any

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from nudge import clock, config
from nudge.adapters.wiring import click_ledger as ledger
from nudge.adapters.wiring import report_dependencies as dependencies
from nudge.errors import NudgeError
from nudge.http import HttpRequest, check_body, error_response, json_response
from nudge.observability import logger as make_logger
from nudge.reports.delivery import receive_report
from nudge.sending.links import follow

logger = make_logger()
metrics = Metrics()

NOT_FOUND_PAGE = (
    "<!doctype html><meta charset=utf-8><title>Nudge</title><p>이 링크는 더 이상 유효하지 않습니다."
)


def public_base_url(event: dict[str, Any]) -> str:
    return config.tracking_base_url() or f"https://{event.get('requestContext', {}).get('domainName', '')}"


def report(request: HttpRequest, public_base: str) -> dict[str, Any]:
    provider = request.path_parameters.get("provider", "")
    try:
        check_body(request.headers, request.body)
        outcome = receive_report(
            provider, request.headers, request.body, dependencies(public_base), clock.now(),
            query=request.query,
        )  # fmt: skip
    except NudgeError as error:
        logger.warning(
            "report refused", extra={"provider": provider, "status": error.status, "detail": str(error)}
        )
        # A gateway whose reports are refused (a signature missing or wrong) retries, then gives up: the
        # count is what an alarm watches.
        metrics.add_metric(name="ReportsRefused", unit=MetricUnit.Count, value=1)
        return error_response(error)
    logger.info("report recorded", extra={"provider": provider, **outcome.as_dict()})
    metrics.add_metric(name="ReportsRecorded", unit=MetricUnit.Count, value=outcome.recorded)
    return json_response(200, outcome.as_dict())


def click(request: HttpRequest) -> dict[str, Any]:
    token = request.path_parameters.get("token", "")
    destination = follow(token, ledger(), clock.now())
    if destination is None:
        metrics.add_metric(name="UnknownLinks", unit=MetricUnit.Count, value=1)
        return {
            "statusCode": 404,
            "headers": {"Content-Type": "text/html; charset=utf-8"},
            "body": NOT_FOUND_PAGE,
        }
    metrics.add_metric(name="Clicks", unit=MetricUnit.Count, value=1)
    return {"statusCode": 302, "headers": {"Location": destination, "Cache-Control": "no-store"}}


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    request = HttpRequest.from_event(event)
    if "token" in request.path_parameters:
        return click(request)
    return report(request, public_base_url(event))
