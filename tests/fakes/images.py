"""Nudge's image store (nudge.images.ImageStore) in memory."""

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING

from compliance.images import ImageFacts, image_id, read_facts
from nudge.images import ImageInvalid, ImageRecord


class InMemoryImages:
    """nudge.images.ImageStore in memory, with the adapter's semantics: idempotent by id, per store."""

    def __init__(self) -> None:
        self.records: dict[tuple[str, str], ImageRecord] = {}
        self.bytes: dict[tuple[str, str], bytes] = {}

    def put(self, store_id: str, name: str, data: bytes, now: datetime) -> ImageRecord:
        facts = read_facts(data)
        if facts is None:
            raise ImageInvalid("data", "not a JPEG, PNG or GIF image")
        key = (store_id, image_id(data))
        if key not in self.records:
            self.records[key] = ImageRecord(store_id, key[1], name, facts, now)
            self.bytes[key] = data
        return self.records[key]

    def get(self, store_id: str, image_id: str) -> ImageRecord | None:
        return self.records.get((store_id, image_id))

    def data(self, store_id: str, image_id: str) -> bytes | None:
        return self.bytes.get((store_id, image_id))

    def facts_of(self, store_id: str, ids: Iterable[str]) -> dict[str, ImageFacts]:
        return {i: r.facts for i in ids if (r := self.records.get((store_id, i))) is not None}

    def list(self, store_id: str) -> list[ImageRecord]:
        return sorted(
            (r for (s, _), r in self.records.items() if s == store_id),
            key=lambda r: (r.created_at, r.image_id),
        )


if TYPE_CHECKING:
    from nudge.images import ImageStore

    _: ImageStore = InMemoryImages()
