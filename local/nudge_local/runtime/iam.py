"""Each function's IAM policy, enforced: the local runtime refuses what AWS would refuse.

While a function runs, every AWS request it makes is checked against the execution role `template.yaml`
gives it, as AWS expands it. SAM's translator (aws-sam-translator, the code behind CloudFormation's
AWS::Serverless transform) turns the template into CloudFormation, so SAM policy templates
(DynamoDBCrudPolicy, ...) and the policies SAM adds on its own (the SQS poller's,
AWSLambdaBasicExecutionRole, X-Ray's) become the role's policies; template.py's resolver then turns their
intrinsics into the emulated resources' ARNs. A request is mapped to the IAM actions and resources AWS
authorizes it as (a BatchGetItem to `dynamodb:BatchGetItem` on each table it names, a TransactWriteItems
to PutItem/UpdateItem/... on each item's table, a CreateSchedule to the schedule and `iam:PassRole` on its
target's role, ...), and one that no statement allows — or one the mapping does not know — fails as AWS
fails it: a ClientError "AccessDeniedException" ("AccessDenied" for SQS) whose message names the role,
the function, the action and the resource.

Who is checked follows `counters.origin`: a function's requests against its execution role; Lambda's SQS
event source mapping (the "sqs-event-source" pump) against the role of the function it belongs to; EventBridge
Scheduler (the "scheduler" pump) against the schedule's Target.RoleArn. The harness ("local": tests, the
demo, provisioning) is not checked. The check runs at botocore's "before-parameter-build" event, before any
other hook of the local runtime: before the counters count the request, before a crash drill, before the
fast path (fast_calls) or moto answers it, in-process or through the moto server.

Every allowed request marks the grants (function, statement, action pattern, resource pattern) that allowed
it as used; `unused()` lists the grants of a template no request needed (least privilege).

Not enforced (docs/local-runtime-iam.md): condition keys (an Allow with a Condition never allows, a Deny
with one always denies: never more forgiving than AWS), resource-based policies (queue policies, Lambda
permissions), trust policies, permission boundaries and SCPs, KMS key policies.
"""

import contextlib
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from uuid import uuid4

from botocore.exceptions import ClientError

from nudge_local.bill import counters
from nudge_local.emulation import hooks
from nudge_local.runtime import sam
from nudge_local.runtime.template import Function, Template, TemplateError, load_yaml, resolver_for

# --------------------------------------------------------------------------- the managed policies SAM adds

# What the AWS managed policies SAM attaches to a function's role grant, as the AWS Managed Policy Reference
# documents them (https://docs.aws.amazon.com/aws-managed-policy/latest/reference/<name>.html):
# - AWSLambdaBasicExecutionRole: logs:CreateLogGroup, logs:CreateLogStream, logs:PutLogEvents on "*".
# - AWSXrayWriteOnlyAccess (Tracing: Active): xray:PutTraceSegments, xray:PutTelemetryRecords,
#   xray:GetSamplingRules, xray:GetSamplingTargets, xray:GetSamplingStatisticSummaries on "*".
# - AWSLambdaSQSQueueExecutionRole (an SQS event): sqs:ReceiveMessage, sqs:DeleteMessage,
#   sqs:GetQueueAttributes and the three logs actions on "*".
# Any other managed policy grants nothing here (stricter than AWS, never more forgiving).
_LOGS = ("logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents")
MANAGED_POLICIES: dict[str, tuple[str, ...]] = {
    "AWSLambdaBasicExecutionRole": _LOGS,
    "AWSXrayWriteOnlyAccess": (
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
        "xray:GetSamplingRules",
        "xray:GetSamplingTargets",
        "xray:GetSamplingStatisticSummaries",
    ),
    "AWSLambdaSQSQueueExecutionRole": (
        "sqs:ReceiveMessage",
        "sqs:DeleteMessage",
        "sqs:GetQueueAttributes",
        *_LOGS,
    ),
}


# --------------------------------------------------------------------------- policies


@dataclass(frozen=True)
class Grant:
    """One action pattern on one resource pattern, as a role's statement writes them."""

    principal: str  # the function's logical id, or the role's for a role no function has
    source: str  # the statement's Sid, "<PolicyName> #<n>", or the managed policy's name
    action: str
    resource: str
    managed: bool = False  # from an AWS managed policy SAM attached, not from the template's own text


def _compile(pattern: str, *, ignore_case: bool) -> re.Pattern[str]:
    # IAM's wildcards: * any run of characters, ? one character; actions compare without case, ARNs with.
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(body, re.DOTALL | (re.IGNORECASE if ignore_case else 0))


