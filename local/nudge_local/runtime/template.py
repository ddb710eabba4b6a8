"""template.yaml as a typed model, with CloudFormation intrinsics resolved to local values.

The template is the single source of what exists locally: tables, queues, the schedule group, functions,
their environment, HTTP routes and event sources. Nothing here is a second, hand-written list.

Physical names follow one rule (`nudge-local-<LogicalId>` unless the template names the resource), so a
table, queue or function ARN can be computed before the emulated AWS is even running.
"""

from __future__ import annotations

import os
import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import yaml

# The project's template; NUDGE_TEMPLATE names another (a test runs the suite against a changed copy).
DEFAULT_TEMPLATE = Path(
    os.environ.get("NUDGE_TEMPLATE") or Path(__file__).resolve().parents[3] / "template.yaml"
).resolve()
REGION = "ap-northeast-2"
ACCOUNT = "123456789012"
STACK = "nudge-local"
LOCAL_API_ID = "local"


class TemplateError(ValueError):
    """The template uses something the local runtime cannot resolve."""


# --------------------------------------------------------------------------- YAML with short tags


class _Loader(yaml.SafeLoader):
    """SafeLoader that turns `!Ref X` into `{"Ref": "X"}` and `!Sub ...` into `{"Fn::Sub": ...}`."""


def _short_tag(tag: str) -> None:
    name = "Ref" if tag == "Ref" else f"Fn::{tag}"

    def construct(loader: yaml.SafeLoader, node: yaml.Node) -> dict[str, Any]:
        if isinstance(node, yaml.ScalarNode):
            value: Any = loader.construct_scalar(node)
            # `!GetAtt A.B` is shorthand for the list form ["A", "B"].
            if tag == "GetAtt":
                value = str(value).split(".", 1)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            # A YAML node is a scalar, a sequence or a mapping (cast: types cannot say no other kind is left).
            value = loader.construct_mapping(cast(yaml.MappingNode, node), deep=True)
        return {name: value}

    _Loader.add_constructor(f"!{tag}", construct)


for _tag in (
    "Ref", "GetAtt", "Sub", "If", "Join", "Select", "Split", "Equals", "Not", "And", "Or", "FindInMap",
    "Base64", "GetAZs", "ImportValue", "Condition", "Cidr", "Transform",
):  # fmt: skip
    _short_tag(_tag)


def load_yaml(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        data = yaml.load(handle, Loader=_Loader)
    if not isinstance(data, dict):
        raise TemplateError(f"{path} is not a CloudFormation template")
    return data


# --------------------------------------------------------------------------- the model


@dataclass(frozen=True)
class Table:
    logical_id: str
    name: str
    arn: str
    properties: dict[str, Any]


@dataclass(frozen=True)
class Queue:
    logical_id: str
    name: str
    url: str
    arn: str
    properties: dict[str, Any]
    dead_letter_arn: str | None = None
    max_receive_count: int | None = None


@dataclass(frozen=True)
class KmsKey:
    """A KMS key of the template. KMS names a key by a random id; locally the id is derived from the stack
    and the logical id (`kms_key_id`), so the key's ARN is known before the emulated KMS has made it."""

    logical_id: str
    key_id: str
    arn: str
    properties: dict[str, Any]


def kms_key_id(stack: str, logical_id: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"nudge-local/{stack}/{logical_id}"))


@dataclass(frozen=True)
class Bucket:
    logical_id: str
    name: str
    arn: str
    properties: dict[str, Any]


@dataclass(frozen=True)
class ScheduleGroup:
    logical_id: str
    name: str
    arn: str


@dataclass(frozen=True)
class Route:
    method: str  # upper case, or ANY
    path: str  # "/webhooks/{platform}/{store_id}", "$default" for the catch-all route
    function: str  # logical id
    event_name: str
    authorizer: str | None = None  # "AWS_IAM" when API Gateway checks a SigV4 signature first

    @property
    def route_key(self) -> str:
        return "$default" if self.path == "$default" else f"{self.method} {self.path}"


@dataclass(frozen=True)
class SqsEventSource:
    function: str
    event_name: str
    queue: str  # logical id
    batch_size: int
    report_batch_item_failures: bool
    enabled: bool = True


@dataclass(frozen=True)
class ScheduleEvent:
    """A ScheduleV2 event of a function: a static schedule the stack itself creates."""

    function: str
    event_name: str
    name: str
    expression: str
    timezone: str
    group: str | None
    input: str | None
    state: str
    dead_letter_arn: str | None
    retry_policy: dict[str, Any] | None


