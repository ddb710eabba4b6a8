"""Phone numbers: every way people write a Korean mobile number reads as the one stored form; landlines and
other numbers AlimTalk and SMS cannot reach are refused with a reason, and a webhook or a member import says
which field was not kept and why — never silently dropped, never quoted."""

import json
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nudge import privacy
from nudge.errors import InvalidPayload
from nudge.ingest import member_import
from nudge.ingest.platforms.delivery import guest_customer_id
from nudge.privacy import Mobile, NotMobile, mask_phone, normalize_phone, read_phone, scrub
from nudge.stores import Store
from nudge_local.demo import samples
from tests.fakes import InMemoryProfiles, local_dependencies
from tests.unit.ingest.helpers import send

T0 = datetime(2026, 3, 18, 10, 0, tzinfo=ZoneInfo("Asia/Seoul"))
MOBILE = "+821012345678"

# ------------------------------------------------------------------ the reading, example by example


@pytest.mark.parametrize(
    "written",
    [
        "010-1234-5678",
        "01012345678",
        "010.1234.5678",
        "010 1234 5678",
        " 010-1234-5678 ",
        "(010) 1234-5678",
        "+82 (0)10-1234-5678",
        "+82 (0) 10 1234 5678",
        "+82-10-1234-5678",
        "+82 10-1234-5678",
        "+82 010-1234-5678",
        "+821012345678",
        "82-10-1234-5678",
        "821012345678",
        "0082-10-1234-5678",
        "０１０－１２３４－５６７８",  # full-width, as some Korean keyboards type it
        "010–1234–5678",  # en dashes from a word processor
    ],
)
def test_a_mobile_number_written_any_usual_way_reads_as_one_form(written: str) -> None:
    assert read_phone(written) == Mobile(MOBILE)
    assert normalize_phone(written) == MOBILE


def test_old_01x_numbers_are_mobiles_with_seven_or_eight_digits() -> None:
    assert read_phone("011-123-4567") == Mobile("+82111234567")
    assert read_phone("019-1234-5678") == Mobile("+821912345678")
    assert read_phone("010-123-4567") == NotMobile(privacy.MOBILE_LENGTH)  # 010 numbers have eight


@pytest.mark.parametrize(
    ("written", "reason"),
    [
        ("02-123-4567", privacy.LANDLINE),
        ("02-1234-5678", privacy.LANDLINE),
        ("(02) 1234-5678", privacy.LANDLINE),
        ("031-123-4567", privacy.LANDLINE),
        ("064-712-3456", privacy.LANDLINE),
        ("+82 2-1234-5678", privacy.LANDLINE),
        ("+82 (0)31-123-4567", privacy.LANDLINE),
        ("070-1234-5678", privacy.INTERNET_PHONE),
        ("080-123-4567", privacy.FREE_CALL),
        ("0505-123-4567", privacy.RELAY),
        ("060-700-1234", privacy.INFORMATION_LINE),
        ("1588-1234", privacy.REPRESENTATIVE),
        ("+1 415 555 0100", privacy.FOREIGN),
        ("+44 20 7946 0958", privacy.FOREIGN),
    ],
)
def test_numbers_that_are_not_mobiles_are_refused_with_their_kind(written: str, reason: str) -> None:
    assert read_phone(written) == NotMobile(reason, is_phone_number=True)
    with pytest.raises(privacy.InvalidPhoneNumber, match=re.escape(reason)):
        normalize_phone(written)


@pytest.mark.parametrize(
    ("written", "reason"),
    [
        ("", privacy.NO_DIGITS),
        ("없음", privacy.NO_DIGITS),
        ("12", privacy.NOT_DOMESTIC_OR_INTERNATIONAL),
        ("010-1234-5678 ext 2", privacy.NOT_A_NUMBER),
        ("010-1234+5678", privacy.MISPLACED_PLUS),
        ("010-1234-56789", privacy.MOBILE_LENGTH),
        ("090-1234-5678", privacy.NOT_KOREAN_PHONE),
    ],
)
def test_what_is_not_a_phone_number_at_all_says_so(written: str, reason: str) -> None:
    assert read_phone(written) == NotMobile(reason, is_phone_number=False)


# ------------------------------------------------------------------ the reading, as properties

_prefix = st.sampled_from(["10", "11", "16", "17", "18", "19"])
_separator = st.sampled_from(["-", " ", ".", "", " - ", "\u2013", "/"])
_FULL_WIDTH = str.maketrans("0123456789+-()", "０１２３４５６７８９＋－（）")


_digits = "0123456789"


