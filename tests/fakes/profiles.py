"""Profiles (nudge.ports.ProfileRepository and the areas' narrower readers) with the DynamoDB adapter's
semantics (a conditional delivery record, a version-checked profile, a copy on every read), and a segment's
members read from them."""

import copy
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from nudge.ports import DeliveryRecord, ProfileRepository, SaveOutcome
from nudge.profiles.profile import Member, Order, Profile
from nudge.segments.evaluate import CompiledSegment
from nudge.stores import Store

if TYPE_CHECKING:
    from nudge.automations.runs import Profiles
    from nudge.automations.service import StoreProfiles
    from nudge.reports.service import ReportProfiles
    from nudge.segments.service import MemberReader
    from nudge.sending.service import ProfileReader


@dataclass
class InMemoryProfiles:
    profiles: dict[tuple[str, str], Profile] = field(default_factory=dict)
    records: dict[tuple[str, str], DeliveryRecord] = field(default_factory=dict)
    order_index: dict[tuple[str, str], str] = field(default_factory=dict)
    saves: int = 0
    # Simulates another writer changing the profile between load and save, this many times.
    interleaved_writes: int = 0

    def load(self, store_id: str, customer_id: str) -> Profile | None:
        profile = self.profiles.get((store_id, customer_id))
        return copy.deepcopy(profile)

    def customer_for_order(self, store_id: str, order_id: str) -> str | None:
        return self.order_index.get((store_id, order_id))

    def save(self, profile: Profile, record: DeliveryRecord, expected_version: int) -> SaveOutcome:
        if (record.store_id, record.key) in self.records:
            return SaveOutcome.DUPLICATE
        key = (profile.store_id, profile.customer_id)
        if self.interleaved_writes:
            self.interleaved_writes -= 1
            stored = self.profiles.get(key)
            if stored is not None:
                stored.version += 1
        current = self.profiles.get(key)
        if (current.version if current else 0) != expected_version:
            return SaveOutcome.CONFLICT
        saved = copy.deepcopy(profile)
        saved.version = expected_version + 1
        self.profiles[key] = saved
        self.records[(record.store_id, record.key)] = record
        for order_id in record.orders_placed:
            self.order_index[(record.store_id, order_id)] = profile.customer_id
        self.saves += 1
        return SaveOutcome.APPLIED

    def create(self, profiles: list[Profile]) -> list[bool]:
        written = []
        for profile in profiles:
            key = (profile.store_id, profile.customer_id)
            if key in self.profiles:
                written.append(False)
                continue
            saved = copy.deepcopy(profile)
            saved.version = 1
            self.profiles[key] = saved
            written.append(True)
        return written

    def record(self, record: DeliveryRecord) -> SaveOutcome:
        if (record.store_id, record.key) in self.records:
            return SaveOutcome.DUPLICATE
        self.records[(record.store_id, record.key)] = record
        return SaveOutcome.APPLIED

    def orders_many(self, store_id: str, customer_ids: Iterable[str]) -> dict[str, dict[str, Order]]:
        return {
            c: copy.deepcopy(p.orders)
            for c in dict.fromkeys(customer_ids)
            if (p := self.profiles.get((store_id, c)))
        }

    def store_profiles(self, store_id: str) -> Iterator[Profile]:
        return (copy.deepcopy(p) for (s, _), p in list(self.profiles.items()) if s == store_id)

    def get(self, store_id: str, customer_id: str) -> Profile:
        """The stored profile itself (not a copy), for a test to look at or change."""
        return self.profiles[(store_id, customer_id)]


class InMemoryMembers:
    """A segment's members read from the in-memory profiles (nudge.segments.service.MemberReader)."""

    def __init__(self, profiles: InMemoryProfiles) -> None:
        self.profiles = profiles

    def members(self, store: Store, segment: CompiledSegment) -> Iterator[str]:
        return segment.members(self.profiles.store_profiles(store.store_id))

    def screened_members(
        self, store: Store, segment: CompiledSegment, consent_channel: str | None, now: datetime
    ) -> Iterator[Member]:
        for profile in self.profiles.store_profiles(store.store_id):
            if segment.matches(profile):
                consent = profile.consents.get(consent_channel) if consent_channel else None
                yield Member(profile.customer_id, consent, profile.channel_friend is True)


if TYPE_CHECKING:  # mypy holds each fake to the Protocols it stands in for
    _repository: ProfileRepository = InMemoryProfiles()
    _sender: ProfileReader = InMemoryProfiles()
    _automations: Profiles = InMemoryProfiles()
    _learning: StoreProfiles = InMemoryProfiles()
    _reports: ReportProfiles = InMemoryProfiles()
    _members: MemberReader = InMemoryMembers(InMemoryProfiles())
