"""The local runtime enforces template.yaml's IAM policies, so a permission missing from the template fails
locally as it would in AWS: a campaign report works with the template, and answers 500 with one action
taken out of the admin function's policy — in this process, and for a whole existing test file run against
that changed template (NUDGE_TEMPLATE)."""

import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from nudge_local.demo import samples
from nudge_local.runtime import iam
from nudge_local.runtime.runtime import LocalRuntime
from nudge_local.runtime.template import load_yaml
from tests.e2e.conftest import AUTH, KST, call

ROOT = Path(__file__).resolve().parents[2]
START = datetime(2026, 3, 18, 10, 0, tzinfo=KST)
BASE = "/admin/stores/dogday-mall"
REMOVED = "dynamodb:BatchGetItem"
PROFILES_ARN = "arn:aws:dynamodb:ap-northeast-2:123456789012:table/nudge-local-ProfilesTable"


def _grants_on_profiles(statement: dict[str, Any]) -> bool:
    resources = statement.get("Resource")
    return {"Fn::GetAtt": ["ProfilesTable", "Arn"]} in (
        resources if isinstance(resources, list) else [resources]
    )


def template_without_admin_batch_get_on_profiles(directory: Path) -> Path:
    """A copy of template.yaml whose AdminFunction may no longer BatchGetItem the profiles table; the code
    it names is linked in place, so only the policy differs."""
    document = load_yaml(ROOT / "template.yaml")
    removed = 0
    for policy in document["Resources"]["AdminFunction"]["Properties"]["Policies"]:
        for statement in policy.get("Statement", []):
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            if REMOVED in actions and _grants_on_profiles(statement):
                statement["Action"] = [a for a in actions if a != REMOVED]
                removed += 1
        policy["Statement"] = [s for s in policy.get("Statement", []) if s["Action"]]
    assert removed == 1, "template.yaml no longer grants AdminFunction BatchGetItem on the profiles table"
    for directory_name in ("functions", "layers"):
        (directory / directory_name).symlink_to(ROOT / directory_name, target_is_directory=True)
    path = directory / "template.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _campaign_with_a_send(runtime: LocalRuntime) -> str:
    """One member, one immediate SMS campaign to everyone, run and delivered."""
    joined = samples.cafe24_member_joined(
        "m1", "김하나", "010-2000-0001", START - timedelta(days=30), True, False
    )
    assert runtime.http(joined.method, joined.path, joined.headers, joined.body).status == 200
    segment = {"segment_id": "everyone", "name": "n", "definition": {"include": [{"field": "member.all"}]}}
    assert call(runtime, "POST", f"{BASE}/segments", segment)[0] == 201
    message = {"message_class": "informational", "channel": "sms", "content": "#{name|고객}님, 주문 안내"}
    body = {"name": "안내", "segment_id": "everyone", "message": message, "send": {"mode": "immediate"}}
    status, campaign = call(runtime, "POST", f"{BASE}/campaigns", body)
    assert status == 201, campaign
    runtime.run_until_idle()
    assert runtime.gateway is not None
    assert len(runtime.gateway.outbox) == 1
    return str(campaign["campaign_id"])


def test_a_campaign_report_works_with_the_templates_policies() -> None:
    with LocalRuntime(start=START) as runtime:
        campaign_id = _campaign_with_a_send(runtime)
        status, report = call(runtime, "GET", f"{BASE}/reports/campaign/{campaign_id}")
    assert status == 200, report
    assert report["sent"] == 1


def test_without_batch_get_item_on_profiles_the_report_is_refused_as_aws_refuses_it(tmp_path: Path) -> None:
    template = template_without_admin_batch_get_on_profiles(tmp_path)
    with LocalRuntime(template, start=START) as runtime:
        campaign_id = _campaign_with_a_send(runtime)
        status, _, _ = runtime.http("GET", f"{BASE}/reports/campaign/{campaign_id}", AUTH)
        logged = "\n".join(runtime.logs.lines)
    assert status == 500
    (refusal,) = iam.refused(template)
    admin = "arn:aws:sts::123456789012:assumed-role/nudge-local-AdminFunctionRole/nudge-local-AdminFunction"
    assert refusal == (
        f"User: {admin} is not authorized to perform: {REMOVED} on resource: {PROFILES_ARN} "
        f"because no identity-based policy allows the {REMOVED} action"
    )
    assert "AccessDeniedException" in logged and refusal in logged  # what the function's log shows


def test_removing_one_action_from_the_template_makes_the_suite_fail(tmp_path: Path) -> None:
    """An existing test file, unchanged, run in its own pytest against the changed template."""
    template = template_without_admin_batch_get_on_profiles(tmp_path)
    environment = {**os.environ, "NUDGE_TEMPLATE": str(template)}
    command = [sys.executable, "-m", "pytest", "tests/e2e/test_sending.py", "-q"]
    run = subprocess.run(command, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=600)
    assert run.returncode == 1, run.stdout[-3000:] + run.stderr[-3000:]
    report_test = "test_sending.py::test_the_campaign_report_shows_sends_clicks_and_the_order_that_followed"
    assert f"FAILED tests/e2e/{report_test}" in run.stdout
    # The session's summary names the refusal (tests/conftest.py).
    assert f"{REMOVED} on resource: {PROFILES_ARN}" in run.stdout
