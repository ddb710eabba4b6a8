"""Campaign runs from the campaign-runs queue (the admin API's "send now", or a campaign's schedule):
evaluate the segment now, queue one send job per member."""

import json
from typing import Any

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from compliance.decision import screened_channel
from nudge import clock
from nudge.adapters.wiring import campaign_run_dependencies as dependencies
from nudge.campaigns.definitions import Campaign
from nudge.campaigns.runs import run_campaign
from nudge.catalog import read
from nudge.observability import logger as make_logger
from nudge.segments.service import SavedSegment
from nudge.sending.jobs import occurrence_of

logger = make_logger()
metrics = Metrics()
processor = BatchProcessor(event_type=EventType.SQS)


def _occurrence(value: str) -> str:
    """A schedule names its occurrence by its scheduled instant; "send now" brings a run id."""
    if value.startswith("now-"):
        return value
    from datetime import datetime

    return occurrence_of(datetime.fromisoformat(value.replace("Z", "+00:00")))


def handle_run(record: SQSRecord) -> None:
    request: dict[str, Any] = json.loads(record.body)
    stores, campaigns, queue, reader = dependencies()
    store_id, campaign_id = request["store_id"], request["campaign_id"]
    store = stores.get(store_id)
    campaign = None if store is None else read(campaigns, store_id, Campaign, campaign_id)
    if store is None or campaign is None:
        # Deleted since it was scheduled: nothing to send, and nothing to retry.
        logger.info(
            "campaign run skipped: campaign gone", extra={"store_id": store_id, "campaign_id": campaign_id}
        )
        metrics.add_metric(name="CampaignRunsSkipped", unit=MetricUnit.Count, value=1)
        return
    segment = read(campaigns, store_id, SavedSegment, campaign.segment_id)
    if segment is None:
        logger.warning("campaign run skipped: segment gone", extra={"campaign_id": campaign_id})
        metrics.add_metric(name="CampaignRunsSkipped", unit=MetricUnit.Count, value=1)
        return
    now = clock.now()
    members = reader.screened_members(store, segment.definition, screened_channel(campaign.message), now)
    result = run_campaign(
        campaign, _occurrence(request["occurrence"]), members, queue, campaigns, now, store.compliance
    )
    logger.info(
        "campaign run",
        extra={
            "campaign_id": campaign_id,
            "occurrence": result.occurrence,
            "targeted": result.targeted,
            "left_out": result.left_out,
            "skipped": result.skipped,
        },
    )
    metrics.add_metric(name="CampaignSendJobs", unit=MetricUnit.Count, value=result.queued)
    metrics.add_metric(
        name="CampaignMembersLeftOut", unit=MetricUnit.Count, value=result.targeted - result.queued
    )


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(
        event=event, record_handler=handle_run, processor=processor, context=context
    )
