"""The sender's dependencies over AWS and httpx, built once per container (the sender function, and the
report endpoint when it sends a fallback SMS)."""

from functools import cache

from nudge import clock, config
from nudge.adapters.catalog import catalog
from nudge.adapters.dynamodb import profile_repository, store_directory
from nudge.adapters.gateway_accounts import ScheduledDeferrals, gateway_for, http_client
from nudge.adapters.ledger import rate_limiter, send_ledger
from nudge.adapters.scheduler import QueueScheduler
from nudge.adapters.ssm import SsmSecretStore
from nudge.gateways import Gateway
from nudge.sending import SendDependencies
from nudge.stores import Store


def _scheduler() -> QueueScheduler:
    return QueueScheduler(
        config.schedule_group(),
        config.scheduler_role_arn(),
        config.send_queue_arn(),
        config.schedule_dead_letter_arn(),
    )


@cache
def send_dependencies(tracking_base_url: str = "") -> SendDependencies:
    """`tracking_base_url` overrides the configured click-redirect address (the tracking function learns its
    own from the request it serves: its template cannot name the API that routes to it)."""
    secrets = SsmSecretStore()
    base_url = config.gateway_base_url()

    def gateway(store: Store) -> Gateway:
        return gateway_for(store, secrets, http_client(), base_url)

    return SendDependencies(
        stores=store_directory(),
        catalog=catalog(),
        profiles=profile_repository(),
        ledger=send_ledger(),
        gateway_for=gateway,
        limiter=rate_limiter(),
        deferrals=ScheduledDeferrals(_scheduler),
        now=clock.now,
        sleep=clock.sleep,
        tracking_base_url=tracking_base_url or config.tracking_base_url(),
    )
