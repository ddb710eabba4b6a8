"""One customer's profile as the admin API shows it: what Nudge holds about them, personal data masked (the
number and the name as a person would recognise their own, nothing more), for a customer-service agent
answering "what do you have about me?" before an erasure (nudge.erasure) or after a change of consent."""

from datetime import datetime
from typing import Any, Protocol

from nudge.errors import NotFound
from nudge.privacy import mask_name, mask_phone
from nudge.profiles.profile import Profile
from nudge.store_settings import get_store
from nudge.stores import Store


class Stores(Protocol):
    def get(self, store_id: str) -> Store | None: ...


class Profiles(Protocol):
    def load(self, store_id: str, customer_id: str) -> Profile | None: ...


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def customer(stores: Stores, profiles: Profiles, store_id: str, customer_id: str) -> dict[str, Any]:
    get_store(stores, store_id)
    profile = profiles.load(store_id, customer_id)
    if profile is None:
        raise NotFound(f"unknown customer {customer_id!r}")
    return {
        "customer_id": profile.customer_id,
        "phone": mask_phone(profile.phone),
        "name": mask_name(profile.name),
        "has_email": profile.email is not None,
        "consents": {
            channel: {"granted": c.granted, "at": c.at.isoformat(), "source": c.source}
            for channel, c in sorted(profile.consents.items())
        },
        "channel_friend": profile.channel_friend,
        "adult_verified": profile.adult_verified,
        "joined_at": _iso(profile.joined_at),
        "last_visit_at": _iso(profile.last_visit_at),
        "visit_count": profile.visit_count,
        "orders": profile.order_count,
        "order_amount": f"{profile.order_amount:.0f}",
        "last_purchase_at": _iso(profile.last_purchase_at),
        "created_at": _iso(profile.created_at),
        "updated_at": _iso(profile.updated_at),
    }