@cache
def _action_pattern(pattern: str) -> re.Pattern[str]:
    return _compile(pattern, ignore_case=True)


@cache
def _resource_pattern(pattern: str) -> re.Pattern[str]:
    """An ARN pattern, matched as IAM matches it: the wildcards stay inside their colon-separated segment,
    except a `*` that ends a segment, which may run on past colons ("IAM JSON policy elements: Resource",
    Using wildcards in resource ARNs)."""
    segments = []
    for segment in pattern.split(":"):
        body = []
        for i, c in enumerate(segment):
            if c == "*":
                body.append(".*" if i == len(segment) - 1 else "[^:]*")
            else:
                body.append("[^:]" if c == "?" else re.escape(c))
        segments.append("".join(body))
    return re.compile(":".join(segments), re.DOTALL)


def _strings(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    return tuple(str(v) for v in value) if isinstance(value, list) else (str(value),)


@dataclass(frozen=True)
class Statement:
    allow: bool
    actions: tuple[str, ...]
    resources: tuple[str, ...]
    source: str
    not_action: bool = False
    not_resource: bool = False
    conditional: bool = False
    managed: bool = False

    @classmethod
    def parse(cls, raw: dict[str, Any], source: str, *, managed: bool = False) -> "Statement":
        not_action, not_resource = "NotAction" in raw, "NotResource" in raw
        return cls(
            allow=str(raw.get("Effect", "")).lower() == "allow",
            actions=_strings(raw.get("NotAction" if not_action else "Action")),
            resources=_strings(raw.get("NotResource" if not_resource else "Resource")),
            source=str(raw.get("Sid") or source),
            not_action=not_action,
            not_resource=not_resource,
            conditional=bool(raw.get("Condition")),
            managed=managed,
        )

    def matching_actions(self, action: str) -> tuple[str, ...]:
        """The action patterns that cover `action` (for NotAction: the statement's whole list when none
        of it names the action)."""
        found = tuple(p for p in self.actions if _action_pattern(p).fullmatch(action))
        if self.not_action:
            return () if found else ("NotAction " + ",".join(self.actions),)
        return found

    def matching_resources(self, resource: str) -> tuple[str, ...]:
        found = tuple(p for p in self.resources if _resource_pattern(p).fullmatch(resource))
        if self.not_resource:
            return () if found else ("NotResource " + ",".join(self.resources),)
        return found

    def grants(self, principal: str) -> list[Grant]:
        actions = ("NotAction " + ",".join(self.actions),) if self.not_action else self.actions
        resources = ("NotResource " + ",".join(self.resources),) if self.not_resource else self.resources
        return [Grant(principal, self.source, a, r, self.managed) for a in actions for r in resources]


@dataclass(frozen=True)
class Decision:
    allowed: bool
    explicit_deny: bool = False
    grants: frozenset[Grant] = frozenset()


@dataclass(frozen=True)
class Role:
    logical_id: str
    name: str  # the physical name, as in the role's ARN
    arn: str
    principal: str  # who the grants are reported for: the function's logical id, or the role's
    statements: tuple[Statement, ...]

    def decide(self, action: str, resource: str) -> Decision:
        """IAM's evaluation of identity-based policies: an explicit Deny wins, then any Allow; otherwise the
        request is implicitly denied."""
        grants: set[Grant] = set()
        for statement in self.statements:
            actions = statement.matching_actions(action)
            resources = statement.matching_resources(resource) if actions else ()
            if not resources:
                continue
            if not statement.allow:
                return Decision(False, explicit_deny=True)  # a conditional Deny counts as met
            if statement.conditional:
                continue  # condition keys are not evaluated: the Allow is not taken
            grants.update(
                Grant(self.principal, statement.source, a, r, statement.managed)
                for a in actions
                for r in resources
            )
        return Decision(bool(grants), grants=frozenset(grants))

    def grants(self) -> list[Grant]:
        return [
            grant
            for s in self.statements
            if s.allow and not s.conditional
            for grant in s.grants(self.principal)
        ]


@dataclass(frozen=True)
class Principal:
    """Who a request is checked as: a role, and the session name AWS shows in an error."""

    role: Role | None  # None: a role AWS could not have assumed (not in the template)
    session: str
    role_arn: str
    denial_reason: str = ""  # why no request of this principal is allowed, when role is None

    def arn(self, account: str) -> str:
        name = self.role.name if self.role else self.role_arn.rsplit("/", 1)[-1]
        return f"arn:aws:sts::{account}:assumed-role/{name}/{self.session}"


@dataclass
class Policies:
    """The roles of one template, as AWS would have them after `sam deploy`."""

    template_path: Path
    account: str
    region: str
    roles: dict[str, Role]  # by ARN
    function_roles: dict[str, Role | None]  # by function logical id; None: its role is not in the template
    function_names: dict[str, str]  # logical id -> physical name (Lambda's session name)
    traced: frozenset[str]  # functions with Tracing: Active
    # The Target.RoleArn of the schedules the stack itself makes (ScheduleV2 events), by (target ARN,
    # expression).
    schedule_roles: dict[tuple[str, str], str]
    notes: list[str] = field(default_factory=list)  # what the runtime could not take into account
    _decisions: dict[tuple[str, str, str], Decision] = field(default_factory=dict, repr=False)
    _warned: set[tuple[str, str, str]] = field(default_factory=set, repr=False)

    def decide(self, principal: Principal, action: str, resource: str) -> Decision:
        if principal.role is None:
            return Decision(False)
        key = (principal.role.arn, action, resource)
        decision = self._decisions.get(key)
        if decision is None:
            decision = principal.role.decide(action, resource)
            self._decisions[key] = decision
            if decision.grants:
                _record_used(self.template_path, decision.grants)
        return decision

    def function_principal(self, logical_id: str) -> Principal:
        session = self.function_names.get(logical_id, logical_id)
        role = self.function_roles.get(logical_id)
        if role is not None:
            return Principal(role, session, role.arn)
        if logical_id in self.function_roles:
            reason = f"{logical_id}'s execution role is not in {self.template_path.name}"
        else:
            reason = f"{logical_id} is not a function of {self.template_path.name}"
        return Principal(None, session, f"arn:aws:iam::{self.account}:role/{logical_id}Role", reason)

    def role_principal(self, role_arn: str, session: str) -> Principal:
        role = self.roles.get(role_arn)
        if role is None:
            reason = f"{role_arn} is not a role of {self.template_path.name}, so it cannot be assumed"
            return Principal(None, session, role_arn, reason)
        return Principal(role, session, role_arn)


# --------------------------------------------------------------------------- loading a template


def translate(template: Template) -> dict[str, Any]:
    """The template as CloudFormation, as SAM's transform makes it when the stack is deployed."""
    from samtranslator.model.exceptions import InvalidDocumentException

    pseudo = {"AWS::Region": template.region, "AWS::AccountId": template.account, "AWS::Partition": "aws",
              "AWS::StackName": template.stack}  # fmt: skip
    try:
        return sam.translate(template.path, template.region, {**template.parameters, **pseudo})
    except InvalidDocumentException as error:
        raise TemplateError(f"SAM cannot translate {template.path}: {error}") from error


def _included(resolver: Any, resource: dict[str, Any]) -> bool:
    return "Condition" not in resource or resolver.condition(resource["Condition"])


def _role_logical_id(value: Any, roles: dict[str, "Role"], resolver: Any) -> str | None:
    """The logical id of the template role a function's Role names (`!GetAtt X.Arn`, or its ARN)."""
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        target = value["Fn::GetAtt"]
        return str(target[0] if isinstance(target, list) else str(target).split(".", 1)[0])
    role = roles.get(str(resolver.resolve(value)))
    return role.logical_id if role else None


def _policy_names(template: Template) -> dict[str, str]:
    """What SAM's generated policy names ("AdminFunctionRolePolicy3") stand for in the template: the SAM
    policy template's name ("DynamoDBCrudPolicy"), or "Policies[3]" for an inline document."""
    names = {}
    for logical_id, resource in (load_yaml(template.path).get("Resources") or {}).items():
        if not isinstance(resource, dict) or resource.get("Type") != "AWS::Serverless::Function":
            continue
        policies = (resource.get("Properties") or {}).get("Policies")
        for n, policy in enumerate(policies if isinstance(policies, list) else []):
            named = isinstance(policy, dict) and len(policy) == 1 and "Statement" not in policy
            names[f"{logical_id}RolePolicy{n}"] = next(iter(policy)) if named else f"Policies[{n}]"
    return names


def _statements(
    resolver: Any, props: dict[str, Any], notes: list[str], logical_id: str, names: dict[str, str]
) -> list[Statement]:
    statements = []
    for policy in resolver.resolve(props.get("Policies") or []):
        document = policy.get("PolicyDocument") or {}
        raw = document.get("Statement") or []
        name = str(policy.get("PolicyName", "policy"))
        for n, statement in enumerate(raw if isinstance(raw, list) else [raw], start=1):
            statements.append(Statement.parse(statement, f"{names.get(name, name)} #{n}"))
    for arn in resolver.resolve(props.get("ManagedPolicyArns") or []):
        name = str(arn).rsplit("/", 1)[-1]
        if name in MANAGED_POLICIES and str(arn).startswith("arn:aws:iam::aws:policy/"):
            statements.append(Statement(True, MANAGED_POLICIES[name], ("*",), name, managed=True))
        else:
            notes.append(f"{logical_id}: managed policy {arn} is not known locally and grants nothing here")
    return statements


def _load(template: Template) -> Policies:
    translated = translate(template)
    resolver = resolver_for(template, translated)
    resources = {k: v for k, v in (translated.get("Resources") or {}).items() if _included(resolver, v)}
    functions = {
        k: v.get("Properties") or {} for k, v in resources.items() if v["Type"] == "AWS::Lambda::Function"
    }
    notes: list[str] = []
    policy_names = _policy_names(template)
    # A function's role is reported under the function's name; another role (Scheduler's) under its own.
    reported_as = {_role_logical_id(props.get("Role"), {}, resolver): fn for fn, props in functions.items()}
    roles: dict[str, Role] = {}
    for logical_id, resource in resources.items():
        if resource["Type"] == "AWS::IAM::Role":
            props = resource.get("Properties") or {}
            statements = tuple(_statements(resolver, props, notes, logical_id, policy_names))
            arn = resolver.arn(logical_id)
            principal = reported_as.get(logical_id) or logical_id
            roles[arn] = Role(logical_id, resolver.physical_name(logical_id), arn, principal, statements)
    by_logical_id = {role.logical_id: role for role in roles.values()}
    schedule_roles = {}
    for resource in resources.values():
        if resource["Type"] == "AWS::Scheduler::Schedule":
            props = resource.get("Properties") or {}
            target = resolver.resolve(props.get("Target") or {})
            expression = str(resolver.resolve(props.get("ScheduleExpression")))
            schedule_roles[(str(target.get("Arn")), expression)] = str(target.get("RoleArn"))
    policies = Policies(
        template_path=template.path,
        account=template.account,
        region=template.region,
        roles=roles,
        function_roles={
            fn: by_logical_id.get(_role_logical_id(props.get("Role"), roles, resolver) or "")
            for fn, props in functions.items()
        },
        function_names={fn: resolver.physical_name(fn) for fn in functions},
        traced=frozenset(
            fn
            for fn, props in functions.items()
            if resolver.resolve((props.get("TracingConfig") or {}).get("Mode")) == "Active"
        ),
        schedule_roles=schedule_roles,
        notes=notes,
    )
    with _ledger_lock:  # the latest version of the file is what the report is about
        _granted[template.path] = {g for role in roles.values() for g in role.grants()}
    return policies


_loaded: dict[tuple[Any, ...], Policies] = {}
_load_lock = threading.Lock()


def load(template: Template) -> Policies:
    """The template's roles (translated once per version of the file and parameters, then shared: a
    decision depends on nothing else)."""
    stat = template.path.stat()
    key = (template.path, stat.st_mtime_ns, stat.st_size, template.region, template.account, template.stack,
           tuple(sorted(template.parameters.items())))  # fmt: skip
    with _load_lock:
        if key not in _loaded:
            _loaded[key] = _load(template)
        return _loaded[key]


# --------------------------------------------------------------------------- what is used


_ledger_lock = threading.Lock()
_granted: dict[Path, set[Grant]] = {}
_used: dict[Path, set[Grant]] = {}
_enforced: set[Path] = set()  # the templates a runtime enforced
_refusals: list[tuple[Path, str]] = []  # every refused request: its template, AWS's message


def _record_used(path: Path, grants: Iterable[Grant]) -> None:
    with _ledger_lock:
        _used.setdefault(path, set()).update(grants)


def _record_refused(path: Path, message: str) -> None:
    with _ledger_lock:
        _refusals.append((path, message))


def refused(template_path: Path, since: int = 0) -> list[str]:
    """The distinct messages of the requests this template's roles were refused so far in this process
    (after the first `since` refusals of any template: see `refusal_count`)."""
    path = template_path.resolve()
    with _ledger_lock:
        return list(dict.fromkeys(message for where, message in _refusals[since:] if where == path))


def refusal_count() -> int:
    with _ledger_lock:
        return len(_refusals)


def used(template_path: Path) -> set[Grant]:
    """The grants of this template that allowed at least one request so far in this process."""
    with _ledger_lock:
        return set(_used.get(template_path.resolve(), set()))


def unused(template_path: Path) -> list[Grant]:
    """The grants of this template that no request allowed so far in this process, in a stable order."""
    path = template_path.resolve()
    with _ledger_lock:
        if path not in _granted:
            return []
        left = _granted[path] - _used.get(path, set())
    return sorted(left, key=lambda g: (g.managed, g.principal, g.source, g.action, g.resource))


def checked(template_path: Path) -> bool:
    """Whether a runtime of this process enforced this template's policies."""
    with _ledger_lock:
        return template_path.resolve() in _enforced


def unused_report(template_path: Path) -> list[str]:
    """The unused grants as lines for a person: the template's own statements per function, then the
    AWS managed policies' actions (SAM attaches those; the template cannot narrow them)."""
    grants = unused(template_path)
    lines = []
    own = [g for g in grants if not g.managed]
    principals = sorted({g.principal for g in own})
    for principal in principals:
        lines.append(f"{principal}:")
        lines.extend(f"  {g.action} on {g.resource}  [{g.source}]" for g in own if g.principal == principal)
    managed: dict[tuple[str, str, str], list[str]] = {}
    for g in grants:
        if g.managed:
            managed.setdefault((g.source, g.action, g.resource), []).append(g.principal)
    for (source, action, resource), who in sorted(managed.items()):
        lines.append(f"{source} (AWS managed): {action} on {resource}, unused by {', '.join(sorted(who))}")
    return lines


# --------------------------------------------------------------------------- requests -> actions, resources


class UnknownOperation(Exception):
    """The mapping does not know which action and resource AWS authorizes this operation as."""


_DYNAMODB_TABLE_OPERATIONS = frozenset(
    {"GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan", "DescribeTable", "DescribeTimeToLive"}
)
_TRANSACT_WRITES = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
}
# A batch request is authorized as its single-message action (SQS's API reference, "batch actions").
_SQS_ACTIONS = {
    "SendMessage": "SendMessage",
    "SendMessageBatch": "SendMessage",
    "ReceiveMessage": "ReceiveMessage",
    "DeleteMessage": "DeleteMessage",
    "DeleteMessageBatch": "DeleteMessage",
    "ChangeMessageVisibility": "ChangeMessageVisibility",
    "ChangeMessageVisibilityBatch": "ChangeMessageVisibility",
    "GetQueueAttributes": "GetQueueAttributes",
    "PurgeQueue": "PurgeQueue",
}
_SCHEDULE_OPERATIONS = frozenset({"CreateSchedule", "UpdateSchedule", "DeleteSchedule", "GetSchedule"})
_SSM_BY_NAME = frozenset({"GetParameter", "PutParameter", "DeleteParameter", "GetParameterHistory"})
_SSM_BY_NAMES = frozenset({"GetParameters", "DeleteParameters"})
# KMS operations IAM authorizes on the key they name (its ARN is their resource in the Service Authorization
# Reference's table of KMS actions).
_KMS_ON_KEY = frozenset(
    {"GenerateMac", "VerifyMac", "Encrypt", "Decrypt", "GenerateDataKey", "DescribeKey"}
)
_IAM_BY_NAME = {"ListUserTags": ("user", "UserName"), "ListRoleTags": ("role", "RoleName")}
# S3 object operations and the action IAM checks on the object's ARN (arn:aws:s3:::BUCKET/KEY): HeadObject is
# authorized as s3:GetObject (S3 API reference, "HeadObject": "you must have READ access to the object").
_S3_ON_OBJECT = {"PutObject": "PutObject", "GetObject": "GetObject", "HeadObject": "GetObject",
                 "DeleteObject": "DeleteObject"}  # fmt: skip


