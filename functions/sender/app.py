"""The send queue, in batches: each job is sent exactly once (nudge.sending.service), failures are reported
per item so only those come back (and after the queue's maxReceiveCount go to its dead-letter queue)."""


from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from nudge.adapters.catalog import invocation_catalog
from nudge.adapters.wiring import sender_dependencies as dependencies
from nudge.observability import logger as make_logger
from nudge.sending.jobs import SendJob
from nudge.sending.service import process

logger = make_logger()
metrics = Metrics()
processor = BatchProcessor(event_type=EventType.SQS)


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
def lambda_handler(event: dict, context: LambdaContext) -> PartialItemFailureResponse:
    invocation_catalog().forget()  # each invocation reads the messages afresh, once
    return process_partial_response(
        event=event, record_handler=handle_job, processor=processor, context=context
    )
