"""What every gateway adapter shares: the production addresses, and one HTTP call with its errors sorted
into Transient (retried) and Rejected."""

from typing import TYPE_CHECKING, Any

from nudge.sending.gateway import Rejected, Transient
from nudge.stores import GATEWAY_PRODUCTION

if TYPE_CHECKING:
    import httpx

# Production addresses (declared with the hosts a store may name instead, nudge.stores); a store's
# `gateway.base_url` (one of those hosts) or the GATEWAY_BASE_URL environment variable (which the local
# runtime sets to its emulator) replaces them all.
PRODUCTION = GATEWAY_PRODUCTION


def call(client: "httpx.Client", method: str, url: str, **kwargs: Any) -> tuple[int, str, Any]:
    """One request to a gateway: timeouts, transport errors, 429 and 5xx are Transient (retried); an answer
    that is not JSON is Rejected. Returns (status, reason, parsed JSON) for the adapter to read its own
    error format from a 4xx."""
    import httpx

    try:
        response = client.request(method, url, **kwargs)
    except httpx.TimeoutException as exc:
        raise Transient("timeout", type(exc).__name__) from exc
    except httpx.TransportError as exc:
        raise Transient("transport", type(exc).__name__) from exc
    if response.status_code == 429 or response.status_code >= 500:
        raise Transient(str(response.status_code), response.reason_phrase)
    try:
        answer = response.json()
    except ValueError as exc:
        raise Rejected(str(response.status_code), "answer is not JSON") from exc
    return response.status_code, response.reason_phrase, answer