def _table_arn(name: str, region: str, account: str) -> str:
    # DynamoDB accepts a table's ARN wherever it takes its name.
    return name if name.startswith("arn:") else f"arn:aws:dynamodb:{region}:{account}:table/{name}"


def queue_arn(url: str, region: str) -> str:
    """A queue URL's ARN: https://sqs.REGION.amazonaws.com/ACCOUNT/NAME (or the moto server's host)."""
    parts = urlsplit(url)
    account, _, name = parts.path.strip("/").partition("/")
    host = parts.hostname or ""
    if host.startswith("sqs.") and host.endswith(".amazonaws.com"):
        region = host.split(".")[1]
    elif host.endswith(".queue.amazonaws.com"):
        region = host.split(".")[0]
    return f"arn:aws:sqs:{region}:{account}:{name}"


def parameter_arn(name: str, region: str, account: str) -> str:
    """An SSM parameter's ARN: "/nudge/stores/x" and "x" are arn:...:parameter/nudge/stores/x and
    arn:...:parameter/x (one slash either way); a version or label selector ("name:3") is not part of it."""
    if name.startswith("arn:"):
        return name
    return f"arn:aws:ssm:{region}:{account}:parameter/{name.split(':', 1)[0].lstrip('/')}"


def kms_key_arn(key_id: str, region: str, account: str) -> str:
    """The key a request names by its ARN or its id. An alias (alias/…) would be authorized on the key it
    points to, which only KMS knows: the local runtime names no key so, and refuses it as unmapped."""
    if key_id.startswith("arn:"):
        return key_id
    if key_id.startswith("alias/"):
        raise UnknownOperation(f"kms key named by its alias {key_id}")
    return f"arn:aws:kms:{region}:{account}:key/{key_id}"


