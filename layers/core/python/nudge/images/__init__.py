"""The store's images: pictures a marketer uploads to Nudge once and names in messages by id (an IMAGE or
WIDE brand message, wide items, carousel cards, a video thumbnail, an MMS). Nudge keeps the originals
(Kakao deletes an image from its CDN once no message refers to it) and uploads them to the store's gateway
when a message needs them (nudge.sending).

The front door: `ImageRecord` and the port `ImageStore` (nudge.adapters.images in AWS: the bytes in S3, the
record in STORES_TABLE). nudge.images.service checks an upload and answers what it fits. docs/images.md."""

from nudge.images.model import ImageInvalid, ImageRecord, ImageStore

__all__ = ["ImageInvalid", "ImageRecord", "ImageStore"]
