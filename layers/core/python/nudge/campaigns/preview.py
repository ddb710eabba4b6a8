"""A campaign's message as one customer would get it now (nudge.sending.preview): `POST …/campaigns/
{campaign_id}/preview` with a `customer_id`. A campaign's message has the profile's and the store's
variables only: there is no event, and nothing in it is an example."""

from datetime import datetime
from typing import Any

from nudge.campaigns.definitions import Campaign
from nudge.catalog import read_or_404
from nudge.errors import FieldError, InvalidPayload, NotFound
from nudge.sending.preview import PreviewDependencies, parse_request, preview, recent_records
from nudge.store_settings import get_store

NO_EVENT = "a campaign's message has no event: its variables are the profile's and the store's"


def preview_message(
    deps: PreviewDependencies, store_id: str, campaign_id: str, payload: object, now: datetime
) -> dict[str, Any]:
    request = parse_request(payload)
    if request.event:
        raise InvalidPayload("preview request is not valid", [FieldError("event", NO_EVENT)])
    store = get_store(deps.stores, store_id)
    campaign = read_or_404(deps.catalog, store_id, Campaign, campaign_id)
    profile = deps.profiles.load(store_id, request.customer_id)
    if profile is None:
        raise NotFound(f"unknown customer {request.customer_id!r}")
    recent = recent_records(deps, store_id, request.customer_id, campaign.message, now)
    answer = preview(campaign.message, profile, store, now, known={}, examples={}, recent=recent)
    return {"campaign_id": campaign_id, **answer}