def function_arn(name: str, region: str, account: str) -> str:
    """A function's ARN from a name, a partial ARN ("ACCOUNT:function:NAME") or a full one, qualifier kept."""
    if name.startswith("arn:"):
        return name
    if ":function:" in name:
        return f"arn:aws:lambda:{region}:{name}"
    return f"arn:aws:lambda:{region}:{account}:function:{name}"


def requested(
    service: str, operation: str, params: dict[str, Any], region: str, account: str
) -> list[tuple[str, str]]:
    """The (IAM action, resource ARN) pairs AWS authorizes this request as, each of which must be allowed.
    Raises UnknownOperation for an operation the local runtime cannot map: it refuses what it cannot
    check."""
    if service == "dynamodb":
        return _dynamodb(operation, params, region, account)
    if service == "sqs" and operation in _SQS_ACTIONS:
        return [(f"sqs:{_SQS_ACTIONS[operation]}", queue_arn(params["QueueUrl"], region))]
    if service == "sqs" and operation == "GetQueueUrl":
        owner = params.get("QueueOwnerAWSAccountId") or account
        return [("sqs:GetQueueUrl", f"arn:aws:sqs:{region}:{owner}:{params['QueueName']}")]
    if service == "scheduler" and operation in _SCHEDULE_OPERATIONS:
        group = params.get("GroupName") or "default"
        out = [
            (
                f"scheduler:{operation}",
                f"arn:aws:scheduler:{region}:{account}:schedule/{group}/{params['Name']}",
            )
        ]
        role = (params.get("Target") or {}).get("RoleArn")
        if operation in ("CreateSchedule", "UpdateSchedule") and role:
            out.append(("iam:PassRole", str(role)))  # Scheduler will act as this role
        return out
    if service == "scheduler" and operation == "ListSchedules":
        return [("scheduler:ListSchedules", "*")]
    if service == "ssm" and operation in _SSM_BY_NAME:
        return [(f"ssm:{operation}", parameter_arn(params["Name"], region, account))]
    if service == "ssm" and operation in _SSM_BY_NAMES:
        return [(f"ssm:{operation}", parameter_arn(name, region, account)) for name in params["Names"]]
    if service == "ssm" and operation == "GetParametersByPath":
        return [("ssm:GetParametersByPath", parameter_arn(params["Path"], region, account))]
    if service == "lambda" and operation in ("Invoke", "InvokeAsync"):
        arn = function_arn(params["FunctionName"], region, account)
        qualifier = params.get("Qualifier")
        # The deprecated InvokeAsync is its own action in IAM, not InvokeFunction.
        action = "lambda:InvokeFunction" if operation == "Invoke" else "lambda:InvokeAsync"
        return [(action, f"{arn}:{qualifier}" if qualifier else arn)]
    if service == "sts" and operation == "GetCallerIdentity":
        return []  # needs no permission (STS API reference)
    if service == "s3" and operation in _S3_ON_OBJECT:
        return [(f"s3:{_S3_ON_OBJECT[operation]}", f"arn:aws:s3:::{params['Bucket']}/{params['Key']}")]
    if service == "kms" and operation in _KMS_ON_KEY:
        return [(f"kms:{operation}", kms_key_arn(params["KeyId"], region, account))]
    if service == "iam" and operation in _IAM_BY_NAME:
        # IAM authorizes it on the user's or role's ARN, whose path the request does not carry: the local
        # principals have none (a template's grant on user/* or role/* covers any path in AWS).
        kind, parameter = _IAM_BY_NAME[operation]
        return [(f"iam:{operation}", f"arn:aws:iam::{account}:{kind}/{params[parameter]}")]
    raise UnknownOperation(f"{service}:{operation}")