@st.composite
def mobiles(draw: st.DrawFn) -> tuple[str, str]:
    """A mobile number as E.164, and one way a person might write it."""
    prefix = draw(_prefix)
    size = 4 if prefix == "10" else draw(st.sampled_from([3, 4]))  # old 01x numbers may have seven digits
    middle = draw(st.text(_digits, min_size=size, max_size=size))
    last = draw(st.text(_digits, min_size=4, max_size=4))
    a, b = draw(_separator), draw(_separator)
    country = draw(st.sampled_from(["0", "+82 ", "+82-", "+82", "+82 (0)", "+82 0", "82-", "0082 "]))
    return f"+82{prefix}{middle}{last}", f"{country}{prefix}{a}{middle}{b}{last}"


@given(mobiles())
def test_every_written_form_of_a_mobile_reads_as_its_e164(pair: tuple[str, str]) -> None:
    e164, written = pair
    assert read_phone(written) == Mobile(e164)
    assert read_phone(e164) == Mobile(e164)  # reading the stored form again changes nothing
    assert privacy.domestic_phone(e164) == "0" + e164[3:]


@given(
    area=st.sampled_from(["2", "31", "32", "33", "41", "42", "43", "44", "51", "52", "53", "54", "55",
                          "61", "62", "63", "64"]),
    exchange=st.integers(100, 9999),
    line=st.integers(0, 9999),
    written=st.sampled_from(["0{a}-{x}-{n}", "0{a}{x}{n}", "({a0}) {x}-{n}", "+82 {a}-{x}-{n}",
                             "+82 (0){a}-{x}-{n}"]),
)  # fmt: skip
def test_landlines_are_never_read_as_mobiles(area: str, exchange: int, line: int, written: str) -> None:
    text = written.format(a=area, a0="0" + area, x=exchange, n=f"{line:04d}")
    assert read_phone(text) == NotMobile(privacy.LANDLINE, is_phone_number=True)


@given(st.text(max_size=40))
def test_any_text_reads_as_a_mobile_or_a_reason_and_the_reason_never_quotes_it(text: str) -> None:
    reading = read_phone(text)
    if isinstance(reading, Mobile):
        assert re.fullmatch(r"\+821[016789]\d{7,8}", reading.e164)
    else:
        assert reading.reason
        digits = "".join(c for c in text if c.isascii() and c.isdigit())
        assert len(digits) < 4 or digits not in reading.reason  # a reason may be logged: no number in it


@given(mobiles(), st.booleans(), st.booleans())
def test_masking_and_scrubbing_hide_every_written_form(
    pair: tuple[str, str], full_width: bool, bracketed: bool
) -> None:
    e164, written = pair
    if bracketed and written.startswith("01"):
        written = f"({written[:3]}) {written[3:]}"  # (010) 1234-5678
    if full_width:
        written = written.translate(_FULL_WIDTH)
    assert read_phone(written) == Mobile(e164)  # what ingest reads as a mobile ...
    masked = mask_phone(written)
    assert masked == mask_phone(e164)
    assert masked.startswith("01") and "****" in masked
    scrubbed = scrub(f"call {written} now")  # ... the log filter hides, however it was written
    assert scrubbed == f"call {masked} now"


def test_a_landline_is_masked_by_its_area_code() -> None:
    assert mask_phone("02-123-4567") == mask_phone("+8221234567") == "02-****-4567"
    assert mask_phone("031-123-4567") == "031-****-4567"


# ------------------------------------------------------------------ webhooks: applied, the number left out


def _answer(request: samples.SampleRequest) -> tuple[dict[str, object], InMemoryProfiles]:
    deps, profiles, _ = local_dependencies()
    result = send(deps, request, T0)
    return result.as_dict(), profiles


def test_cafe24_sign_up_with_a_landline_is_applied_without_it_and_says_why() -> None:
    joined = samples.cafe24_member_joined("dogfan01", "김민지", "02-123-4567", T0, sms=True, news_mail=False)
    body, profiles = _answer(joined)
    assert body["status"] == "applied"
    assert body["not_kept"] == [{"field": "resource.cellphone", "message": privacy.LANDLINE}]
    profile = profiles.get("dogday-mall", "dogfan01")
    assert profile.phone is None and profile.has_consent("sms")
    assert "123-4567" not in json.dumps(body)


def test_cafe24_sign_up_with_the_international_form_keeps_the_mobile() -> None:
    joined = samples.cafe24_member_joined(
        "dogfan01", "김민지", "+82 (0)10-0000-1001", T0, sms=True, news_mail=False
    )
    body, profiles = _answer(joined)
    assert "not_kept" not in body
    assert profiles.get("dogday-mall", "dogfan01").phone == "+821000001001"


