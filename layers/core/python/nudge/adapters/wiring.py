"""The composition root: each function's dependencies over AWS and httpx, built once per container.

Every builder imports what it wires when it is first called, so a handler's cold start imports only its own
adapters and domain (the admin API never loads httpx and the gateways; the sender never loads the admin).
The handlers bind their `dependencies` to these builders."""

from dataclasses import replace
from datetime import datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING, Any

from nudge import clock, config
from nudge.stores import Store

if TYPE_CHECKING:
    from compliance.message import Message
    from nudge.adapters.cafe24 import AdminApi
    from nudge.adapters.cafe24_reader import Cafe24Reader
    from nudge.adapters.catalog import DynamoCatalog
    from nudge.adapters.dynamodb import (
        DynamoPendingReads,
        DynamoProfileRepository,
        DynamoReconcileRuns,
        DynamoStoreDirectory,
        DynamoSyncCursors,
    )
    from nudge.adapters.images import S3Images
    from nudge.adapters.ledger import DynamoSendLedger
    from nudge.adapters.principals import PrincipalScopes
    from nudge.adapters.scheduler import QueueScheduler
    from nudge.adapters.segment_reader import SegmentReader
    from nudge.adapters.sqs import JsonQueue
    from nudge.alimtalk.service import TemplateDependencies, TemplateUsers
    from nudge.automations.runs import AutomationDependencies
    from nudge.automations.service import AutomationSetupDependencies
    from nudge.campaigns.service import CampaignDependencies
    from nudge.erasure.service import ErasureDependencies
    from nudge.ingest.cafe24_app import AppDependencies
    from nudge.ingest.service import IngestDependencies
    from nudge.products.service import CatalogService
    from nudge.reports.delivery import ReportDependencies
    from nudge.reports.service import ReportReadDependencies
    from nudge.segments.service import SegmentDependencies
    from nudge.sending.gateway import Gateway
    from nudge.sending.preview import PreviewDependencies
    from nudge.sending.service import SendDependencies
    from nudge.store_settings import StoreDependencies


# ---------------------------------------------------------------- sending (sender, tracking, optouts)


def _scheduler() -> "QueueScheduler":
    from nudge.adapters.scheduler import QueueScheduler

    return QueueScheduler(
        config.schedule_group(),
        config.scheduler_role_arn(),
        config.send_queue_arn(),
        config.schedule_dead_letter_arn(),
    )


@cache
def send_dependencies(tracking_base_url: str = "") -> "SendDependencies":
    """`tracking_base_url` overrides the configured click-redirect address (the tracking function learns its
    own from the request it serves: its template cannot name the API that routes to it)."""
    from nudge.adapters.catalog import catalog
    from nudge.adapters.dynamodb import profile_repository, store_directory
    from nudge.adapters.gateway_accounts import ScheduledDeferrals, gateway_for, http_client
    from nudge.adapters.gateway_images import gateway_images
    from nudge.adapters.ledger import rate_limiter, send_ledger
    from nudge.adapters.ssm import SsmSecretStore
    from nudge.sending.service import SendDependencies

    secrets = SsmSecretStore()
    base_url = config.gateway_base_url()

    def gateway(store: Store) -> "Gateway":
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
        images=_SendImages(),
        gateway_images=gateway_images(),
    )


class _SendImages:
    """The store's images as the sender reads them (nudge.adapters.images), opened on the first message that
    shows one: most sends show none."""

    def __init__(self) -> None:
        self._store: Any = None

    def data(self, store_id: str, image_id: str) -> bytes | None:
        if self._store is None:
            from nudge.adapters.images import image_store

            self._store = image_store()
        data: bytes | None = self._store.data(store_id, image_id)
        return data


@cache
def sender_dependencies() -> "SendDependencies":
    """The ledger, the gateways, the profiles and the catalog this container sends with (cached); the
    messages are read once per invocation (a batch of one campaign's jobs reads its message once)."""
    from nudge.adapters.catalog import invocation_catalog

    return replace(send_dependencies(), catalog=invocation_catalog())


# ---------------------------------------------------------------- ingest (ingest, collect; consent writes)