def _dynamodb(operation: str, params: dict[str, Any], region: str, account: str) -> list[tuple[str, str]]:
    if operation in _DYNAMODB_TABLE_OPERATIONS:
        arn = _table_arn(params["TableName"], region, account)
        if params.get("IndexName") and operation in ("Query", "Scan"):
            arn = f"{arn}/index/{params['IndexName']}"
        return [(f"dynamodb:{operation}", arn)]
    if operation in ("BatchGetItem", "BatchWriteItem"):
        return [(f"dynamodb:{operation}", _table_arn(t, region, account)) for t in params["RequestItems"]]
    if operation == "TransactWriteItems":
        out = []
        for item in params["TransactItems"]:
            for kind, action in _TRANSACT_WRITES.items():
                if kind in item:
                    out.append((f"dynamodb:{action}", _table_arn(item[kind]["TableName"], region, account)))
        return out
    if operation == "TransactGetItems":
        return [
            ("dynamodb:GetItem", _table_arn(i["Get"]["TableName"], region, account))
            for i in params["TransactItems"]
        ]
    if operation == "ListTables":
        return [("dynamodb:ListTables", "*")]
    raise UnknownOperation(f"dynamodb:{operation}")


# --------------------------------------------------------------------------- who is asking


_active: Policies | None = None
# Set by the pumps: the role AWS itself acts with (an event source mapping, a schedule's target role).
_acting: ContextVar[tuple[str, str] | None] = ContextVar("nudge_local_iam_acting", default=None)
_PUMPS = ("sqs-event-source", "scheduler")
_log: Callable[[str], Any] | None = None  # where a refusal is written as it happens (the functions' log)


