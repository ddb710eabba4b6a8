"""The reports the admin API answers: what a campaign or an automation did (nudge.reports.sources), and
why one customer was (or was not) sent each message (nudge.reports.why)."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from nudge.automations.definitions import AUTOMATION
from nudge.campaigns.definitions import Campaign
from nudge.campaigns.runs import left_out_reason
from nudge.catalog import read
from nudge.ports import CAMPAIGN, Catalog, ProfileRepository, StoreDirectory
from nudge.reports.sources import ProfileReader, ReportLedger, source_report
from nudge.reports.why import Source, explain
from nudge.segments.evaluate import compile_segment
from nudge.segments.service import SavedSegment
from nudge.sending.records import SendRecord
from nudge.store_settings import get_store


class ReportProfiles(ProfileRepository, ProfileReader, Protocol): ...


class SendHistory(ReportLedger, Protocol):
    def recent(self, store_id: str, customer_id: str, since: datetime) -> Iterable[SendRecord]: ...


@dataclass(frozen=True, slots=True)
class ReportReadDependencies:
    """What the reports read (delivery reports coming in: nudge.reports.delivery.ReportDependencies)."""

    stores: StoreDirectory
    catalog: Catalog
    profiles: ReportProfiles
    ledger: SendHistory
    records_kept: timedelta  # how far back the ledger keeps a customer's sends


def report(
    deps: ReportReadDependencies, store_id: str, kind: str, source_id: str
) -> tuple[str, dict[str, Any]]:
    """(the campaign's or automation's name, its report)."""
    get_store(deps.stores, store_id)
    return source_report(store_id, kind, source_id, deps.ledger, deps.profiles, deps.catalog)


def why(deps: ReportReadDependencies, store_id: str, customer_id: str, now: datetime) -> dict[str, Any]:
    """The decision chain for one customer (nudge.reports.why): every message decided about, and every
    campaign that ran without one."""
    records = deps.ledger.recent(store_id, customer_id, since=now - deps.records_kept)
    store = get_store(deps.stores, store_id)
    profile = deps.profiles.load(store_id, customer_id)
    sources: dict[str, Source] = {}
    for document in deps.catalog.documents(store_id, CAMPAIGN):
        campaign_id = document["campaign_id"]
        runs = deps.catalog.runs(store_id, campaign_id)
        screened = [r for r in runs if r.get("left_out")]
        left_out = None
        if profile is not None and screened:
            last = max(datetime.fromisoformat(r["started_at"]) for r in screened)
            left_out = left_out_reason(Campaign.from_document(document), profile, last, store.compliance)
        last_run = max((datetime.fromisoformat(r["started_at"]) for r in runs), default=None)
        sources[f"campaign:{campaign_id}"] = Source(
            f"campaign:{campaign_id}",
            document["name"],
            document.get("segment_id"),
            bool(runs),
            left_out,
            last_run,
        )
    for document in deps.catalog.documents(store_id, AUTOMATION):
        source = f"automation:{document['automation_id']}"
        sources[source] = Source(source, document["name"], steps=len(document.get("steps") or ()))

    def in_segment_now(segment_id: str) -> bool:
        segment = None if profile is None else read(deps.catalog, store_id, SavedSegment, segment_id)
        if profile is None or segment is None:
            return False
        return compile_segment(segment.definition, store.zone, now).matches(profile)

    return explain(profile, customer_id, records, sources, in_segment_now)
