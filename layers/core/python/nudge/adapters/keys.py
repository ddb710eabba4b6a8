"""Per-store keys derived from a KMS HMAC key: what seals phone numbers at rest and what makes the keyed
hashes (pseudonyms) that stand for a customer where their id may not be kept.

A KMS HMAC key (KeySpec HMAC_256) never leaves KMS. Its MAC of a fixed label naming the store is a secret
only a caller with `kms:GenerateMac` on that key can compute: that 32-byte value is the store's root key,
and its purposes are told apart locally (HMAC-SHA256 of the root over the purpose's name, as HKDF's expand
step does). One KMS request per store and key per container, cached for the container's life; every
encryption, decryption and hash after that is local (microseconds, no request, no charge).

Nothing is stored: the derivation is the same in every function and every container, so there is no key
item to create, race for or lose. What a function may derive is what its role may GenerateMac with
(template.yaml: the phone key for the functions that read or write phone numbers, the pseudonym key for
those that check or write erasure records)."""

import hashlib
import hmac
import os
import threading
from functools import cache
from typing import Any

LABEL = "nudge:store-root:v1:"  # the message whose MAC is a store's root key (v1: the derivation's version)


@cache
def kms_client() -> Any:
    import boto3

    return boto3.client("kms")


class StoreKeys:
    """The per-store keys of one KMS HMAC key (its ARN), each derived once per container.

    Cached by function and store: in Lambda a container runs one function, so that is once per store; the
    local runtime runs every function in one process, where each function still derives its own, under its
    own role (its KMS grant is checked as in AWS)."""

    def __init__(self, key_arn: str, client: Any | None = None) -> None:
        self.key_arn = key_arn
        self._client = client
        self._roots: dict[tuple[str, str], bytes] = {}
        self._lock = threading.Lock()

    def root(self, store_id: str) -> bytes:
        cached = (os.environ.get("AWS_LAMBDA_FUNCTION_NAME", ""), store_id)
        root = self._roots.get(cached)
        if root is not None:
            return root
        with self._lock:  # threads reading one store's profiles at once ask KMS once, not once each
            root = self._roots.get(cached)
            if root is None:
                client = self._client or kms_client()
                answer = client.generate_mac(
                    KeyId=self.key_arn, Message=(LABEL + store_id).encode(), MacAlgorithm="HMAC_SHA_256"
                )
                root = self._roots[cached] = bytes(answer["Mac"])
        return root

    def key(self, store_id: str, purpose: str) -> bytes:
        """The store's 32-byte key for one purpose ("phone-seal", "phone-index", "customer-pseudonym")."""
        return hmac.new(self.root(store_id), purpose.encode(), hashlib.sha256).digest()
