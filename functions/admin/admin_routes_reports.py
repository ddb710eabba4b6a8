"""The admin API's report routes: what a campaign or automation did, and why one customer was (or was
not) sent each message."""

from typing import Any

from admin_contract import CustomerPath, ReportKind, SourcePath, StorePath, answers
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from nudge import clock
from nudge.adapters.wiring import report_read_dependencies as dependencies
from nudge.reports import service as reports
from nudge.reports.sources import report_html

router = APIGatewayHttpRouter()


@router.get(
    "/admin/stores/<store_id>/reports/<kind>/<source_id>",
    summary="A campaign's or automation's report: suppressed, deferred, sent, delivered, clicked, converted",
    tags=["reports"],
    responses=answers(200, "The report", missing="Unknown store, or nothing by that id"),
)
def source_report(store_id: StorePath, kind: ReportKind, source_id: SourcePath) -> dict[str, Any]:
    return reports.report(dependencies(), store_id, kind, source_id)[1]


@router.get(
    "/admin/stores/<store_id>/reports/<kind>/<source_id>/page",
    summary="The same report as a page",
    tags=["reports"],
    responses=answers(
        200, "The report as HTML", missing="Unknown store, or nothing by that id", media_type="text/html"
    ),
)
def source_report_page(store_id: StorePath, kind: ReportKind, source_id: SourcePath) -> Response[str]:
    name, data = reports.report(dependencies(), store_id, kind, source_id)
    return Response(200, "text/html; charset=utf-8", report_html(name, data))


@router.get(
    "/admin/stores/<store_id>/customers/<customer_id>/why",
    summary="Why this customer was (or was not) sent each message: segment, consent, night window, "
    "frequency, dedupe, gateway result",
    tags=["customers"],
    responses=answers(200, "The decision chain, message by message"),
)
def why(store_id: StorePath, customer_id: CustomerPath) -> dict[str, Any]:
    return reports.why(dependencies(), store_id, customer_id, clock.now())