@cache
def ingest_dependencies() -> "IngestDependencies":
    from nudge.adapters.counters import tracker_counters
    from nudge.adapters.dynamodb import profile_repository, store_directory
    from nudge.adapters.erasures import ErasedCustomers
    from nudge.adapters.sqs import events_publisher
    from nudge.adapters.ssm import SsmSecretStore
    from nudge.ingest.service import IngestDependencies

    return IngestDependencies(
        store_directory(),
        SsmSecretStore(),
        profile_repository(),
        events_publisher(),
        tracker_counters(),
        erased=ErasedCustomers(),
        eraser=_erase_for_platform,
        products=product_catalog(),
        readers=platform_reader,
        pending=pending_reads(),
    )


def pending_reads() -> "DynamoPendingReads":
    from nudge.adapters.dynamodb import DynamoPendingReads

    return DynamoPendingReads(config.stores_table())


# How long a store's Cafe24 install status is believed (one SSM read per store and container per minute,
# not per webhook); a new install or a lapse is seen within it.
INSTALL_STATUS_TTL = 60.0


@cache
def _install_statuses() -> dict[str, tuple[float, str]]:
    """Per store: when its install status was read (seconds on the function's clock) and what it was. A
    Lambda container keeps it (a new one, or the local runtime's cold start, starts empty)."""
    return {}


def platform_reader(store: Store, platform: str) -> "Cafe24Reader | None":
    """The store's platform API, when it has one: Cafe24's once the app was installed (a lapsed install
    still answers a reader, whose reads then wait for the reconciliation), else None."""
    if platform != "cafe24" or not store.cafe24_mall_id:
        return None
    from nudge.adapters.cafe24_reader import Cafe24Reader

    now = clock.now().timestamp()  # the simulated clock locally: the same month reads the same
    statuses = _install_statuses()
    checked = statuses.get(store.store_id)
    if checked is None or now - checked[0] > INSTALL_STATUS_TTL:
        status = str(cafe24_install_status(store.store_id).get("status", "not_installed"))
        checked = (now, status)
        statuses[store.store_id] = checked
    if checked[1] == "not_installed":
        return None
    return Cafe24Reader(lambda: cafe24_admin_api(store.store_id))


@cache
def product_catalog() -> "CatalogService":
    """The store's product catalog (nudge.products): product webhooks update it, ingest completes lines from
    it and notes interest in it, the admin API reads it, an erasure forgets a customer's watchers in it."""
    from nudge.adapters.products import product_store
    from nudge.adapters.sqs import events_publisher
    from nudge.products.service import CatalogService

    return CatalogService(product_store(), events_publisher())


def _erase_for_platform(
    store_id: str, customer_id: str, requested_by: str, now: datetime, order_ids: tuple[str, ...]
) -> object:
    """A platform's erasure request (Shopify's customers/redact), as the admin API's DELETE erases."""
    from nudge.erasure.service import erase_customer

    return erase_customer(erasure_dependencies(), store_id, customer_id, requested_by, now, order_ids)


# ---------------------------------------------------------------- erasure (admin, ingest)


@cache
def erasure_dependencies() -> "ErasureDependencies":
    from nudge.adapters.catalog import catalog
    from nudge.adapters.dynamodb import profile_repository, store_directory
    from nudge.adapters.erasures import erasure_log
    from nudge.adapters.journeys import journeys
    from nudge.adapters.ledger import send_ledger
    from nudge.adapters.scheduler import deferred_sends
    from nudge.erasure.service import ErasureDependencies

    log = erasure_log()
    if log is None:
        raise RuntimeError("this function cannot erase customers: PSEUDONYM_KEY_ARN is not set")
    return ErasureDependencies(
        stores=store_directory(),
        catalog=catalog(),
        log=log,
        profiles=profile_repository(),
        journeys=journeys(),
        sends=send_ledger(),
        deferrals=deferred_sends(),
        interests=product_catalog(),
    )


# ---------------------------------------------------------------- reports (tracking, optouts)


@cache
def click_ledger() -> "DynamoSendLedger":
    from nudge.adapters.ledger import send_ledger

    return send_ledger()


