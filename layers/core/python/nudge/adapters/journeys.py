"""Journeys in JOURNEYS_TABLE: due steps filed by store and minute slot, and journey entries (re-entry).

Items (the only place that knows these attribute names):
- due step  pk `slot#{store}#{yyyymmddThhmmZ}`, sk `step#{automation}|{customer}|{business key}|{step}`,
  with its journey's facts, `state` (due → queued | deferred | stopped), `detail` (why) and `ttl`;
- entry     pk `entry#{store}#{automation}#{customer}`, sk `key#{business key}` (once per business key)
  or `last` (at most once per N days), with the occurrence that entered and `ttl`.
Both carry `cust` (`{store}|{customer}`), the key of the keys-only `by_customer` index: an erasure finds
every item that names a customer there (items written before the index lack it: see `erase_customer`).
TTL only removes old items; it never times anything.
"""

import json
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from nudge import config
from nudge.adapters.dynamodb import dynamodb_client
from nudge.automations.runs import DueStep, State

DUE_STEP_TTL = timedelta(days=60)  # kept after the slot for reports and investigations
ENTRY_TTL = timedelta(days=800)  # "once per order" must outlive any journey (the longest: ~2 years)


def _stamp(slot: datetime) -> str:
    return slot.strftime("%Y%m%dT%H%MZ")


def _slot_pk(store_id: str, slot: datetime) -> dict[str, str]:
    return {"S": f"slot#{store_id}#{_stamp(slot)}"}


def _step_sk(step: DueStep) -> dict[str, str]:
    return {"S": f"step#{step.key}"}


def _customer(store_id: str, customer_id: str) -> dict[str, str]:
    return {"S": f"{store_id}|{customer_id}"}


def _conditional(call: Any, **request: Any) -> bool:
    try:
        call(**request)
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return False
        raise
    return True


