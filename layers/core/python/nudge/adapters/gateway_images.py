"""Which images a gateway account holds already: the ref each upload answered (NHN's imageUrl or attachment
fileId, Solapi's storage fileId), per gateway account, image use and image id, so an image goes up once and
every recipient's message names the same ref (nudge.sending.service.GatewayImages).

One item per upload in STORES_TABLE: pk `gwimg#{account}`, sk `{use}#{image_id}`, `ref`, `ttl`. The first
sender to remember a ref keeps it (a conditional put): two senders that raced to upload the same image both
use the one that was kept, and the other upload is never named. A ref is believed for REF_LIFETIME, then
the image is uploaded again: NHN warns that Kakao drops an image from its CDN once nothing refers to it
(friendtalkupgrade-api-guide.md "업로드 이미지 규격"), and neither gateway says how long an upload no
template names stays usable. DynamoDB's TTL deletes expired items late (within days), so an expired item
is read as absent and may be replaced. Refs are kept in the container for a minute as well: a campaign's
recipients then cost one read per image and container, not one each.

Before uploading, a sender claims the upload (`claim`: the same item, `uploading` and a lease of
UPLOAD_LEASE instead of a ref), so the containers a campaign's fan-out starts at once wait for the one
upload instead of each making its own; a claim whose holder died runs out and is taken over."""

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from botocore.exceptions import ClientError

from nudge import clock, config
from nudge.adapters.dynamodb import dynamodb_client

REF_LIFETIME = timedelta(days=7)
MEMO_SECONDS = 60.0
UPLOAD_LEASE = timedelta(seconds=30)  # longer than an upload with its retries takes


class DynamoGatewayImages:
    def __init__(
        self,
        table: str,
        client: Any | None = None,
        now: Callable[[], float] = lambda: clock.now().timestamp(),
    ) -> None:
        self.table = table
        self.client = client or dynamodb_client()
        self.now = now  # seconds: the simulated clock locally, so a replayed month ages refs alike
        self._memo: dict[tuple[str, str, str], tuple[str, float]] = {}

    @staticmethod
    def key(account: str, use: str, image_id: str) -> dict[str, Any]:
        return {"pk": {"S": f"gwimg#{account}"}, "sk": {"S": f"{use}#{image_id}"}}

    def ref(self, account: str, use: str, image_id: str) -> str | None:
        now = self.now()
        memo = self._memo.get((account, use, image_id))
        if memo is not None and now - memo[1] < MEMO_SECONDS:
            return memo[0]
        item = self.client.get_item(
            TableName=self.table, Key=self.key(account, use, image_id), ConsistentRead=True
        ).get("Item")
        if item is None or "ref" not in item or int(item["ttl"]["N"]) <= now:
            return None  # absent, expired, or an upload still under way (claim)
        ref = str(item["ref"]["S"])
        self._memo[(account, use, image_id)] = (ref, now)
        return ref

    def claim(self, account: str, use: str, image_id: str) -> bool:
        """Take the upload of this image: False when another sender holds it (or has kept a ref)."""
        now = self.now()
        try:
            self.client.put_item(
                TableName=self.table,
                Item={
                    **self.key(account, use, image_id),
                    "uploading": {"BOOL": True},
                    "ttl": {"N": str(int(now + UPLOAD_LEASE.total_seconds()))},
                },
                ConditionExpression="attribute_not_exists(pk) OR #ttl <= :now",
                ExpressionAttributeNames={"#ttl": "ttl"},
                ExpressionAttributeValues={":now": {"N": str(int(now))}},
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
            return False
        return True

    def remember(self, account: str, use: str, image_id: str, ref: str) -> str:
        """Keep `ref` unless another sender kept one first (then that one): the ref to use."""
        now = self.now()
        expires = int(now + REF_LIFETIME.total_seconds())
        try:
            self.client.put_item(
                TableName=self.table,
                Item={**self.key(account, use, image_id), "ref": {"S": ref}, "ttl": {"N": str(expires)}},
                # Over nothing, an expired item, or a claim (ours, or one whose holder is still uploading).
                ConditionExpression="attribute_not_exists(pk) OR #ttl <= :now OR attribute_not_exists(#ref)",
                ExpressionAttributeNames={"#ttl": "ttl", "#ref": "ref"},
                ExpressionAttributeValues={":now": {"N": str(int(now))}},
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
            kept = self.ref(account, use, image_id)
            if kept is None:  # expired between the two calls: rare; this upload is as good
                return ref
            return kept
        self._memo[(account, use, image_id)] = (ref, now)
        return ref


def gateway_images() -> DynamoGatewayImages:
    return DynamoGatewayImages(config.stores_table())