@dataclass(frozen=True)
class Function:
    logical_id: str
    name: str
    arn: str
    code_uri: Path
    handler: str
    runtime: str
    memory_mb: int
    timeout_s: int
    environment: dict[str, str]
    layers: tuple[Path, ...]
    # Lambda's asynchronous invocation settings (used when EventBridge Scheduler invokes the function).
    async_max_retries: int = 2
    async_failure_arn: str | None = None

    @property
    def module_path(self) -> Path:
        module, _, _ = self.handler.rpartition(".")
        return self.code_uri / (module.replace(".", "/") + ".py")

    @property
    def handler_name(self) -> str:
        return self.handler.rpartition(".")[2]


@dataclass
class Template:
    path: Path
    region: str
    account: str
    stack: str
    parameters: dict[str, str]
    tables: dict[str, Table] = field(default_factory=dict)
    queues: dict[str, Queue] = field(default_factory=dict)
    schedule_groups: dict[str, ScheduleGroup] = field(default_factory=dict)
    buckets: dict[str, Bucket] = field(default_factory=dict)
    kms_keys: dict[str, KmsKey] = field(default_factory=dict)
    functions: dict[str, Function] = field(default_factory=dict)
    routes: list[Route] = field(default_factory=list)
    sqs_sources: list[SqsEventSource] = field(default_factory=list)
    schedules: list[ScheduleEvent] = field(default_factory=list)

    def function_by_arn(self, arn: str) -> Function | None:
        # Lambda accepts qualified ARNs (":$LATEST", ":alias") as targets too.
        for function in self.functions.values():
            if arn == function.arn or arn.startswith(function.arn + ":"):
                return function
        return None

    def queue_by_arn(self, arn: str) -> Queue | None:
        return next((q for q in self.queues.values() if q.arn == arn), None)


# --------------------------------------------------------------------------- intrinsics


_NO_VALUE = object()  # AWS::NoValue: the property disappears


