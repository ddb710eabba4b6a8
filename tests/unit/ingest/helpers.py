from datetime import UTC, datetime

from nudge.ingest.platforms.delivery import WebhookRequest
from nudge.ingest.service import IngestDependencies, IngestResult, receive_tracker_batch, receive_webhook
from nudge_local.demo.samples import SampleRequest


def send(deps: IngestDependencies, request: SampleRequest, now: datetime) -> IngestResult:
    """A sample request through the ingest path the handlers use (after their size/content-type gates)."""
    parts = request.path.strip("/").split("/")
    if parts[0] == "collect":
        store = deps.stores.get(parts[1])
        assert store is not None
        return receive_tracker_batch(request.body, store, deps, now.astimezone(UTC))
    _, platform, store_id = parts
    return receive_webhook(
        WebhookRequest(platform, store_id, request.headers, request.body, now.astimezone(UTC)), deps
    )
