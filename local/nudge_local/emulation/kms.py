"""The template's KMS keys in the emulated KMS (moto), under the ids the local template gives them.

KMS names a new key by a random id; the template's `!GetAtt PhoneKey.Arn` must name it before it exists (the
functions' environment and IAM policies are resolved first), so the local template derives each key's id
from the stack and the logical id (runtime/template.py `kms_key_id`) and the key moto makes is filed under
that id. moto's HMAC keys compute real HMACs over key material, which moto draws at random: locally it is
derived from the key's id too, so a month run twice stores the same bytes (test_month_determinism.py), and
what one runtime sealed another opens. In AWS the key material never leaves KMS.

The harness (tests, the demo) reads profiles as a function that may read numbers does: `reading_profiles`."""

import hashlib
from typing import Any

from botocore.exceptions import ClientError

from nudge.adapters.dynamodb import DynamoProfileRepository
from nudge.adapters.keys import StoreKeys
from nudge.adapters.phones import PhonesAtRest, PhoneVault

# The template (nudge_local.runtime.template.Template): its `kms_keys`, `tables`, `account` and `region`.
Template = Any


def provision_keys(template: Template, client: Any) -> None:
    """Create every KMS key of the template (calling it twice is harmless)."""
    for key in template.kms_keys.values():
        try:
            client.describe_key(KeyId=key.key_id)
            continue
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "NotFoundException":
                raise
        props = key.properties
        made = client.create_key(
            Description=str(props.get("Description", key.logical_id)),
            KeySpec=str(props.get("KeySpec", "SYMMETRIC_DEFAULT")),
            KeyUsage=str(props.get("KeyUsage", "ENCRYPT_DECRYPT")),
        )["KeyMetadata"]
        _file_under(made["KeyId"], key.key_id, template.account, template.region)


def _file_under(made: str, wanted: str, account: str, region: str) -> None:
    """Re-file the key moto made under the id the template names it by, with key material derived from it
    (moto's backend is this process's, in-process and behind the embedded server alike)."""
    from moto.kms.models import kms_backends

    backend = kms_backends[account][region]
    key = backend.keys.pop(made)
    key.id = wanted
    key.arn = f"arn:aws:kms:{region}:{account}:key/{wanted}"
    key.key_material = hashlib.sha256(f"nudge-local-key-material/{wanted}".encode()).digest()
    backend.keys[wanted] = key


def reading_phones(template: Template, client: Any, logical_id: str = "PhoneKey") -> PhonesAtRest:
    """Phone numbers as a function that may read them sees them (for the harness's own reads of profiles)."""
    return PhonesAtRest(PhoneVault(StoreKeys(template.kms_keys[logical_id].arn, client)))


def reading_profiles(template: Template, dynamodb: Any, kms: Any) -> DynamoProfileRepository:
    """The template's profiles as the harness reads them: numbers opened (`profile_of` turns a scanned item,
    as boto3 deserializes it, into its profile)."""
    return DynamoProfileRepository(
        template.tables["ProfilesTable"].name,
        template.tables["EventsTable"].name,
        dynamodb,
        phones=reading_phones(template, kms),
    )