@dataclass
class _Resolver:
    """Evaluates intrinsic functions against the local names of the template's resources."""

    raw: dict[str, Any]
    region: str
    account: str
    stack: str
    endpoint_url: str | None
    parameters: dict[str, str]
    base_dir: Path

    @property
    def resources(self) -> dict[str, Any]:
        return self.raw.get("Resources", {}) or {}

    def physical_name(self, logical_id: str) -> str:
        resource = self.resources[logical_id]
        props = resource.get("Properties") or {}
        kind = resource.get("Type", "")
        explicit = {
            "AWS::DynamoDB::Table": "TableName",
            "AWS::SQS::Queue": "QueueName",
            "AWS::Scheduler::ScheduleGroup": "Name",
            "AWS::Serverless::Function": "FunctionName",
            "AWS::Lambda::Function": "FunctionName",
            "AWS::IAM::Role": "RoleName",
            "AWS::S3::Bucket": "BucketName",
        }.get(kind)
        if explicit and props.get(explicit) is not None:
            return str(self.resolve(props[explicit]))
        name = f"{self.stack}-{logical_id}"
        if kind == "AWS::S3::Bucket":  # CloudFormation names buckets in lower case (S3 allows no other)
            name = f"{self.stack}-{logical_id}-local".lower()
        if kind == "AWS::SQS::Queue" and self.resolve(props.get("FifoQueue", False)) in (True, "true"):
            name += ".fifo"
        return name

    def queue_url(self, name: str) -> str:
        # moto answers with the host the request went to, so the local URL uses the endpoint.
        base = self.endpoint_url or f"https://sqs.{self.region}.amazonaws.com"
        return f"{base.rstrip('/')}/{self.account}/{name}"

    def arn(self, logical_id: str) -> str:
        kind = self.resources[logical_id].get("Type", "")
        name = self.physical_name(logical_id)
        r, a = self.region, self.account
        match kind:
            case "AWS::DynamoDB::Table":
                return f"arn:aws:dynamodb:{r}:{a}:table/{name}"
            case "AWS::SQS::Queue":
                return f"arn:aws:sqs:{r}:{a}:{name}"
            case "AWS::Serverless::Function" | "AWS::Lambda::Function":
                return f"arn:aws:lambda:{r}:{a}:function:{name}"
            case "AWS::Scheduler::ScheduleGroup":
                return f"arn:aws:scheduler:{r}:{a}:schedule-group/{name}"
            case "AWS::IAM::Role":
                return f"arn:aws:iam::{a}:role/{name}"
            case "AWS::Serverless::LayerVersion" | "AWS::Lambda::LayerVersion":
                return f"arn:aws:lambda:{r}:{a}:layer:{name}:1"
            case "AWS::KMS::Key":
                return f"arn:aws:kms:{r}:{a}:key/{kms_key_id(self.stack, logical_id)}"
            case "AWS::S3::Bucket":
                return f"arn:aws:s3:::{name}"
            case _:
                return f"arn:aws:cloudformation:{r}:{a}:{logical_id}/{name}"

    def ref(self, name: str) -> Any:
        pseudo = {
            "AWS::Region": self.region,
            "AWS::AccountId": self.account,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackName": self.stack,
            "AWS::StackId": f"arn:aws:cloudformation:{self.region}:{self.account}:stack/{self.stack}/local",
            "AWS::NotificationARNs": [],
        }
        if name in pseudo:
            return pseudo[name]
        if name == "AWS::NoValue":
            return _NO_VALUE
        if name in self.parameters:
            return self.parameters[name]
        if name not in self.resources:
            raise TemplateError(f"!Ref {name}: no such parameter or resource")
        kind = self.resources[name].get("Type", "")
        if kind == "AWS::SQS::Queue":
            return self.queue_url(self.physical_name(name))
        if kind in ("AWS::Serverless::LayerVersion", "AWS::Lambda::LayerVersion"):
            return self.arn(name)
        if kind in ("AWS::Serverless::HttpApi", "AWS::Serverless::Api"):
            return LOCAL_API_ID
        if kind == "AWS::KMS::Key":
            return kms_key_id(self.stack, name)  # a key's Ref is its id
        return self.physical_name(name)

    def get_att(self, logical_id: str, attribute: str) -> Any:
        if logical_id not in self.resources:
            raise TemplateError(f"!GetAtt {logical_id}.{attribute}: no such resource")
        if attribute == "Arn":
            return self.arn(logical_id)
        kind = self.resources[logical_id].get("Type", "")
        if kind == "AWS::SQS::Queue" and attribute == "QueueName":
            return self.physical_name(logical_id)
        if kind == "AWS::SQS::Queue" and attribute == "QueueUrl":
            return self.queue_url(self.physical_name(logical_id))
        if kind == "AWS::DynamoDB::Table" and attribute == "StreamArn":
            return self.arn(logical_id) + "/stream/local"
        raise TemplateError(f"!GetAtt {logical_id}.{attribute} is not known to the local runtime")

    def condition(self, name: str) -> bool:
        conditions = self.raw.get("Conditions", {}) or {}
        if name not in conditions:
            raise TemplateError(f"condition {name} is not defined")
        return bool(self.resolve(conditions[name]))

    def sub(self, value: Any) -> str:
        text, variables = (value, {}) if isinstance(value, str) else (value[0], value[1])

        def replace(match: re.Match[str]) -> str:
            expr = match.group(1)
            if expr.startswith("!"):  # ${!Literal} is an escaped "${Literal}"
                return "${" + expr[1:] + "}"
            if expr in variables:
                return str(self.resolve(variables[expr]))
            if "." in expr and not expr.startswith("AWS::"):
                logical_id, attribute = expr.split(".", 1)
                return str(self.get_att(logical_id, attribute))
            return str(self.ref(expr))

        return re.sub(r"\$\{([^}]+)\}", replace, text)

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            resolved = [self.resolve(v) for v in value]
            return [v for v in resolved if v is not _NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, arg),) = value.items()
            match key:
                case "Ref":
                    return self.ref(arg)
                case "Fn::GetAtt":
                    parts = arg if isinstance(arg, list) else str(arg).split(".", 1)
                    return self.get_att(str(self.resolve(parts[0])), str(self.resolve(parts[1])))
                case "Fn::Sub":
                    return self.sub(arg)
                case "Fn::If":
                    name, when_true, when_false = arg
                    return self.resolve(when_true if self.condition(name) else when_false)
                case "Fn::Join":
                    separator, items = arg
                    return str(separator).join(str(v) for v in self.resolve(items))
                case "Fn::Select":
                    index, items = arg
                    return self.resolve(items)[int(self.resolve(index))]
                case "Fn::Split":
                    separator, text = arg
                    return str(self.resolve(text)).split(separator)
                case "Fn::Equals":
                    left, right = (self.resolve(v) for v in arg)
                    return str(left) == str(right)
                case "Fn::Not":
                    return not self.resolve(arg[0])
                case "Fn::And":
                    return all(self.resolve(v) for v in arg)
                case "Fn::Or":
                    return any(self.resolve(v) for v in arg)
                case "Condition":
                    return self.condition(arg)
                case "Fn::FindInMap":
                    name, top, second = (self.resolve(v) for v in arg)
                    return self.raw["Mappings"][name][top][second]
                case "Fn::GetAZs":
                    return [f"{self.region}{zone}" for zone in "abcd"]
                case "Fn::Base64":
                    import base64

                    return base64.b64encode(str(self.resolve(arg)).encode()).decode()
                case "Fn::ImportValue" | "Fn::Cidr" | "Fn::Transform":
                    raise TemplateError(f"{key} cannot be resolved locally")
        out = {k: self.resolve(v) for k, v in value.items()}
        return {k: v for k, v in out.items() if v is not _NO_VALUE}


