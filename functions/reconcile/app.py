"""Every hour, what each Cafe24 store's webhooks missed (nudge.ingest.reconcile.reconcile): the orders,
members and products that changed since the store's cursor, read from the Admin API and fed through the same
ingest path, and first what webhooks could not read when they came (a lapsed install, Cafe24 down).

A store whose API cannot answer is skipped this time and keeps its cursor and its waiting reads: the next
run reads the whole window again (docs/cafe24.md). One store's failure never stops the others."""

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from nudge import clock
from nudge.adapters.wiring import platform_reader
from nudge.adapters.wiring import reconcile_dependencies as dependencies
from nudge.ingest.platforms.delivery import PlatformUnavailable
from nudge.ingest.reconcile import reconcile
from nudge.observability import logger as make_logger

logger = make_logger()
metrics = Metrics()


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    stores, cursors, pending, profiles, ingest, runs = dependencies()
    now = clock.now()
    totals = {
        "stores": 0,
        "recovered": 0,
        "already_known": 0,
        "pending_read": 0,
        "api_calls": 0,
        "unavailable": 0,
        "failed": 0,
    }
    for store in stores.all():
        reader = platform_reader(store, "cafe24")
        if reader is None:
            continue
        try:
            result = reconcile(store, reader, cursors, pending, profiles, ingest, now, runs)
        except PlatformUnavailable as unavailable:
            totals["unavailable"] += 1
            logger.warning(
                "cafe24 reconciliation waits", extra={"store_id": store.store_id, "detail": str(unavailable)}
            )
            continue
        except Exception:  # one store's failure (DynamoDB throttled) never stops the others
            # Its cursor did not move and its waiting reads are kept: the next run reads the window again.
            totals["failed"] += 1
            logger.exception("cafe24 reconciliation failed", extra={"store_id": store.store_id})
            continue
        totals["stores"] += 1
        totals["recovered"] += result.recovered
        totals["already_known"] += result.already
        totals["pending_read"] += result.pending_read
        totals["api_calls"] += result.api_calls
        logger.info("cafe24 reconciled", extra={"store_id": store.store_id, **result.as_dict()})
    metrics.add_metric(name="Cafe24EventsRecovered", unit=MetricUnit.Count, value=totals["recovered"])
    metrics.add_metric(name="Cafe24ReconcileUnavailable", unit=MetricUnit.Count, value=totals["unavailable"])
    metrics.add_metric(name="Cafe24ApiCalls", unit=MetricUnit.Count, value=totals["api_calls"])
    metrics.add_metric(name="Cafe24ReconcileFailed", unit=MetricUnit.Count, value=totals["failed"])
    return totals