def activate(policies: Policies | None, log: Callable[[str], Any] | None = None) -> None:
    """Enforce these policies (a LocalRuntime opens with its template's), or nothing (None); each refusal
    is also written to `log`: a function that swallows the error still leaves a trace."""
    global _active, _log
    _active, _log = policies, log
    if policies is not None and log is not None:
        for note in policies.notes:
            log(f"[iam] {note}\n")
    if policies is not None:
        with _ledger_lock:
            _enforced.add(policies.template_path)


@contextlib.contextmanager
def _acting_as(kind: str, value: str) -> Iterator[None]:
    token = _acting.set((kind, value))
    try:
        yield
    finally:
        _acting.reset(token)


def as_lambda_for(function: str) -> contextlib.AbstractContextManager[None]:
    """Lambda itself at work with a function's execution role: its SQS event source mapping's receives and
    deletes, an asynchronous invocation's failure destination."""
    return _acting_as("function", function)


def as_scheduler(role_arn: str) -> contextlib.AbstractContextManager[None]:
    """EventBridge Scheduler delivering a schedule's target with the schedule's Target.RoleArn."""
    return _acting_as("role", role_arn)


def _principal(policies: Policies) -> Principal | None:
    """The principal the current request is checked as; None for the harness."""
    origin = counters.function_of(counters.current_origin())
    if origin == "local":
        return None
    if origin in policies.function_roles:
        return policies.function_principal(origin)
    acting = _acting.get()
    if acting is not None and origin.startswith(_PUMPS):
        kind, value = acting
        if kind == "function":
            return policies.function_principal(value)
        return policies.role_principal(value, "scheduler")
    if origin.startswith(_PUMPS):
        reason = f"the {origin} pump named no role to act with"
        return Principal(None, origin, f"arn:aws:iam::{policies.account}:role/{origin}", reason)
    return policies.function_principal(origin)  # an origin no template function has: refused


