"""Which stores an admin API caller may administer, from the caller API Gateway verified
(requestContext.authorizer.iam) and its IAM principal's `nudge:stores` tag."""

from typing import Any

import pytest

from nudge.adapters.principals import PrincipalScopes, StoreScope

ACCOUNT = "111122223333"


class NoSuchEntityException(Exception):
    pass


class FakeIam:
    """IAM's ListUserTags and ListRoleTags over a table of tags; counts the calls."""

    class exceptions:
        NoSuchEntityException = NoSuchEntityException

    def __init__(self, users: dict[str, dict[str, str]], roles: dict[str, dict[str, str]]) -> None:
        self.users, self.roles, self.calls = users, roles, 0

    def _tags(self, table: dict[str, dict[str, str]], name: str) -> dict[str, Any]:
        self.calls += 1
        if name not in table:
            raise NoSuchEntityException(name)
        return {"Tags": [{"Key": k, "Value": v} for k, v in table[name].items()], "IsTruncated": False}

    def list_user_tags(self, UserName: str) -> dict[str, Any]:
        return self._tags(self.users, UserName)

    def list_role_tags(self, RoleName: str) -> dict[str, Any]:
        return self._tags(self.roles, RoleName)


IAM = FakeIam(
    users={"ops": {"nudge:stores": "*"}, "kim": {"nudge:stores": "dogday-mall maple-goods", "team": "crm"}},
    roles={
        "dogday-marketer": {"nudge:stores": "dogday-mall"},
        "untagged": {},
        "blank": {"nudge:stores": " "},
    },
)


def scope(arn: str, account: str = ACCOUNT, iam: FakeIam = IAM) -> StoreScope:
    return PrincipalScopes(lambda: iam).scope_of({"userArn": arn, "accountId": account}, ACCOUNT)


def test_an_iam_user_or_a_role_session_administers_the_stores_its_tag_names() -> None:
    kim = scope(f"arn:aws:iam::{ACCOUNT}:user/marketing/kim")  # a user's path is not its name
    assert (kim.stores, kim.all_stores) == (frozenset({"dogday-mall", "maple-goods"}), False)
    marketer = scope(f"arn:aws:sts::{ACCOUNT}:assumed-role/dogday-marketer/kim@example.com")
    assert marketer.covers("dogday-mall") and not marketer.covers("maple-goods")
    operator = scope(f"arn:aws:iam::{ACCOUNT}:user/ops")
    assert operator.all_stores and operator.covers("any-store")


@pytest.mark.parametrize(
    ("arn", "account", "why"),
    [
        (f"arn:aws:sts::{ACCOUNT}:assumed-role/untagged/s", ACCOUNT, "it has no nudge:stores tag"),
        (f"arn:aws:sts::{ACCOUNT}:assumed-role/blank/s", ACCOUNT, "its nudge:stores tag names no store"),
        (f"arn:aws:iam::{ACCOUNT}:user/deleted-since", ACCOUNT, "it has no nudge:stores tag"),
        (f"arn:aws:iam::{ACCOUNT}:root", ACCOUNT, "it is neither an IAM user nor an IAM role"),
        (f"arn:aws:sts::{ACCOUNT}:federated-user/bob", ACCOUNT, "it is neither an IAM user nor an IAM role"),
        ("arn:aws:iam::999999999999:user/ops", "999999999999", f"it is not a principal of account {ACCOUNT}"),
        (f"arn:aws:iam::{ACCOUNT}:user/ops", "999999999999", f"it is not a principal of account {ACCOUNT}"),
        ("", ACCOUNT, "it is neither an IAM user nor an IAM role"),
    ],
)
def test_anyone_else_administers_no_store(arn: str, account: str, why: str) -> None:
    found = scope(arn, account)
    assert not found.any and not found.covers("dogday-mall")
    assert found.unscoped_because == why


def test_a_tag_is_read_once_a_minute_per_principal() -> None:
    iam = FakeIam(users={"kim": {"nudge:stores": "dogday-mall"}}, roles={})
    now = [0.0]
    scopes = PrincipalScopes(lambda: iam, now=lambda: now[0])
    caller = {"userArn": f"arn:aws:iam::{ACCOUNT}:user/kim", "accountId": ACCOUNT}
    assert scopes.scope_of(caller, ACCOUNT).covers("dogday-mall")
    iam.users["kim"]["nudge:stores"] = "maple-goods"  # the operator re-tags kim
    now[0] = 59.0
    assert scopes.scope_of(caller, ACCOUNT).covers("dogday-mall") and iam.calls == 1
    now[0] = 60.0
    assert scopes.scope_of(caller, ACCOUNT).stores == frozenset({"maple-goods"}) and iam.calls == 2