class DynamoJourneys:
    def __init__(self, table: str, client: Any | None = None) -> None:
        self.table = table
        self.client = client or dynamodb_client()

    # ------------------------------------------------------------ due steps
    def put(self, step: DueStep, slot: datetime, now: datetime) -> bool:
        item = {
            "pk": _slot_pk(step.store_id, slot),
            "sk": _step_sk(step),
            "automation_id": {"S": step.automation_id},
            "customer_id": {"S": step.customer_id},
            "cust": _customer(step.store_id, step.customer_id),
            "business_key": {"S": step.business_key},
            "step": {"N": str(step.step)},
            "occurrence": {"S": step.occurrence},
            "trigger_at": {"S": step.trigger_at.isoformat()},
            "due_at": {"S": step.due_at.isoformat()},
            "variables": {"S": json.dumps(step.variables, ensure_ascii=False)},
            "state": {"S": "due"},
            "created_at": {"S": now.isoformat()},
            "ttl": {"N": str(int((slot + DUE_STEP_TTL).timestamp()))},
        }
        return _conditional(
            self.client.put_item,
            TableName=self.table,
            Item=item,
            ConditionExpression="attribute_not_exists(pk)",
        )

    def in_slot(self, store_id: str, slot: datetime) -> list[DueStep]:
        out: list[DueStep] = []
        paginator = self.client.get_paginator("query")
        for page in paginator.paginate(
            TableName=self.table,
            KeyConditionExpression="pk = :pk",
            FilterExpression="#state = :due",
            ExpressionAttributeNames={"#state": "state"},
            ExpressionAttributeValues={":pk": _slot_pk(store_id, slot), ":due": {"S": "due"}},
            ConsistentRead=True,
        ):
            out.extend(
                DueStep(
                    store_id=store_id,
                    automation_id=item["automation_id"]["S"],
                    customer_id=item["customer_id"]["S"],
                    business_key=item["business_key"]["S"],
                    step=int(item["step"]["N"]),
                    occurrence=item["occurrence"]["S"],
                    trigger_at=datetime.fromisoformat(item["trigger_at"]["S"]),
                    due_at=datetime.fromisoformat(item["due_at"]["S"]),
                    variables=json.loads(item["variables"]["S"]),
                )
                for item in page["Items"]
            )
        return out

    def mark(self, step: DueStep, slot: datetime, state: State, detail: str, now: datetime) -> bool:
        return _conditional(
            self.client.update_item,
            TableName=self.table,
            Key={"pk": _slot_pk(step.store_id, slot), "sk": _step_sk(step)},
            UpdateExpression="SET #state = :state, detail = :detail, handled_at = :at",
            ConditionExpression="#state = :due",
            ExpressionAttributeNames={"#state": "state"},
            ExpressionAttributeValues={
                ":state": {"S": state},
                ":detail": {"S": detail[:500]},
                ":at": {"S": now.isoformat()},
                ":due": {"S": "due"},
            },
        )

    def slot_items(self, store_id: str, slot: datetime) -> list[dict[str, str]]:
        """Every step filed under a slot with its state and detail (reports, tests)."""
        response = self.client.query(
            TableName=self.table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": _slot_pk(store_id, slot)},
            ConsistentRead=True,
        )
        return [
            {
                "automation_id": i["automation_id"]["S"],
                "customer_id": i["customer_id"]["S"],
                "state": i["state"]["S"],
                "detail": i.get("detail", {}).get("S", ""),
            }
            for i in response["Items"]
        ]

    # ------------------------------------------------------------ entries (re-entry policy)
    def enter(
        self,
        store_id: str,
        automation_id: str,
        customer_id: str,
        business_key: str,
        occurrence: str,
        at: datetime,
        window: timedelta | None,
        per_key: bool = False,
    ) -> bool:
        sk = f"key#{business_key}" if per_key or window is None else "last"
        values: dict[str, Any] = {":occurrence": {"S": occurrence}}
        condition = "attribute_not_exists(pk) OR occurrence = :occurrence"
        if window is not None:
            condition += " OR entered_at < :cutoff"
            values[":cutoff"] = {"N": str(int((at - window).timestamp()))}
        expires = at + (window if window is not None else ENTRY_TTL)
        return _conditional(
            self.client.put_item,
            TableName=self.table,
            Item={
                "pk": {"S": f"entry#{store_id}#{automation_id}#{customer_id}"},
                "sk": {"S": sk},
                "cust": _customer(store_id, customer_id),
                "business_key": {"S": business_key},
                "occurrence": {"S": occurrence},
                "entered_at": {"N": str(int(at.timestamp()))},
                "ttl": {"N": str(int(expires.timestamp()) + 86_400)},
            },
            ConditionExpression=condition,
            ExpressionAttributeValues=values,
        )

    # ------------------------------------------------------------ erasure
    def erase_customer(
        self, store_id: str, customer_id: str, automation_ids: list[str]
    ) -> tuple[int, int]:
        """Delete every due step and journey entry of a customer: those the `by_customer` index lists, and
        the entries of `automation_ids` written before it (their key names the automation and customer).
        Answers (due steps deleted, entries deleted). A due step written before the index is not found: it
        stops when its slot fires (the profile is gone) and expires DUE_STEP_TTL after its slot."""
        keys: dict[tuple[str, str], None] = {}
        for page in self.client.get_paginator("query").paginate(
            TableName=self.table,
            IndexName="by_customer",
            KeyConditionExpression="cust = :cust",
            ExpressionAttributeValues={":cust": _customer(store_id, customer_id)},
        ):
            keys.update(((i["pk"]["S"], i["sk"]["S"]), None) for i in page["Items"])
        for automation_id in automation_ids:
            for page in self.client.get_paginator("query").paginate(
                TableName=self.table,
                KeyConditionExpression="pk = :pk",
                ExpressionAttributeValues={":pk": {"S": f"entry#{store_id}#{automation_id}#{customer_id}"}},
                ProjectionExpression="pk, sk",
            ):
                keys.update(((i["pk"]["S"], i["sk"]["S"]), None) for i in page["Items"])
        steps = entries = 0
        for pk, sk in keys:
            self.client.delete_item(TableName=self.table, Key={"pk": {"S": pk}, "sk": {"S": sk}})
            if pk.startswith("slot#"):
                steps += 1
            else:
                entries += 1
        return steps, entries


def journeys() -> DynamoJourneys:
    return DynamoJourneys(config.journeys_table())
