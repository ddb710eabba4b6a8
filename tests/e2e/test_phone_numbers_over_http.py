"""A number that is not a mobile one, sent with a webhook, through the HTTP API: the webhook is applied,
the profile keeps no phone, the answer and the log name the field and the reason, and nothing quotes the
number."""

from nudge.privacy import LANDLINE
from nudge_local.demo import samples
from nudge_local.runtime.runtime import LocalRuntime

from .conftest import START, profiles, send


def test_a_landline_is_left_out_and_named_and_an_international_mobile_is_kept(runtime: LocalRuntime) -> None:
    landline = samples.cafe24_member_joined("dogfan07", "정하은", "02-0000-1007", START, True, False)
    status, body = send(runtime, landline)
    assert status == 200 and body["status"] == "applied"
    assert body["not_kept"] == [{"field": "resource.cellphone", "message": LANDLINE}]
    mobile = samples.cafe24_member_joined("dogfan08", "김민지", "+82 (0)10-0000-1008", START, True, False)
    assert send(runtime, mobile)[1].get("not_kept") is None
    kept = profiles(runtime)
    assert kept[("dogday-mall", "dogfan07")].phone is None
    assert kept[("dogday-mall", "dogfan08")].phone == "+821000001008"
    logs = "\n".join(runtime.logs.lines)
    assert "resource.cellphone: landline, not a mobile number" in logs
    assert "0000-1007" not in logs and "00001007" not in logs
