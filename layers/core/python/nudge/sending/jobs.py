"""Send jobs: what campaigns and automations put on the send queue, one per customer and message.

The sender loads the current profile, asks the compliance layer again and sends. A job's `send_key` names
one intended message: the same key is never sent twice, however often the job is delivered (queue
redelivery, a campaign run retried by the scheduler, a Lambda retry).

Which message a job sends is looked up from its source at send time (so a paused or deleted source sends
nothing): `campaign:<id>` → the campaign's message and tracking; `automation:<id>` → step `step` of the
automation (its message and tracking). `variables` are personalisation values known when the job was queued
(a product name, an order number); the profile supplies the rest.
"""

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    model_serializer,
)


class SendJob(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    store_id: str
    source: Annotated[str, Field(pattern=r"^(campaign|automation):[A-Za-z0-9_.:-]+$")]
    occurrence: str  # which run of the source: a scheduled instant, a run id, an automation step
    customer_id: str
    business_key: str | None = None  # an order id, a cart: what makes two messages of one source different
    step: Annotated[int, Field(ge=0, le=20)] | None = None  # an automation's step index; None for campaigns
    variables: dict[str, str] = Field(default_factory=dict)
    queued_at: AwareDatetime
    # Queued by an automation made from a legal-notice template: the ledger's first write says so, so the
    # send stays owed by law (nudge.sending.notices), whatever happens to it or the automation later.
    # Written only when true: a job that says nothing of it reads the same to a sender of any version (a
    # deferral schedule or a fallback kept on the ledger may outlive a deployment).
    owed_by_law: bool = False

    @model_serializer(mode="wrap")
    def _owed_only_when_owed(self, write: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = write(self)
        if not self.owed_by_law:
            data.pop("owed_by_law", None)
        return data

    @property
    def send_key(self) -> str:
        parts = [self.store_id, self.source, self.occurrence, self.customer_id, self.business_key or "-"]
        if self.step is not None:
            parts.append(f"step{self.step}")
        return "|".join(parts)


def occurrence_of(instant: datetime) -> str:
    """A scheduled run's occurrence id: its instant in UTC to the second (the same on every retry)."""
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