@cache
def report_dependencies(public_base_url: str = "") -> "ReportDependencies":
    """`public_base_url`: where the fallback SMS's and notices' links point. The template cannot hand this
    function the API's address (the API routes to the function, so that would be a circular reference):
    without a TrackingBaseUrl it is the address the gateway's report came in on, the same every request."""
    from nudge.adapters.gateway_accounts import REPORT_FORMATS
    from nudge.reports.delivery import ReportDependencies
    from nudge.sending.service import send_fallback, send_notice

    return ReportDependencies(
        click_ledger(),
        ingest_dependencies(),
        REPORT_FORMATS,
        fallback=lambda record: send_fallback(record, send_dependencies(public_base_url)),
        notice=lambda store_id, customer_id, key, message: send_notice(
            store_id, customer_id, key, message, send_dependencies(public_base_url)
        ),
    )


@cache
def optout_dependencies() -> tuple[
    "DynamoStoreDirectory", "DynamoProfileRepository", "DynamoSyncCursors", "IngestDependencies"
]:
    from nudge.adapters.dynamodb import profile_repository, store_directory, sync_cursors

    return store_directory(), profile_repository(), sync_cursors(), ingest_dependencies()


def consent_notice(store_id: str, customer_id: str, key: str, message: "Message") -> object:
    from nudge.sending.service import send_notice

    return send_notice(store_id, customer_id, key, message, send_dependencies())


# ---------------------------------------------------------------- campaigns and automations


@cache
def campaign_run_dependencies() -> tuple[
    "DynamoStoreDirectory", "DynamoCatalog", "JsonQueue", "SegmentReader"
]:
    from nudge.adapters.catalog import catalog
    from nudge.adapters.dynamodb import store_directory
    from nudge.adapters.segment_reader import SegmentReader
    from nudge.adapters.sqs import send_queue

    return store_directory(), catalog(), send_queue(), SegmentReader()


@cache
def automation_dependencies() -> tuple["DynamoStoreDirectory", "AutomationDependencies"]:
    from nudge.adapters.catalog import invocation_catalog
    from nudge.adapters.dynamodb import profile_repository, store_directory
    from nudge.adapters.journeys import journeys
    from nudge.adapters.ledger import send_ledger
    from nudge.adapters.scheduler import slot_schedules
    from nudge.adapters.sqs import send_queue
    from nudge.automations.runs import AutomationDependencies

    due = journeys()
    return store_directory(), AutomationDependencies(
        catalog=invocation_catalog(),
        profiles=profile_repository(),
        due_steps=due,
        entries=due,
        scheduler=slot_schedules(),
        send_queue=send_queue(),
        stops=send_ledger(),
    )


# ---------------------------------------------------------------- the admin API, one area at a time


class _MemberReader:
    """The whole-store segment read, as the segment and campaign previews use it."""

    def members(self, store: Store, segment: Any) -> Any:
        from nudge.adapters.segment_reader import SegmentReader

        return SegmentReader().members(store, segment)

    def screened_members(self, store: Store, segment: Any, consent_channel: str | None, now: datetime) -> Any:
        from nudge.adapters.segment_reader import SegmentReader

        return SegmentReader().screened_members(store, segment, consent_channel, now)


@cache
def store_dependencies() -> "StoreDependencies":
    from nudge.adapters.dynamodb import profile_repository, store_directory
    from nudge.adapters.ssm import put_secret
    from nudge.store_settings import StoreDependencies

    return StoreDependencies(
        stores=store_directory(),
        profiles=profile_repository(),
        write_secret=put_secret,
        deployment_gateway=config.gateway_base_url(),
    )


@cache
def admin_scopes() -> "PrincipalScopes":
    """Which stores each admin API caller may administer (its IAM principal's nudge:stores tag)."""
    from nudge.adapters.principals import PrincipalScopes

    return PrincipalScopes()


@cache
def segment_dependencies() -> "SegmentDependencies":
    from nudge.adapters.catalog import catalog
    from nudge.adapters.dynamodb import profile_repository, store_directory
    from nudge.segments.service import SegmentDependencies

    return SegmentDependencies(
        stores=store_directory(), catalog=catalog(), profiles=profile_repository(), members=_MemberReader()
    )


