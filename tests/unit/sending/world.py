"""A sender with everything in memory except the gateway protocol: the local gateway emulator answers the
real NHN / Solapi requests through an in-process httpx transport (no socket)."""

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from nudge.adapters.gateway_accounts import gateway_for
from nudge.ports import CAMPAIGN
from nudge.profiles.profile import Consent, Profile
from nudge.sending.gateway import Gateway
from nudge.sending.jobs import SendJob
from nudge.sending.service import SendDependencies, process
from nudge.stores import Store
from nudge_local.runtime.stores import DOGDAY, MAPLE, gateway_emulator
from tests.fakes import (
    CountingLimiter,
    InMemoryCatalog,
    InMemoryLedger,
    InMemoryProfiles,
    InMemorySecrets,
    InMemoryStores,
    ManualClock,
    RecordingDeferrals,
)

KST = ZoneInfo("Asia/Seoul")
NOON = datetime(2026, 3, 18, 12, 0, tzinfo=KST)
SMS_AD = {
    "message_class": "advertising",
    "channel": "sms",
    "content": "#{name|고객}님, 도그데이 기획전이 오늘 마감돼요 https://dogday.example/event/dogday",
}
BRAND_AD = {
    "message_class": "advertising",
    "channel": "brand_message",
    "content": "#{name}님, 도그데이 기획전이 오늘 마감돼요!",
    "buttons": [{"name": "기획전 보기", "type": "WL", "link_mo": "https://dogday.example/event/dogday"}],
    "targeting": "I",
    "fallback_sms": True,
}
ALIMTALK = {
    "message_class": "informational",
    "channel": "alimtalk",
    "content": "#{name}님, 주문하신 상품이 발송되었습니다. 송장번호: #{tracking_no}",
    "template_code": "ORDER_SHIPPED_01",
    "template_approved": True,
    "fallback_sms": True,
}


class StoreImages:
    """The store's images (nudge.images.ImageStore's bytes), by store and image id."""

    def __init__(self) -> None:
        self.bytes: dict[tuple[str, str], bytes] = {}

    def add(self, store_id: str, data: bytes) -> str:
        from compliance.images import image_id

        key = image_id(data)
        self.bytes[(store_id, key)] = data
        return key

    def data(self, store_id: str, image_id: str) -> bytes | None:
        return self.bytes.get((store_id, image_id))


class GatewayRefs:
    """nudge.sending.service.GatewayImages in memory: the first ref remembered is kept."""

    def __init__(self) -> None:
        self.refs: dict[tuple[str, str, str], str] = {}
        self.claimed: set[tuple[str, str, str]] = set()  # uploads under way (a claim never runs out here)

    def ref(self, account: str, use: str, image_id: str) -> str | None:
        return self.refs.get((account, use, image_id))

    def claim(self, account: str, use: str, image_id: str) -> bool:
        key = (account, use, image_id)
        if key in self.refs or key in self.claimed:
            return False
        self.claimed.add(key)
        return True

    def remember(self, account: str, use: str, image_id: str, ref: str) -> str:
        return self.refs.setdefault((account, use, image_id), ref)


class World:
    def __init__(self, now: datetime = NOON) -> None:
        self.clock = ManualClock(now)
        self.emulator = gateway_emulator(self.clock.now)
        self.ledger = InMemoryLedger()
        self.catalog = InMemoryCatalog()
        self.profiles = InMemoryProfiles()
        self.limiter = CountingLimiter()
        self.deferrals = RecordingDeferrals()
        self.sleeps: list[float] = []
        self.stores = InMemoryStores([DOGDAY.store, MAPLE.store])
        self.secrets = InMemorySecrets(
            {(s.store.store_id, k): v for s in (DOGDAY, MAPLE) for k, v in s.secrets.items()}
        )
        self.transport: httpx.BaseTransport = self.emulator.transport()
        self.images = StoreImages()
        self.gateway_images = GatewayRefs()
        self.wrap: Callable[[Gateway], Gateway] = lambda gateway: gateway

    @property
    def now(self) -> datetime:
        return self.clock.now()

    def advance(self, by: timedelta) -> None:
        self.clock.advance(by)

    def deps(self) -> SendDependencies:
        client = httpx.Client(transport=self.transport, base_url="http://gateway.local")

        def gateway(store: Store) -> Gateway:
            return self.wrap(gateway_for(store, self.secrets, client, "http://gateway.local"))

        return SendDependencies(
            stores=self.stores,
            catalog=self.catalog,
            profiles=self.profiles,
            ledger=self.ledger,
            gateway_for=gateway,
            limiter=self.limiter,
            deferrals=self.deferrals,
            now=self.clock.now,
            sleep=self.sleeps.append,
            tracking_base_url="https://t.nudge.example",
            jitter=lambda: 0.0,
            images=self.images,
            gateway_images=self.gateway_images,
        )

    def customer(
        self,
        customer_id: str,
        *,
        store_id: str = "dogday-mall",
        phone: str | None = "+821012345678",
        name: str | None = "홍길동",
        consents: tuple[str, ...] = ("sms", "kakao"),
        channel_friend: bool = True,
    ) -> Profile:
        granted = NOON - timedelta(days=30)
        profile = Profile(
            store_id,
            customer_id,
            phone=phone,
            name=name,
            consents={c: Consent(True, granted, "signup-form") for c in consents},
            channel_friend=channel_friend,
        )
        self.profiles.profiles[(store_id, customer_id)] = profile
        return profile

    def campaign(
        self, campaign_id: str, message: dict[str, Any], *, store_id: str = "dogday-mall", **tracking: Any
    ) -> str:
        self.catalog.items[(store_id, CAMPAIGN, campaign_id)] = {
            "campaign_id": campaign_id,
            "message": message,
            "tracking": {"landing_url": "https://dogday.example/event/dogday", **tracking},
        }
        return f"campaign:{campaign_id}"

    def job(self, source: str, customer_id: str, *, store_id: str = "dogday-mall", **kw: Any) -> SendJob:
        return SendJob(
            store_id=store_id,
            source=source,
            occurrence="2026-03-18T03:00:00Z",
            customer_id=customer_id,
            queued_at=NOON - timedelta(minutes=5),
            **kw,
        )

    def send(self, job: SendJob) -> Any:
        return process(job, self.deps())
