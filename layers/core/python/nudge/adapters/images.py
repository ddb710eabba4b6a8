"""The store's images (nudge.images.ImageStore): the bytes in IMAGES_BUCKET, the record in STORES_TABLE.

- object `images/{store_id}/{image_id}`: the original bytes, as uploaded (private; the bucket encrypts at
  rest). Written before the record, so a record never names bytes that are missing.
- item pk `store#{store_id}`, sk `image#{image_id}`: `name`, `fmt`, `w`, `h`, `size`, `at` (ISO instant).
  Written only if absent: the id names the bytes, so the first upload's record (and name) stays.

The facts are read from the bytes here (compliance.images.read_facts), never taken from the caller.
"""

import os
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.exceptions import ClientError

from compliance.images import ImageFacts, image_id, read_facts
from nudge import config
from nudge.adapters.dynamodb import batch_get, dynamodb_client
from nudge.images import ImageInvalid, ImageRecord

_PREFIX = "image#"


def images_bucket() -> str:
    """IMAGES_BUCKET, as template.yaml gives the functions that read or write images."""
    value = os.environ.get("IMAGES_BUCKET")
    if not value:
        raise RuntimeError("environment variable IMAGES_BUCKET is not set (template.yaml sets it)")
    return value


def _key(store_id: str, image: str) -> dict[str, Any]:
    return {"pk": {"S": f"store#{store_id}"}, "sk": {"S": f"{_PREFIX}{image}"}}


def _object_key(store_id: str, image: str) -> str:
    return f"images/{store_id}/{image}"


def _record(store_id: str, item: dict[str, Any]) -> ImageRecord:
    facts = ImageFacts(item["fmt"]["S"], int(item["w"]["N"]), int(item["h"]["N"]), int(item["size"]["N"]))
    image = item["sk"]["S"].removeprefix(_PREFIX)
    return ImageRecord(store_id, image, item["name"]["S"], facts, datetime.fromisoformat(item["at"]["S"]))


class S3Images:
    def __init__(self, bucket: str, table: str, s3: Any | None = None, dynamodb: Any | None = None) -> None:
        self.bucket = bucket
        self.table = table
        self.s3 = s3 or boto3.client("s3")
        self.dynamodb = dynamodb or dynamodb_client()

    def put(self, store_id: str, name: str, data: bytes, now: datetime) -> ImageRecord:
        facts = read_facts(data)
        if facts is None:
            raise ImageInvalid("data", "not a JPEG, PNG or GIF image Nudge can read")
        image = image_id(data)
        existing = self.get(store_id, image)
        if existing is not None:
            return existing
        content_type = {"jpeg": "image/jpeg", "png": "image/png", "gif": "image/gif"}[facts.format]
        self.s3.put_object(
            Bucket=self.bucket, Key=_object_key(store_id, image), Body=data, ContentType=content_type
        )
        record = ImageRecord(store_id, image, name, facts, now)
        item = {
            **_key(store_id, image),
            "name": {"S": name},
            "fmt": {"S": facts.format},
            "w": {"N": str(facts.width)},
            "h": {"N": str(facts.height)},
            "size": {"N": str(facts.size)},
            "at": {"S": now.astimezone(UTC).isoformat()},
        }
        try:
            self.dynamodb.put_item(
                TableName=self.table, Item=item, ConditionExpression="attribute_not_exists(pk)"
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
            kept = self.get(store_id, image)  # a concurrent upload of the same bytes kept its record
            return kept if kept is not None else record
        return record

    def get(self, store_id: str, image_id: str) -> ImageRecord | None:
        item = self.dynamodb.get_item(TableName=self.table, Key=_key(store_id, image_id)).get("Item")
        return _record(store_id, item) if item is not None else None

    def data(self, store_id: str, image_id: str) -> bytes | None:
        try:
            answer = self.s3.get_object(Bucket=self.bucket, Key=_object_key(store_id, image_id))
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                return None
            raise
        body: bytes = answer["Body"].read()
        return body

    def facts_of(self, store_id: str, ids: Iterable[str]) -> dict[str, ImageFacts]:
        keys = [_key(store_id, i) for i in dict.fromkeys(ids)]
        if not keys:
            return {}
        return {
            (r := _record(store_id, item)).image_id: r.facts
            for item in batch_get(self.dynamodb, self.table, keys)
        }

    def list(self, store_id: str) -> list[ImageRecord]:
        records: list[ImageRecord] = []
        request: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
            "ExpressionAttributeValues": {":pk": {"S": f"store#{store_id}"}, ":prefix": {"S": _PREFIX}},
        }
        while True:
            page = self.dynamodb.query(**request)
            records += [_record(store_id, item) for item in page.get("Items", [])]
            if "LastEvaluatedKey" not in page:
                break
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return sorted(records, key=lambda r: (r.created_at, r.image_id))


def image_store() -> S3Images:
    return S3Images(images_bucket(), config.stores_table())
