"""An uploaded image's record and the port that keeps images."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from compliance.images import ImageFacts


@dataclass(frozen=True, slots=True)
class ImageRecord:
    store_id: str
    image_id: str  # "img_" + 32 hex digits of the bytes' SHA-256 (compliance.images.image_id)
    name: str  # the file name the marketer gave, for their lists
    facts: ImageFacts
    created_at: datetime


class ImageInvalid(ValueError):
    """The bytes are not an image Nudge can read (the service checks before the store is asked)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class ImageStore(Protocol):
    """A store's images: bytes and records. Ids name the bytes, so putting the same picture twice is one
    image (the first record, and its name, stay)."""

    def put(self, store_id: str, name: str, data: bytes, now: datetime) -> ImageRecord:
        """Keep the image (ImageInvalid when the bytes are not a readable picture); its record."""
        ...

    def get(self, store_id: str, image_id: str) -> ImageRecord | None: ...

    def data(self, store_id: str, image_id: str) -> bytes | None:
        """The original bytes, for an upload to a gateway."""
        ...

    def facts_of(self, store_id: str, ids: Iterable[str]) -> dict[str, ImageFacts]:
        """The facts of those of `ids` this store uploaded (an unknown id is absent)."""
        ...

    def list(self, store_id: str) -> list[ImageRecord]:
        """Every image of the store, oldest first."""
        ...
