"""Exactly once: every way a send job can be seen twice ends with one message at the gateway."""

from datetime import timedelta

import httpx
import pytest

from nudge.sending.gateway import Accepted, Gateway, Outbound
from nudge.sending.records import State, send_id_of
from nudge.sending.service import LEASE, Busy
from tests.fakes import Crash
from tests.unit.sending.world import SMS_AD, World


def test_a_redelivered_job_is_acknowledged_without_a_second_message() -> None:
    world = World()
    world.customer("c1")
    job = world.job(world.campaign("cmp1", SMS_AD), "c1")
    assert world.send(job).state == "sent"
    assert world.send(job).state == "duplicate"
    assert len(world.emulator.outbox) == 1


def test_two_deliveries_at_the_same_time_leave_the_second_to_come_back_later() -> None:
    world = World()
    world.customer("c1")
    job = world.job(world.campaign("cmp1", SMS_AD), "c1")
    world.ledger.claim(world.ledger.records.get("x") or _fresh(world, job), world.now, LEASE)
    with pytest.raises(Busy):
        world.send(job)
    assert world.emulator.outbox == []


def _fresh(world: World, job):  # the claim another invocation made a moment ago
    from nudge.sending.records import SendRecord

    return SendRecord(
        send_id_of(job.send_key), job.store_id, job.source, job.customer_id, job.occurrence, State.SENDING
    )


def test_a_crash_before_the_gateway_call_is_sent_once_by_the_retry_after_the_lease() -> None:
    world = World()
    world.customer("c1")
    job = world.job(world.campaign("cmp1", SMS_AD), "c1")

    def crash_before(gateway: Gateway) -> Gateway:
        class Crashing:
            account_id = gateway.account_id

            def send(self, message: Outbound) -> Accepted:
                raise Crash

            def find(self, message: Outbound) -> Accepted | None:
                return gateway.find(message)

            def carries_fallback(self, message: Outbound) -> bool:
                return gateway.carries_fallback(message)

        return Crashing()

    world.wrap = crash_before
    with pytest.raises(Crash):
        world.send(job)
    world.wrap = lambda gateway: gateway
    with pytest.raises(Busy):  # the Lambda retry comes too early: the lease still holds
        world.send(job)
    world.advance(LEASE + timedelta(seconds=1))
    assert world.send(job).state == "sent"
    assert len(world.emulator.outbox) == 1


def test_a_crash_between_the_gateway_answer_and_the_ledger_update_never_sends_twice() -> None:
    for store_id, customer in (("dogday-mall", "nhn-c"), ("maple-goods", "solapi-c")):
        world = World()
        world.customer(customer, store_id=store_id)
        job = world.job(world.campaign("cmp1", SMS_AD, store_id=store_id), customer, store_id=store_id)

        def crash_after(gateway: Gateway) -> Gateway:
            class Crashing:
                account_id = gateway.account_id

                def send(self, message: Outbound) -> Accepted:
                    gateway.send(message)
                    raise Crash  # the answer came back; the process died before writing it down

                def find(self, message: Outbound) -> Accepted | None:
                    return gateway.find(message)

                def carries_fallback(self, message: Outbound) -> bool:
                    return gateway.carries_fallback(message)

            return Crashing()

        world.wrap = crash_after
        with pytest.raises(Crash):
            world.send(job)
        assert world.ledger.records[send_id_of(job.send_key)].state is State.SENDING
        world.wrap = lambda gateway: gateway
        world.advance(LEASE + timedelta(seconds=1))
        result = world.send(job)
        assert result.state == "already_sent", store_id
        assert len(world.emulator.requests) == 1 and len(world.emulator.outbox) == 1, store_id
        assert world.ledger.records[result.send_id].state is State.SENT
        assert world.send(job).state == "duplicate"


class _Flaky(httpx.BaseTransport):
    """Answers the first `failures` send requests with `status` (or a timeout) after the gateway took them."""

    def __init__(
        self, inner: httpx.BaseTransport, failures: int, status: int | None, taken: bool = True
    ) -> None:
        self.inner, self.failures, self.status, self.taken = inner, failures, status, taken

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and self.failures:
            self.failures -= 1
            if self.taken:
                self.inner.handle_request(request)
            if self.status is None:
                raise httpx.ReadTimeout("timed out", request=request)
            return httpx.Response(self.status, json={"message": "unavailable"})
        return self.inner.handle_request(request)


@pytest.mark.parametrize("store_id", ["dogday-mall", "maple-goods"])
@pytest.mark.parametrize("status", [500, 503, None])
def test_an_unclear_failure_is_retried_after_asking_the_gateway_and_sends_once(
    store_id: str, status: int | None
) -> None:
    world = World()
    world.customer("c1", store_id=store_id)
    world.transport = _Flaky(world.emulator.transport(), failures=1, status=status)
    result = world.send(world.job(world.campaign("cmp1", SMS_AD, store_id=store_id), "c1", store_id=store_id))
    assert result.state == "already_sent"  # the lookup found the message the failed call had delivered
    assert len(world.emulator.outbox) == 1
    assert world.sleeps == [0.2]


def test_429_and_5xx_are_retried_with_backoff_then_the_job_goes_back_to_the_queue() -> None:
    world = World()
    world.customer("c1")
    world.transport = _Flaky(world.emulator.transport(), failures=5, status=429, taken=False)
    job = world.job(world.campaign("cmp1", SMS_AD), "c1")
    with pytest.raises(Busy):
        world.send(job)
    assert world.sleeps == [0.2, 0.8]
    assert world.emulator.outbox == []
    world.transport = world.emulator.transport()
    assert world.send(job).state == "sent"
    assert len(world.emulator.outbox) == 1


def test_a_4xx_is_not_retried_and_the_failure_keeps_the_gateway_code() -> None:
    world = World()
    world.customer("c1")
    world.secrets.secrets[("dogday-mall", "nhn-sms-secret-key")] = "wrong"
    result = world.send(world.job(world.campaign("cmp1", SMS_AD), "c1"))
    assert (result.state, result.code) == ("failed", "-1001")
    assert world.sleeps == [] and world.emulator.outbox == []
    assert world.ledger.records[result.send_id].code == "-1001"


def test_every_gateway_call_draws_from_the_account_rate_limit() -> None:
    world = World()
    for n in range(3):
        world.customer(f"c{n}")
    source = world.campaign("cmp1", SMS_AD)
    for n in range(3):
        world.send(world.job(source, f"c{n}"))
    assert world.limiter.calls == ["nhn-dogday"] * 3
