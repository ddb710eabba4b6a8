"""Every hour, each store's AlimTalk templates read from its gateway account (`nudge.alimtalk.service.sync`):
the list the admin API shows and every save checks stays current, and a template that stopped being
approved (rejected, blocked, deleted at the gateway) pauses the campaigns still to run and the active
automations that send it, the reason on their documents (`paused_reason`). Resuming is the marketer's: they
save it again once the template is approved (or name another)."""

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from nudge import clock
from nudge.adapters.wiring import alimtalk_sync_dependencies as dependencies
from nudge.alimtalk.service import sync
from nudge.observability import logger as make_logger

logger = make_logger()
metrics = Metrics()


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    stores, templates, users = dependencies()
    now = clock.now()
    totals = {"stores": 0, "changed": 0, "paused": 0, "failed": 0}
    for store in stores.all():
        if store.gateway is None:
            continue
        try:
            result = sync(templates, store, now, users)
        except Exception:  # one store's gateway down (or its key revoked) never stops the others' sync
            totals["failed"] += 1
            logger.exception("alimtalk templates not synced", extra={"store_id": store.store_id})
            continue
        totals["stores"] += 1
        totals["changed"] += len(result.changes)
        totals["paused"] += len(result.paused)
        if result.changes:
            changes = [c.as_dict() for c in result.changes]
            logger.info("alimtalk templates changed", extra={"store_id": store.store_id, "changes": changes})
        for paused in result.paused:
            logger.warning(
                "paused: alimtalk template not approved",
                extra={"store_id": store.store_id, **paused.as_dict()},
            )
    metrics.add_metric(name="AlimTalkTemplatePauses", unit=MetricUnit.Count, value=totals["paused"])
    metrics.add_metric(name="AlimTalkTemplateSyncFailed", unit=MetricUnit.Count, value=totals["failed"])
    return totals