def test_a_cafe24_guest_known_by_a_landline_stays_the_same_guest_without_a_number_to_message() -> None:
    order = samples.cafe24_order_placed(
        "20260318-0000077", "", T0, 18000, ["P1"], buyer_name="최유나", buyer_phone="031-123-4567"
    )
    resource = {**order.json()["resource"], "buyer_email": ""}  # no e-mail: the landline was all there was
    body, profiles = _answer(samples.cafe24_request(90023, resource))
    assert body["status"] == "applied"
    assert body["not_kept"] == [{"field": "resource.buyer_cellphone", "message": privacy.LANDLINE}]
    # The guest's id is the one their earlier orders were recorded under (the number's E.164 digest).
    guest = profiles.get("dogday-mall", guest_customer_id("+82311234567"))
    assert guest is not None and guest.phone is None


def test_shopify_customer_with_an_internet_phone_keeps_no_phone_and_says_why() -> None:
    customer = samples.shopify_customer(7001, "Jisoo", "Park", "070-1234-5678", T0)
    body, profiles = _answer(samples.shopify_request("customers/create", customer, "ev-1"))
    assert body["not_kept"] == [{"field": "phone", "message": privacy.INTERNET_PHONE}]
    assert profiles.get("maple-goods", "7001").phone is None


def test_shopify_order_falls_back_to_the_orders_mobile_when_the_customers_is_a_landline() -> None:
    customer = samples.shopify_customer(7001, "Jisoo", "Park", "02-1234-5678", T0)
    order = {**samples.shopify_order(9001, customer, T0, [(51, 1, "1.00")]), "phone": "+82 10-0000-2001"}
    body, profiles = _answer(samples.shopify_request("orders/create", order, "ev-2"))
    assert body["not_kept"] == [{"field": "customer.phone", "message": privacy.LANDLINE}]
    assert profiles.get("maple-goods", "7001").phone == "+821000002001"


def _nudge(phone: str) -> samples.SampleRequest:
    envelope = {
        "event_id": "e-1",
        "type": "member.joined",
        "occurred_at": T0.isoformat(),
        "customer": {"id": "m-1", "phone": phone, "name": "홍길동"},
    }
    return samples.nudge_request(envelope, T0)


def test_nudge_format_leaves_out_a_landline_but_refuses_what_is_no_number() -> None:
    body, profiles = _answer(_nudge("080-123-4567"))
    assert body["status"] == "applied"
    assert body["not_kept"] == [{"field": "customer.phone", "message": privacy.FREE_CALL}]
    assert profiles.get("dogday-mall", "m-1").phone is None
    deps, _, _ = local_dependencies()
    with pytest.raises(InvalidPayload) as refused:
        send(deps, _nudge("tel 12"), T0)
    assert [(f.field, f.message) for f in refused.value.fields] == [("customer.phone", privacy.NOT_A_NUMBER)]


def test_nudge_format_reads_a_number_sent_in_data_member_the_same_way() -> None:
    envelope = {
        "event_id": "e-2",
        "type": "member.updated",
        "occurred_at": T0.isoformat(),
        "customer": {"id": "m-2"},
        "data": {"member": {"phone": "02-123-4567", "name": "홍길동"}},
    }
    body, profiles = _answer(samples.nudge_request(envelope, T0))
    assert body["not_kept"] == [{"field": "data.member.phone", "message": privacy.LANDLINE}]
    assert profiles.get("dogday-mall", "m-2").phone is None
    envelope["data"] = {"member": {"phone": "+82 (0)10-0000-3002"}}
    body, profiles = _answer(samples.nudge_request(envelope, T0))
    assert "not_kept" not in body
    assert profiles.get("dogday-mall", "m-2").phone == "+821000003002"


# ------------------------------------------------------------------ member import: the row and the reason

STORE = Store(store_id="s1", name="테스트몰", platforms=["cafe24"])
ROW = {"customer_id": "c1", "signed_up_at": "2025-01-01T00:00:00+09:00"}


def test_member_import_keeps_mobiles_reports_landlines_and_refuses_what_is_no_number() -> None:
    page = {
        "members": [
            {**ROW, "phone": "+82 (0)10-0000-4001"},
            {**ROW, "customer_id": "c2", "phone": "02-123-4567"},
            {**ROW, "customer_id": "c3", "phone": "1588-1234"},
        ]
    }
    profiles = InMemoryProfiles()
    result = member_import.import_members(STORE, page, profiles, T0)
    assert result.as_dict() == {
        "created": 3,
        "already_known": [],
        "not_kept": [
            {"field": "members[1].phone", "message": privacy.LANDLINE},
            {"field": "members[2].phone", "message": privacy.REPRESENTATIVE},
        ],
    }
    assert [profiles.get("s1", c).phone for c in ("c1", "c2", "c3")] == ["+821000004001", None, None]
    with pytest.raises(InvalidPayload) as refused:
        member_import.parse({"members": [{**ROW, "phone": "12"}]})
    assert [(f.field, f.message) for f in refused.value.fields] == [
        ("members[0].phone", privacy.NOT_DOMESTIC_OR_INTERNATIONAL)
    ]