@cache
def alimtalk_template_dependencies() -> "TemplateDependencies":
    """The stores' AlimTalk template lists: kept in the catalog, read from each store's gateway account
    (httpx and the gateway adapters are loaded on the first read, not on a cold start)."""
    from nudge.adapters.catalog import catalog
    from nudge.adapters.dynamodb import store_directory
    from nudge.adapters.ssm import SsmSecretStore
    from nudge.alimtalk.service import TemplateDependencies, TemplateSource

    secrets = SsmSecretStore()

    def source_for(store: Store) -> "TemplateSource":
        from nudge.adapters.alimtalk_templates import template_source_for

        return template_source_for(store, secrets, config.gateway_base_url())

    return TemplateDependencies(stores=store_directory(), catalog=catalog(), source_for=source_for)


def alimtalk_template_users() -> "tuple[TemplateUsers, ...]":
    """What a sync pauses when a template stops being approved: campaigns still to run, active automations."""
    from functools import partial

    from nudge.adapters.catalog import catalog
    from nudge.automations.service import pause_for_templates as pause_automations
    from nudge.campaigns.service import pause_for_templates as pause_campaigns

    return (partial(pause_campaigns, catalog()), partial(pause_automations, catalog()))


@cache
def alimtalk_sync_dependencies() -> tuple[
    "DynamoStoreDirectory", "TemplateDependencies", "tuple[TemplateUsers, ...]"
]:
    """The hourly sync: every store, their template lists, and what a withdrawn template pauses."""
    from nudge.adapters.dynamodb import store_directory

    return store_directory(), alimtalk_template_dependencies(), alimtalk_template_users()


@cache
def image_store() -> "S3Images":
    """The store's images (nudge.images.ImageStore): bytes in IMAGES_BUCKET, records in STORES_TABLE."""
    from nudge.adapters.images import image_store as s3_images

    return s3_images()


@cache
def message_preview_dependencies() -> "PreviewDependencies":
    """A message as one customer would get it (nudge.sending.preview): the store, its catalog, the profile
    and the customer's recent sends."""
    from nudge.adapters.catalog import catalog
    from nudge.adapters.dynamodb import profile_repository, store_directory
    from nudge.adapters.ledger import send_ledger
    from nudge.sending.preview import PreviewDependencies

    return PreviewDependencies(
        stores=store_directory(), catalog=catalog(), profiles=profile_repository(), ledger=send_ledger()
    )


@cache
def campaign_dependencies() -> "CampaignDependencies":
    from nudge.adapters.catalog import catalog
    from nudge.adapters.dynamodb import store_directory
    from nudge.adapters.scheduler import campaign_scheduler
    from nudge.adapters.sqs import campaign_runs_queue
    from nudge.campaigns.service import CampaignDependencies

    return CampaignDependencies(
        stores=store_directory(),
        catalog=catalog(),
        members=_MemberReader(),
        scheduler=campaign_scheduler(),
        run_requests=campaign_runs_queue(),
        templates=alimtalk_template_dependencies(),
        images=image_store(),
    )


@cache
def automation_setup_dependencies() -> "AutomationSetupDependencies":
    from nudge.adapters.catalog import catalog
    from nudge.adapters.dynamodb import profile_repository, store_directory
    from nudge.automations.service import AutomationSetupDependencies

    return AutomationSetupDependencies(
        stores=store_directory(),
        catalog=catalog(),
        profiles=profile_repository(),
        templates=alimtalk_template_dependencies(),
        images=image_store(),
    )


@cache
def report_read_dependencies() -> "ReportReadDependencies":
    from nudge.adapters.catalog import catalog
    from nudge.adapters.dynamodb import profile_repository, store_directory
    from nudge.adapters.ledger import SEND_RECORD_TTL, send_ledger
    from nudge.reports.service import ReportReadDependencies

    return ReportReadDependencies(
        stores=store_directory(),
        catalog=catalog(),
        profiles=profile_repository(),
        ledger=send_ledger(),
        records_kept=SEND_RECORD_TTL,
    )


# ---------------------------------------------------------------- the Cafe24 app (ingest: install, callback)