def resolver_for(template: Template, document: dict[str, Any]) -> _Resolver:
    """A resolver of another rendering of the same template (SAM's translation to CloudFormation, which
    adds the functions' roles): the same names, parameters and account as `template`."""
    return _Resolver(
        document, template.region, template.account, template.stack, None, template.parameters,
        template.path.parent,
    )  # fmt: skip


# --------------------------------------------------------------------------- parsing


def _parameters(raw: dict[str, Any], overrides: dict[str, str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, spec in (raw.get("Parameters") or {}).items():
        if name in overrides:
            out[name] = overrides[name]
        elif isinstance(spec, dict) and "Default" in spec:
            default = spec["Default"]
            out[name] = ",".join(map(str, default)) if isinstance(default, list) else str(default)
        else:
            raise TemplateError(f"parameter {name} has no Default; pass it to the local runtime")
    return out


def _merge_globals(globals_: dict[str, Any], props: dict[str, Any]) -> dict[str, Any]:
    """SAM's Globals rules: maps merge (function wins), lists concatenate, scalars are overridden."""
    merged = dict(globals_)
    for key, value in props.items():
        base = merged.get(key)
        if isinstance(base, dict) and isinstance(value, dict):
            merged[key] = _merge_globals(base, value)
        elif isinstance(base, list) and isinstance(value, list):
            merged[key] = base + value
        else:
            merged[key] = value
    return merged


def _layer_dirs(resolver: _Resolver, raw_layers: list[Any]) -> tuple[Path, ...]:
    dirs = []
    for layer in raw_layers:
        logical_id = layer.get("Ref") if isinstance(layer, dict) else None
        resource = resolver.resources.get(logical_id or "")
        if resource and resource.get("Type") == "AWS::Serverless::LayerVersion":
            content = (resource.get("Properties") or {}).get("ContentUri")
            if isinstance(content, str):
                dirs.append((resolver.base_dir / content / "python").resolve())
    return tuple(dirs)


def _parse_function(resolver: _Resolver, template: Template, logical_id: str, props: dict[str, Any]) -> None:
    env_raw = ((props.get("Environment") or {}).get("Variables")) or {}
    environment = {k: str(v) for k, v in resolver.resolve(env_raw).items()}
    async_config = props.get("EventInvokeConfig") or {}
    on_failure = resolver.resolve(
        ((async_config.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
    )
    dlq = resolver.resolve((props.get("DeadLetterQueue") or {}).get("TargetArn"))
    template.functions[logical_id] = Function(
        logical_id=logical_id,
        name=resolver.physical_name(logical_id),
        arn=resolver.arn(logical_id),
        code_uri=(resolver.base_dir / str(resolver.resolve(props.get("CodeUri", ".")))).resolve(),
        handler=str(resolver.resolve(props["Handler"])),
        runtime=str(resolver.resolve(props.get("Runtime", "python3.13"))),
        memory_mb=int(resolver.resolve(props.get("MemorySize", 128))),
        timeout_s=int(resolver.resolve(props.get("Timeout", 3))),
        environment=environment,
        layers=_layer_dirs(resolver, props.get("Layers") or []),
        async_max_retries=int(async_config.get("MaximumRetryAttempts", 2)),
        async_failure_arn=on_failure or dlq,
    )
    for event_name, event in (props.get("Events") or {}).items():
        kind = event.get("Type")
        eprops = event.get("Properties") or {}
        if kind == "HttpApi":
            method = str(resolver.resolve(eprops.get("Method", "ANY"))).upper()
            path = str(resolver.resolve(eprops.get("Path", "$default")))
            method = "ANY" if method in ("*", "X-AMAZON-APIGATEWAY-ANY-METHOD") else method
            auth = resolver.resolve((eprops.get("Auth") or {}).get("Authorizer"))
            template.routes.append(Route(method, path, logical_id, event_name, str(auth) if auth else None))
        elif kind == "SQS":
            queue_arn = str(resolver.resolve(eprops["Queue"]))
            queue = template.queue_by_arn(queue_arn)
            if queue is None:
                raise TemplateError(f"{logical_id}.{event_name}: queue {queue_arn} is not in the template")
            responses = resolver.resolve(eprops.get("FunctionResponseTypes") or [])
            template.sqs_sources.append(
                SqsEventSource(
                    function=logical_id,
                    event_name=event_name,
                    queue=queue.logical_id,
                    batch_size=int(resolver.resolve(eprops.get("BatchSize", 10))),
                    report_batch_item_failures="ReportBatchItemFailures" in responses,
                    enabled=bool(resolver.resolve(eprops.get("Enabled", True))),
                )
            )
        elif kind == "ScheduleV2":
            retry = resolver.resolve(eprops.get("RetryPolicy"))
            dead_letter = resolver.resolve(eprops.get("DeadLetterConfig") or {})
            template.schedules.append(
                ScheduleEvent(
                    function=logical_id,
                    event_name=event_name,
                    name=str(resolver.resolve(eprops.get("Name") or f"{logical_id}-{event_name}")),
                    expression=str(resolver.resolve(eprops["ScheduleExpression"])),
                    timezone=str(resolver.resolve(eprops.get("ScheduleExpressionTimezone", "UTC"))),
                    group=resolver.resolve(eprops.get("GroupName")),
                    input=resolver.resolve(eprops.get("Input")),
                    state=str(resolver.resolve(eprops.get("State", "ENABLED"))),
                    dead_letter_arn=dead_letter.get("Arn"),
                    retry_policy=retry,
                )
            )


def parse_template(
    path: Path | str,
    *,
    endpoint_url: str | None = None,
    parameters: dict[str, str] | None = None,
    region: str = REGION,
    account: str = ACCOUNT,
    stack: str = STACK,
) -> Template:
    """Read a SAM template. `endpoint_url` is the emulated AWS endpoint queue URLs are built on."""
    path = Path(path).resolve()
    raw = load_yaml(path)
    params = _parameters(raw, parameters or {})
    resolver = _Resolver(raw, region, account, stack, endpoint_url, params, path.parent)
    template = Template(path, region, account, stack, params)
    resources = resolver.resources
    globals_fn = (raw.get("Globals") or {}).get("Function") or {}

    def included(spec: dict[str, Any]) -> bool:
        return "Condition" not in spec or resolver.condition(spec["Condition"])

    # Queues first: SQS event sources of functions refer to them.
    for logical_id, spec in resources.items():
        if not included(spec):
            continue
        kind = spec.get("Type")
        props = resolver.resolve(spec.get("Properties") or {})
        if kind == "AWS::DynamoDB::Table":
            template.tables[logical_id] = Table(
                logical_id, resolver.physical_name(logical_id), resolver.arn(logical_id), props
            )
        elif kind == "AWS::SQS::Queue":
            redrive = props.get("RedrivePolicy") or {}
            name = resolver.physical_name(logical_id)
            template.queues[logical_id] = Queue(
                logical_id,
                name,
                resolver.queue_url(name),
                resolver.arn(logical_id),
                props,
                dead_letter_arn=redrive.get("deadLetterTargetArn"),
                max_receive_count=int(redrive["maxReceiveCount"]) if "maxReceiveCount" in redrive else None,
            )
        elif kind == "AWS::Scheduler::ScheduleGroup":
            template.schedule_groups[logical_id] = ScheduleGroup(
                logical_id, resolver.physical_name(logical_id), resolver.arn(logical_id)
            )
        elif kind == "AWS::S3::Bucket":
            template.buckets[logical_id] = Bucket(
                logical_id, resolver.physical_name(logical_id), resolver.arn(logical_id), props
            )
        elif kind == "AWS::KMS::Key":
            template.kms_keys[logical_id] = KmsKey(
                logical_id, kms_key_id(stack, logical_id), resolver.arn(logical_id), props
            )
    for logical_id, spec in resources.items():
        if included(spec) and spec.get("Type") == "AWS::Serverless::Function":
            props = _merge_globals(globals_fn, spec.get("Properties") or {})
            _parse_function(resolver, template, logical_id, props)
    return template
