"""Automations: normalized events from the events queue start journeys; slot schedules (through the
automation slots queue) fire their due steps, re-checked now, as send jobs on the send queue."""

import json
from functools import cache
from typing import Any

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import TypeAdapter

from nudge import clock
from nudge.adapters.catalog import invocation_catalog
from nudge.adapters.wiring import automation_dependencies as dependencies
from nudge.automations.runs import fire_slot, parse_slot_request, start_journeys
from nudge.observability import logger as make_logger
from nudge.profiles.events import NormalizedEvent

logger = make_logger()
metrics = Metrics()
processor = BatchProcessor(event_type=EventType.SQS)


@cache
def event_adapter() -> TypeAdapter[NormalizedEvent]:
    return TypeAdapter(NormalizedEvent)


def handle_event(body: dict[str, Any]) -> None:
    stores, deps = dependencies()
    event = event_adapter().validate_python(body)
    store = stores.get(event.store_id)
    if store is None:
        logger.info("event for an unknown store ignored", extra={"store_id": event.store_id})
        return
    result = start_journeys(event, store, deps, clock.now())
    if result.started or result.not_reentered:
        logger.info(
            "journeys",
            extra={
                "event_id": event.event_id,
                "type": event.type.value,
                "started": result.started,
                "not_reentered": result.not_reentered,
                "scheduled": result.scheduled,
                "queued": result.queued,
                "stopped": result.stopped,
            },
        )
    metrics.add_metric(name="AutomationStepsQueued", unit=MetricUnit.Count, value=result.queued)
    metrics.add_metric(name="AutomationStepsScheduled", unit=MetricUnit.Count, value=result.scheduled)


def handle_slot(body: dict[str, Any]) -> None:
    stores, deps = dependencies()
    store_id, slot = parse_slot_request(body)
    store = stores.get(store_id)
    if store is None:
        logger.warning("slot for an unknown store ignored", extra={"store_id": store_id})
        return
    result = fire_slot(store, slot, deps, clock.now())
    logger.info(
        "slot fired",
        extra={
            "store_id": store_id,
            "slot": body["slot"],
            "queued": result.queued,
            "deferred": result.deferred,
            "stopped": result.stopped,
            "already_handled": result.already_handled,
        },
    )
    metrics.add_metric(name="AutomationStepsQueued", unit=MetricUnit.Count, value=result.queued)


def handle_record(record: SQSRecord) -> None:
    body: dict[str, Any] = json.loads(record.body)
    # The slots queue carries {"store_id", "slot"}; the events queue carries normalized events.
    if "slot" in body and "type" not in body:
        handle_slot(body)
    else:
        handle_event(body)


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> PartialItemFailureResponse:
    invocation_catalog().forget()  # each invocation reads the store's automations afresh, once
    return process_partial_response(
        event=event, record_handler=handle_record, processor=processor, context=context
    )