def cafe24_app_dependencies() -> "AppDependencies":
    """The app's credentials (SSM, cached by Powertools for a few minutes), the stores, the token vault and
    Cafe24's token endpoint. Built on each call: a deployment given its credentials later picks them up."""
    from nudge.adapters.cafe24 import Cafe24OAuth, SsmTokenVault
    from nudge.adapters.dynamodb import store_directory
    from nudge.adapters.ssm import SsmSecretStore
    from nudge.ingest.cafe24_app import APP_SECRETS_ID, CLIENT_ID, CLIENT_SECRET, App, AppDependencies

    secrets = SsmSecretStore()
    client_id = secrets.get(APP_SECRETS_ID, CLIENT_ID)
    client_secret = secrets.get(APP_SECRETS_ID, CLIENT_SECRET)
    app = App(client_id, client_secret) if client_id and client_secret else None
    return AppDependencies(app=app, stores=store_directory(), vault=SsmTokenVault(), oauth=Cafe24OAuth())


ACCESS_TOKEN_REUSE = timedelta(minutes=4)  # inside the 5 minutes access_token leaves before expiry


def cafe24_admin_api(store_id: str) -> "AdminApi":
    """The Admin API of a store's mall, its access token refreshed before it expires (AppLapsed when the
    install must be redone, NotFound when there is none)."""
    from nudge.adapters.cafe24 import AdminApi
    from nudge.errors import NotFound
    from nudge.ingest.cafe24_app import AppLapsed, access_token

    deps = cafe24_app_dependencies()
    tokens = deps.vault.get(store_id)
    if tokens is None:
        raise NotFound(f"the Cafe24 app is not installed on store '{store_id}'")

    held: list[tuple[str, datetime]] = []  # this client's access token and when it was read

    def token() -> str:
        # Read (and refreshed if due) once per client, i.e. per invocation, not per call: a reconciliation
        # makes a dozen calls. A token held past ACCESS_TOKEN_REUSE is read again.
        now = clock.now()
        if held and now - held[0][1] < ACCESS_TOKEN_REUSE:
            return held[0][0]
        try:
            value = access_token(store_id, deps, now)
            held[:] = [(value, now)]
            return value
        except AppLapsed as lapsed:
            # One line an alarm can count (a metric filter on this message); the reason, never a token.
            from nudge.observability import logger

            logger().error("cafe24 app lapsed", extra={"store_id": store_id, "detail": str(lapsed)})
            raise

    return AdminApi(tokens.mall_id, token, clock.sleep)


def reconcile_dependencies() -> tuple[
    "DynamoStoreDirectory",
    "DynamoSyncCursors",
    "DynamoPendingReads",
    "DynamoProfileRepository",
    "IngestDependencies",
    "DynamoReconcileRuns",
]:
    """The reconciliation's: the stores, its cursors, the reads webhooks left waiting, the delivery records
    (what is known already), the ingest path it feeds, and where its last run is kept."""
    from nudge.adapters.dynamodb import DynamoReconcileRuns, profile_repository, store_directory, sync_cursors

    runs = DynamoReconcileRuns(config.stores_table())
    return (
        store_directory(),
        sync_cursors(),
        pending_reads(),
        profile_repository(),
        ingest_dependencies(),
        runs,
    )


def cafe24_sync_status(store_id: str) -> dict[str, object]:
    """The admin API's view of a store's reconciliation: its last run (counts and times) and how many reads
    wait for the next (webhooks the Admin API could not answer)."""
    from nudge.adapters.dynamodb import DynamoPendingReads, DynamoReconcileRuns

    waiting = DynamoPendingReads(config.stores_table()).take(store_id)
    return {
        "last_reconciliation": DynamoReconcileRuns(config.stores_table()).get(store_id),
        "waiting": {
            "orders": len(waiting.orders),
            "members": len(waiting.members),
            "products": len(waiting.products),
        },
    }


def cafe24_install_status(store_id: str) -> dict[str, object]:
    """The admin API's view of a store's Cafe24 install: installed, lapsed (and why) or not installed."""
    from nudge.adapters.cafe24 import SsmTokenVault

    return SsmTokenVault().status(store_id)
