"""Member tokens: how a store vouches that a tracker batch comes from one of its logged-in members.

The tracker is public (its write key ships in the page), so a member id it sends proves nothing: anyone can
type one. A member id counts only with a token the store's own server made for that member, with a secret
the browser never sees (the store secret `tracker-identity-secret`, in SSM like the webhook secrets):

    member_token = "v1." + expires + "." + hex(HMAC-SHA256(secret, "v1|{store_id}|{member_id}|{expires}"))

`expires` is Unix seconds; a token is refused once it has passed (make it short: a day, an hour). The
store id in the signed text keeps a token of one store from vouching on another that shares the secret.
Every server language can make one in a line; so can a Shopify theme (Liquid's `hmac_sha256` filter), and
docs/webhooks.md shows how, per platform. Without a valid token the batch is still recorded, as the
anonymous visitor it is.
"""

import hashlib
import hmac
from datetime import datetime

VERSION = "v1"
MAX_TOKEN_LENGTH = 100  # "v1." + ten digits + "." + 64 hex digits, with room for longer expiries


def signed_text(store_id: str, member_id: str, expires: int) -> str:
    return f"{VERSION}|{store_id}|{member_id}|{expires}"


def _token(secret: str, store_id: str, member_id: str, expires: int) -> str:
    digest = hmac.new(secret.encode(), signed_text(store_id, member_id, expires).encode(), hashlib.sha256)
    return f"{VERSION}.{expires}.{digest.hexdigest()}"


def member_token(secret: str, store_id: str, member_id: str, expires: datetime) -> str:
    """The token a store's server puts in the page of a logged-in member (Python; see the module's text)."""
    return _token(secret, store_id, member_id, int(expires.timestamp()))


def token_problem(
    secret: str | None, store_id: str, member_id: str, token: str | None, now: datetime
) -> str | None:
    """Why `token` does not vouch for `member_id` at `store_id` now, or None when it does."""
    if not token:
        return "no member_token: the store did not vouch for this member id"
    if not secret:
        return "the store has no tracker identity secret: member ids cannot be vouched for"
    version, _, rest = token.partition(".")
    expires, _, signature = rest.partition(".")
    if version != VERSION or not expires.isdigit() or len(expires) > 12 or not signature:
        return f"member_token is not a {VERSION} token"
    expected = _token(secret, store_id, member_id, int(expires))
    if not hmac.compare_digest(expected.encode(), token.encode()):
        return "member_token was not made for this member id by this store"
    if int(expires) <= now.timestamp():
        return "member_token has expired"
    return None
