"""The gateway image cache's DynamoDB adapter against moto, on the stores table template.yaml defines: the
first ref kept is every sender's, an upload is claimed so concurrent senders wait for one, and a claim or a
ref that ran out is taken over."""

from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from moto import mock_aws

from nudge.adapters.gateway_images import REF_LIFETIME, UPLOAD_LEASE, DynamoGatewayImages

pytestmark = pytest.mark.contract
KEY = ("acct", "IMAGE", "img_" + "a" * 32)


class _CloudFormationLoader(yaml.SafeLoader):
    pass


_CloudFormationLoader.add_multi_constructor("!", lambda loader, suffix, node: None)


def _table() -> dict[str, Any]:
    template = yaml.load(Path("template.yaml").read_text(), Loader=_CloudFormationLoader)
    props = template["Resources"]["StoresTable"]["Properties"]
    return {k: props[k] for k in ("KeySchema", "AttributeDefinitions", "BillingMode") if k in props}


class _Clock:
    def __init__(self) -> None:
        self.at = 1_800_000_000.0

    def __call__(self) -> float:
        return self.at


@pytest.fixture
def containers() -> Any:
    with mock_aws():
        client = boto3.client("dynamodb", region_name="ap-northeast-2")
        client.create_table(TableName="stores", **_table())
        clock = _Clock()
        # Two containers: each its own adapter (and memo), one table.
        first, second = (DynamoGatewayImages("stores", client, clock) for _ in range(2))
        yield first, second, clock


def test_one_upload_is_claimed_and_its_ref_is_every_containers(containers: Any) -> None:
    first, second, _ = containers
    assert first.ref(*KEY) is None
    assert first.claim(*KEY) is True
    assert second.claim(*KEY) is False  # another container is uploading: it waits
    assert second.ref(*KEY) is None  # a claim is no ref
    assert first.remember(*KEY, "ref-1") == "ref-1"
    assert second.ref(*KEY) == "ref-1"
    assert second.remember(*KEY, "ref-2") == "ref-1"  # a late upload is never named
    assert second.claim(*KEY) is False


def test_a_claim_whose_holder_died_runs_out_and_is_taken_over(containers: Any) -> None:
    first, second, clock = containers
    assert first.claim(*KEY)
    clock.at += UPLOAD_LEASE.total_seconds() + 1
    assert second.claim(*KEY) is True
    assert second.remember(*KEY, "ref-2") == "ref-2"


def test_a_ref_is_believed_for_its_lifetime_then_the_image_is_uploaded_again(containers: Any) -> None:
    first, second, clock = containers
    assert first.claim(*KEY) and first.remember(*KEY, "ref-1") == "ref-1"
    clock.at += REF_LIFETIME.total_seconds() + 1
    assert second.ref(*KEY) is None and second.claim(*KEY) is True
    assert second.remember(*KEY, "ref-2") == "ref-2"
