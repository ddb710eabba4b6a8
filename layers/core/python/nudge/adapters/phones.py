"""Phone numbers at rest in PROFILES_TABLE: a keyed hash to find a number by, and a sealed copy to send to.

A profile item keeps its customer's mobile number as two attributes, never as the number itself:
- `ph`: a keyed hash of the E.164 number (HMAC-SHA256 under the store's phone-index key, 128 bits,
  base64url: 22 characters). It is the `by_phone` index's key: the 080 opt-out sync finds the customers
  whose number is on the store's list by hashing each listed number the same way. The same number hashes
  differently in each store, so the index does not link a person's profiles across stores either.
- `pe`: the number sealed with AES-256-GCM-SIV (RFC 8452) under the store's phone-seal key, bound to its
  store and customer (the authenticated data: a copy moved to another profile does not open): format byte,
  96-bit nonce, ciphertext and tag, 42 bytes for a Korean mobile. The nonce is synthetic, an HMAC of the
  customer and the number under a key of its own, so sealing is deterministic: the same number of the same
  profile seals to the same bytes, and a profile written back unchanged is written unchanged. GCM-SIV is
  the AES mode made for nonces that may repeat (a repeated nonce reveals only that the same plaintext was
  sealed again, here the same number of the same profile, which the item says anyway).

Both keys are derived from the `PhoneKey` KMS key (nudge.adapters.keys): one KMS request per store per
container, then everything is local. Only the functions that read or write numbers may derive them
(template.yaml: ingest, admin, sender, tracking, 080 sync). The others (collect, automations) load profiles
without the number (`phone` is None) and keep what is stored as it was when they write the profile back.

Items written before numbers were sealed hold the plain E.164 number in `ph` (it starts with "+", which
base64url never does): they read as before, and the next write of the profile by a function that may read
numbers seals it (migration on write); `nudge.adapters.phones.seal_store` rewrites a whole store at once.
"""

import base64
import hashlib
import hmac
from typing import Any

from nudge.adapters.keys import StoreKeys

SEALED_FORMAT = b"\x01"  # AES-256-GCM-SIV, synthetic 96-bit nonce; a later scheme takes another byte
NONCE_BYTES = 12
INDEX_BYTES = 16
AT_REST = ("ph", "pe")  # the attributes a profile item's number is kept in


class PhonesUnreadable(RuntimeError):
    """This function may not read or write phone numbers (its role cannot derive the store's phone keys)."""


def is_plain(value: Any) -> bool:
    """A `ph` written before numbers were sealed: the E.164 number itself."""
    return isinstance(value, str) and value.startswith("+")


def _bytes(value: Any) -> bytes:
    return bytes(getattr(value, "value", value))  # boto3 hands a stored binary over as Binary


class PhoneVault:
    """Hashes, seals and opens one store's numbers with keys derived from the phone key."""

    def __init__(self, keys: StoreKeys) -> None:
        self.keys = keys

    def index(self, store_id: str, e164: str) -> str:
        digest = hmac.new(self.keys.key(store_id, "phone-index"), e164.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest[:INDEX_BYTES]).rstrip(b"=").decode()

    def seal(self, store_id: str, customer_id: str, e164: str) -> bytes:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCMSIV  # loaded on first use only

        bound = _bound_to(store_id, customer_id)
        nonce_key = self.keys.key(store_id, "phone-nonce")
        nonce = hmac.new(nonce_key, bound + b"\x00" + e164.encode(), hashlib.sha256).digest()[:NONCE_BYTES]
        sealed = AESGCMSIV(self.keys.key(store_id, "phone-seal")).encrypt(nonce, e164.encode(), bound)
        return SEALED_FORMAT + nonce + sealed

    def open(self, store_id: str, customer_id: str, sealed: bytes) -> str:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCMSIV

        if sealed[:1] != SEALED_FORMAT:
            raise ValueError(f"unknown sealed phone format {sealed[:1]!r}")
        nonce, body = sealed[1 : 1 + NONCE_BYTES], sealed[1 + NONCE_BYTES :]
        plain = AESGCMSIV(self.keys.key(store_id, "phone-seal")).decrypt(
            nonce, body, _bound_to(store_id, customer_id)
        )
        return plain.decode()


def _bound_to(store_id: str, customer_id: str) -> bytes:
    return f"{store_id}\x1f{customer_id}".encode()


class PhonesAtRest:
    """A profile item's number as stored (`ph`, `pe`) and as the function sees it (E.164, or None when the
    function may not read numbers)."""

    def __init__(self, vault: PhoneVault | None) -> None:
        self.vault = vault

    @property
    def readable(self) -> bool:
        return self.vault is not None

    @staticmethod
    def take(item: dict[str, Any]) -> dict[str, Any]:
        """Remove the stored number's attributes from a decoded item, and answer them."""
        return {name: item.pop(name) for name in AT_REST if name in item}

    def reveal(self, store_id: str, customer_id: str, stored: dict[str, Any]) -> str | None:
        """The E.164 number of stored attributes (None: no number, or a function that may not read it)."""
        if self.vault is None:
            return None
        if "pe" in stored:
            return self.vault.open(store_id, customer_id, _bytes(stored["pe"]))
        return stored["ph"] if is_plain(stored.get("ph")) else None

    def stored(
        self, store_id: str, customer_id: str, phone: str | None, carried: dict[str, Any] | None
    ) -> dict[str, Any]:
        """The attributes that keep `phone` at rest. A function that may not read numbers loaded the profile
        without it: what was stored is `carried` back unchanged; a number it sets itself cannot be kept."""
        if self.vault is None:
            if phone is not None:
                raise PhonesUnreadable("this function may not write phone numbers (no PHONE_KEY_ARN)")
            return dict(carried or {})
        if phone is None:
            return {}
        return {"ph": self.vault.index(store_id, phone), "pe": self.vault.seal(store_id, customer_id, phone)}

    def lookup_keys(self, store_id: str, e164: str) -> list[str]:
        """The `by_phone` index values a number may be stored under: its keyed hash, and the number itself
        in an item written before numbers were sealed."""
        if self.vault is None:
            raise PhonesUnreadable("this function may not look numbers up (no PHONE_KEY_ARN)")
        return [self.vault.index(store_id, e164), e164]
