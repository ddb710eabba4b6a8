"""The stores' 080 free opt-out lists, read every morning at 06:00 Seoul time, before the day's ads (an
EventBridge Scheduler schedule the stack owns): whoever called a store's 080 number since the last read has
that store's SMS ad consent withdrawn, dated when they called, and gets the consent-result notice
(`nudge.reports.opt_outs.sync_080`).

NHN keeps the list (and refuses an ad SMS to a listed number meanwhile, -6001); a Solapi store's refusals
arrive as delivery results (1061 / 2061) instead, so only NHN stores are read."""


from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from nudge import clock, config
from nudge.adapters.gateway_accounts import gateway_for, http_client
from nudge.adapters.gateways.nhn import NhnGateway
from nudge.adapters.wiring import consent_notice as notice
from nudge.adapters.wiring import optout_dependencies as dependencies
from nudge.observability import logger as make_logger
from nudge.reports.opt_outs import sync_080

logger = make_logger()
metrics = Metrics()


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    stores, profiles, cursors, ingest = dependencies()
    now = clock.now()
    totals = {"stores": 0, "listed": 0, "withdrawn": 0, "unknown": 0, "failed": 0}
    for store in stores.all():
        if store.gateway is None or store.gateway.provider != "nhn" or store.optout_080_number is None:
            continue
        gateway = gateway_for(store, ingest.secrets, http_client(), config.gateway_base_url())
        if not isinstance(gateway, NhnGateway):
            continue
        try:
            result = sync_080(store, gateway, profiles, cursors, ingest, notice, now)
        except Exception:  # one store's failure (DynamoDB throttled, NHN down) never stops the others
            # Its cursor did not move: tomorrow morning's read takes the same entries again (withdrawing is
            # idempotent, and each notice is sent once).
            totals["failed"] += 1
            logger.exception("080 opt-out list not read", extra={"store_id": store.store_id})
            continue
        totals["stores"] += 1
        for name, value in result.as_dict().items():
            totals[name] += value
        if result.listed:
            logger.info("080 opt-out list read", extra={"store_id": store.store_id, **result.as_dict()})
    metrics.add_metric(name="OptOutsWithdrawn", unit=MetricUnit.Count, value=totals["withdrawn"])
    metrics.add_metric(name="OptOutSyncFailed", unit=MetricUnit.Count, value=totals["failed"])
    return totals
