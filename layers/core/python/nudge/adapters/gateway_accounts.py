"""A store's gateway: its account settings (the store item) + its secrets (SSM) → an NHN or Solapi adapter
over one shared httpx client (connections are reused across invocations of a container)."""

from collections.abc import Callable
from datetime import datetime
from functools import cache

import httpx

from nudge.adapters.gateways import nhn, solapi
from nudge.adapters.gateways.nhn import NhnGateway
from nudge.adapters.gateways.solapi import SolapiGateway
from nudge.adapters.gateways.transport import PRODUCTION
from nudge.adapters.scheduler import QueueScheduler, deferred_send_name
from nudge.ports import SecretStore
from nudge.schedules import at_expression
from nudge.sending.gateway import Gateway, ReportFormat
from nudge.sending.jobs import SendJob
from nudge.stores import GATEWAY_SECRET_NAMES, GatewayAccount, Store, gateway_url_problem

# A gateway that does not answer within these limits is "unclear" (nudge.sending.service: ask, then retry).
TIMEOUT = httpx.Timeout(5.0, connect=2.0)

# Each gateway's delivery-report format, by the provider in `POST /gateway/reports/{provider}`.
REPORT_FORMATS: dict[str, ReportFormat] = {"nhn": nhn.REPORT_FORMAT, "solapi": solapi.REPORT_FORMAT}

_transport: httpx.BaseTransport | None = None


@cache
def http_client() -> httpx.Client:
    return httpx.Client(
        timeout=TIMEOUT, limits=httpx.Limits(max_keepalive_connections=20), transport=_transport
    )


def use_transport(transport: httpx.BaseTransport | None) -> None:
    """Send gateway requests through this transport instead of the network (None: the network again). The
    local runtime hands in its gateway emulator, as it hands nudge.clock its simulated clock."""
    global _transport
    _transport = transport
    http_client.cache_clear()


class GatewayAddressRefused(ValueError):
    """The store item names a gateway address outside its provider's hosts: nothing is asked there."""


def gateway_address(store: Store, base_url: str | None = None) -> tuple[GatewayAccount, str | None]:
    """The store's gateway account and where to reach it: `base_url` (the deployment's: the local emulator),
    else the account's own `base_url` held to its provider's hosts, else None (production)."""
    account = store.gateway
    if account is None:
        raise ValueError(f"store {store.store_id} has no gateway account")
    if not base_url and account.base_url:
        # The admin API refuses such an address before the store is written; a store item written around
        # it (before the check existed, or straight into the table) is asked nothing and hands out no secret.
        problem = gateway_url_problem(account.provider, account.base_url)
        if problem is not None:
            raise GatewayAddressRefused(
                f"store {store.store_id}: gateway.base_url {problem}; nothing is asked there"
            )
    return account, base_url or account.base_url


def gateway_for(
    store: Store, secrets: SecretStore, client: httpx.Client, base_url: str | None = None
) -> Gateway:
    account, base = gateway_address(store, base_url)
    if account.provider == "nhn":
        return NhnGateway(
            account.account_id,
            client,
            kakao_url=base or PRODUCTION["nhn-kakao"],
            sms_url=base or PRODUCTION["nhn-sms"],
            kakao_appkey=account.kakao_appkey,
            kakao_secret=secrets.get(store.store_id, GATEWAY_SECRET_NAMES["nhn-kakao"]),
            sender_key=account.sender_key,
            sms_appkey=account.sms_appkey,
            sms_secret=secrets.get(store.store_id, GATEWAY_SECRET_NAMES["nhn-sms"]),
        )
    return SolapiGateway(
        account.account_id,
        client,
        base_url=base or PRODUCTION["solapi"],
        api_key=account.api_key,
        api_secret=secrets.get(store.store_id, GATEWAY_SECRET_NAMES["solapi"]),
        pf_id=account.pf_id,
    )


class ScheduledDeferrals:
    """A deferred send comes back as the same job on the send queue, by a one-time Scheduler schedule."""

    def __init__(self, scheduler: Callable[[], QueueScheduler]) -> None:
        self._scheduler = scheduler  # built on first use: most invocations never defer

    def defer(self, job: SendJob, send_id: str, at: datetime, store: Store) -> None:
        self._scheduler().put(
            deferred_send_name(send_id),
            at_expression(at, store.zone),
            store.timezone,
            job.model_dump(mode="json"),
            one_time=True,
        )
