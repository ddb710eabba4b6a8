"""The README's "Deploy to AWS" steps, as written there, work: the store settings are valid, the first webhook
is applied, and the first segment and campaign send the first message (on the local runtime, with the
local admin token standing in for the IAM signature)."""

import json
import re
from pathlib import Path

from nudge.stores import Store
from nudge_local.demo.event_files import AT, EVENTS_DIR
from nudge_local.runtime.runtime import LocalRuntime
from nudge_local.runtime.stores import DOGDAY
from tests.e2e.conftest import AUTH, call

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
SECTION = README[README.index("## Deploy to AWS") : README.index("## How it fits together")]


def _awscurl_bodies() -> dict[str, dict]:
    """Each `awscurl ... -X METHOD "$AdminApiUrl/PATH" ... -d '{...}'` of the section: path -> JSON body."""
    commands = re.findall(r"awscurl [^\n]*?-X \w+ \"\$AdminApiUrl(/[^\"]+)\"(.*?)'\n", SECTION, re.S)
    bodies = {}
    for path, rest in commands:
        body = rest.split("-d '", 1)[1]
        bodies[path] = json.loads(body)
    return bodies


def test_the_store_settings_in_the_readme_are_valid_settings() -> None:
    settings = _awscurl_bodies()["/stores/dogday-mall"]
    store = Store.model_validate({"store_id": "dogday-mall", **settings})
    assert store.cafe24_mall_id == DOGDAY.store.cafe24_mall_id  # the sample webhook's mall


def test_the_first_webhook_and_the_first_message_as_the_readme_shows_them() -> None:
    bodies = _awscurl_bodies()
    event = json.loads((EVENTS_DIR / "cafe24_member_joined.json").read_text(encoding="utf-8"))
    with LocalRuntime(start=AT) as runtime:
        key = DOGDAY.secrets["cafe24-api-key"]
        headers = {"content-type": "application/json", "x-api-key": key}
        answer = runtime.http("POST", "/webhooks/cafe24/dogday-mall", headers, event["body"])
        assert answer.status == 200
        shown = ["member.joined", "consent.changed", "consent.changed"]
        assert answer.json() == {"status": "applied", "events": shown}

        base = "/admin/stores/dogday-mall"
        status, segment = call(runtime, "POST", f"{base}/segments", bodies["/stores/dogday-mall/segments"])
        assert status == 201, segment
        status, campaign = call(runtime, "POST", f"{base}/campaigns", bodies["/stores/dogday-mall/campaigns"])
        assert status == 201, campaign
        runtime.run_until_idle()
        assert runtime.gateway is not None
        [message] = runtime.gateway.outbox
        assert message["text"].endswith("Nudge 연결 확인 메시지입니다.")
        report = runtime.http("GET", f"{base}/reports/campaign/{campaign['campaign_id']}", AUTH).json()
        assert (report["targeted"], report["sent"]) == (1, 1)
