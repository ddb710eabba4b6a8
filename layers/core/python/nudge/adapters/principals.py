"""Which stores an admin API caller may administer: the `nudge:stores` tag of the IAM user or role that
signed the request.

What the function learns about the caller. API Gateway's IAM authorizer checks the SigV4 signature and the
caller's `execute-api:Invoke` permission, then hands the Lambda integration the caller's identity in
`requestContext.authorizer.iam` (payload format 2.0): `accessKey`, `accountId`, `callerId`,
`cognitoIdentity`, `principalOrgId`, `userArn`, `userId` — see the sample event
aws-powertools/powertools-lambda-python tests/events/apiGatewayProxyV2IamEvent.json and its parser model
`RequestContextV2AuthorizerIam`, and API Gateway Developer Guide, "Customizing HTTP API access logs" (the
`$context.identity.*` values, "supported for routes that use IAM authorization", are the same: accountId,
caller, principalOrgId, user, userArn). Neither the principal's tags nor its policies are passed, and
HTTP APIs take no resource policy ("Control access to HTTP APIs with IAM authorization"). So the function
reads the tag itself, by the ARN API Gateway verified: `iam:ListUserTags` for an IAM user
(`arn:aws:iam::ACCOUNT:user/PATH/NAME`), `iam:ListRoleTags` for a role's session
(`arn:aws:sts::ACCOUNT:assumed-role/NAME/SESSION`), cached for a minute per container. Only someone who
may tag IAM users and roles can change what a principal may administer.

The tag's value: the store ids, separated by spaces (`dogday-mall maple-goods`), or `*` for every store
(the operator's: creating a store needs it). No tag, a principal of another account, or one that is not an
IAM user or role (the root user, a federated user): no store at all.
"""

import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

STORES_TAG = "nudge:stores"
ALL_STORES = "*"
# A tag changed in IAM applies to a container's next lookup after this long.
MAX_AGE_SECONDS = 60.0

_ARN = re.compile(r"arn:aws[a-z-]*:(iam|sts)::(\d{12}):(user|assumed-role)/(.+)")


@dataclass(frozen=True)
class StoreScope:
    """What one caller may administer, and who it is (its ARN, as API Gateway verified it)."""

    principal: str
    stores: frozenset[str] = frozenset()
    all_stores: bool = False
    # Why the caller may administer no store (when it may not): said in the refusal.
    unscoped_because: str = ""

    def covers(self, store_id: str) -> bool:
        return self.all_stores or store_id in self.stores

    @property
    def any(self) -> bool:
        return self.all_stores or bool(self.stores)


def scope_from_tag(principal: str, value: str | None) -> StoreScope:
    """The scope a `nudge:stores` tag value gives (None: the principal has no such tag)."""
    if value is None:
        return StoreScope(principal, unscoped_because=f"it has no {STORES_TAG} tag")
    names = value.split()
    if ALL_STORES in names:
        return StoreScope(principal, all_stores=True)
    if not names:
        return StoreScope(principal, unscoped_because=f"its {STORES_TAG} tag names no store")
    return StoreScope(principal, stores=frozenset(names))


@dataclass(frozen=True)
class _Identity:
    kind: str  # "user" or "role"
    name: str
    account: str


def _identity(user_arn: str) -> _Identity | None:
    found = _ARN.fullmatch(user_arn)
    if found is None:
        return None
    _, account, kind, rest = found.groups()
    if kind == "user":
        return _Identity("user", rest.rsplit("/", 1)[-1], account)  # a user's path is not its name
    role, _, session = rest.partition("/")
    return _Identity("role", role, account) if role and session else None


class PrincipalScopes:
    """The callers' scopes, read from IAM (each cached for MAX_AGE_SECONDS)."""

    def __init__(
        self,
        client: Callable[[], Any] | None = None,
        *,
        max_age: float = MAX_AGE_SECONDS,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self._make_client = client or _iam_client
        self._client: Any = None  # made on first use
        self._max_age = max_age
        self._now = now
        self._cached: dict[tuple[str, str], tuple[float, str | None]] = {}

    def scope_of(self, caller: Mapping[str, Any], api_account: str) -> StoreScope:
        """`caller`: the request's requestContext.authorizer.iam; `api_account`: the API's own account
        (requestContext.accountId), whose IAM holds the tags."""
        arn = str(caller.get("userArn") or "")
        identity = _identity(arn)
        if identity is None:
            return StoreScope(arn, unscoped_because="it is neither an IAM user nor an IAM role")
        if identity.account != api_account or str(caller.get("accountId") or "") != api_account:
            return StoreScope(arn, unscoped_because=f"it is not a principal of account {api_account}")
        return scope_from_tag(arn, self._tag(identity))

    def _tag(self, identity: _Identity) -> str | None:
        key = (identity.kind, identity.name)
        now = self._now()
        cached = self._cached.get(key)
        if cached is not None and now - cached[0] < self._max_age:
            return cached[1]
        value = self._read(identity)
        self._cached[key] = (now, value)
        return value

    def _read(self, identity: _Identity) -> str | None:
        if self._client is None:
            self._client = self._make_client()
        client = self._client
        try:
            if identity.kind == "user":
                tags = client.list_user_tags(UserName=identity.name)["Tags"]
            else:
                tags = client.list_role_tags(RoleName=identity.name)["Tags"]
        except client.exceptions.NoSuchEntityException:
            return None  # deleted since it signed: no store
        # An IAM user or role has at most 50 tags, and a page holds up to 100.
        return next((tag["Value"] for tag in tags if tag["Key"] == STORES_TAG), None)


def _iam_client() -> Any:
    import boto3

    return boto3.client("iam")