# --------------------------------------------------------------------------- refusing


class AccessDenied(ClientError):
    """AWS's refusal of a request the principal's policies do not allow."""


_ERROR_CODES = {"sqs": ("AccessDenied", 403), "dynamodb": ("AccessDeniedException", 400),
                "ssm": ("AccessDeniedException", 400), "iam": ("AccessDenied", 403),
                "kms": ("AccessDeniedException", 400), "s3": ("AccessDenied", 403)}  # fmt: skip


def _refusal(policies: Policies, service: str, operation: str, message: str) -> AccessDenied:
    _record_refused(policies.template_path, message)
    log = _log
    if log is not None:
        log(f"[iam] refused: {message}\n")
    code, status = _ERROR_CODES.get(service, ("AccessDeniedException", 403))
    error: dict[str, Any] = {"Code": code, "Message": message}
    if service == "sqs":
        error["Type"] = "Sender"
    response: dict[str, Any] = {
        "Error": error,
        "ResponseMetadata": {
            "RequestId": str(uuid4()),
            "HTTPStatusCode": status,
            "HTTPHeaders": {},
            "RetryAttempts": 0,
        },
    }
    return AccessDenied(response, operation)


def _denial_message(
    policies: Policies, principal: Principal, action: str, resource: str, decision: Decision, service: str
) -> str:
    # SQS writes the action in lower case in its message; the other services as asked.
    shown = action.lower() if service == "sqs" else action
    if principal.role is None:
        reason = f"because {principal.denial_reason}"
    elif decision.explicit_deny:
        reason = "with an explicit deny in an identity-based policy"
    else:
        reason = f"because no identity-based policy allows the {shown} action"
    who = principal.arn(policies.account)
    return f"User: {who} is not authorized to perform: {shown} on resource: {resource} {reason}"


