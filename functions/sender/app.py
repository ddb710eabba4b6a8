"""The send queue, in batches: each job is sent exactly once (nudge.sending), failures are reported per
item so only those come back (and after the queue's maxReceiveCount go to its dead-letter queue)."""

import time
from functools import cache

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from nudge import clock, config
from nudge.adapters.catalog import catalog
from nudge.adapters.dynamodb import profile_repository, store_directory
from nudge.adapters.gateway_accounts import ScheduledDeferrals, gateway_for, http_client
from nudge.adapters.ledger import rate_limiter, send_ledger
from nudge.adapters.scheduler import QueueScheduler
from nudge.adapters.ssm import SsmSecretStore
from nudge.gateways import Gateway
from nudge.observability import logger as make_logger
from nudge.send_jobs import SendJob
from nudge.sending import SendDependencies, process
from nudge.stores import Store

logger = make_logger()
metrics = Metrics()
processor = BatchProcessor(event_type=EventType.SQS)


@cache
def dependencies() -> SendDependencies:
    secrets = SsmSecretStore()
    base_url = config.gateway_base_url()

    def gateway(store: Store) -> Gateway:
        return gateway_for(store, secrets, http_client(), base_url)

    deferrals = ScheduledDeferrals(
        QueueScheduler(
            config.schedule_group(),
            config.scheduler_role_arn(),
            config.send_queue_arn(),
            config.schedule_dead_letter_arn(),
        )
    )
    return SendDependencies(
        stores=store_directory(),
        catalog=catalog(),
        profiles=profile_repository(),
        ledger=send_ledger(),
        gateway_for=gateway,
        limiter=rate_limiter(),
        deferrals=deferrals,
        now=clock.now,
        sleep=time.sleep,
        tracking_base_url=config.tracking_base_url(),
    )


def handle_job(record: SQSRecord) -> None:
    job = SendJob.model_validate_json(record.body)
    result = process(job, dependencies())
    # No phone number or name here: the send id, the source and the outcome.
    logger.info(
        "send %s",
        result.state,
        extra={
            "send_id": result.send_id,
            "store_id": job.store_id,
            "source": job.source,
            "reasons": list(result.reasons),
            "code": result.code,
        },
    )
    metrics.add_metric(name=f"Send_{result.state}", unit=MetricUnit.Count, value=1)


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return process_partial_response(
        event=event, record_handler=handle_job, processor=processor, context=context
    )