def authorize(action: str, resource: str, *, service: str | None = None, operation: str = "") -> None:
    """Check one action on one resource as whoever is acting now (a pump's delivery that is not an API
    request, such as Scheduler invoking a function). Raises AccessDenied."""
    policies = _active
    if policies is None:
        return
    principal = _principal(policies)
    if principal is None:
        return
    decision = policies.decide(principal, action, resource)
    if not decision.allowed:
        svc = service or action.split(":", 1)[0]
        raise _refusal(
            policies,
            svc,
            operation or action.split(":", 1)[1],
            _denial_message(policies, principal, action, resource, decision, svc),
        )


def _check(params: dict[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
    """botocore's "before-parameter-build" hook: refuse the request here when AWS would."""
    policies = _active
    if policies is None:
        return
    principal = _principal(policies)
    if principal is None:
        return
    service = model.service_model.endpoint_prefix
    region = context.get("client_region") or policies.region
    try:
        pairs = requested(service, model.name, params, region, policies.account)
    except UnknownOperation:
        raise _refusal(
            policies,
            service,
            model.name,
            f"User: {principal.arn(policies.account)} is not authorized to perform {service}:{model.name}: "
            "the local runtime does not know which IAM actions and resources this operation needs, so it "
            "refuses it (nudge_local/runtime/iam.py maps requests to actions)",
        ) from None
    except (KeyError, TypeError):
        # A request without its required parameters: botocore's validation refuses it right after this
        # hook, before anything is sent.
        return
    for action, resource in pairs:
        decision = policies.decide(principal, action, resource)
        if not decision.allowed:
            raise _refusal(
                policies,
                service,
                model.name,
                _denial_message(policies, principal, action, resource, decision, service),
            )


def lambda_writes_telemetry(function: Function, warn: Any) -> None:
    """What Lambda does with the function's role around each invocation: write its logs to CloudWatch Logs
    and, with Tracing: Active, its trace segments to X-Ray. Lambda runs the function all the same when the
    role cannot (the logs are lost), so a refusal is a warning, not an error."""
    policies = _active
    if policies is None:
        return
    principal = policies.function_principal(function.logical_id)
    group = f"arn:aws:logs:{policies.region}:{policies.account}:log-group:/aws/lambda/{function.name}"
    wanted = [("logs:CreateLogGroup", group), ("logs:CreateLogStream", f"{group}:log-stream:$LATEST"),
              ("logs:PutLogEvents", f"{group}:log-stream:$LATEST")]  # fmt: skip
    if function.logical_id in policies.traced:
        wanted += [("xray:PutTraceSegments", "*"), ("xray:PutTelemetryRecords", "*")]
    for action, resource in wanted:
        key = (principal.role_arn, action, resource)
        if not policies.decide(principal, action, resource).allowed and key not in policies._warned:
            policies._warned.add(key)  # once per runtime's template, not once per invocation
            warn(f"[iam] {function.logical_id}: Lambda cannot {action} on {resource} with its role\n")


def install_hooks() -> None:
    hooks.register(("before-parameter-build", _check))


__all__ = [
    "AccessDenied",
    "Grant",
    "Policies",
    "activate",
    "as_lambda_for",
    "as_scheduler",
    "authorize",
    "load",
    "refusal_count",
    "refused",
    "requested",
    "unused",
    "unused_report",
    "used",
]
