"""The admin API's contract machinery: the resolver whose OpenAPI document tells what the API answers,
every route's declared answers and the `Error` body they refuse with, the path parameters' types, the JSON
type check Powertools' lax validation leaves out, and the refusals themselves (`router`: validation, a
NudgeError, an unknown route or method) with the document's own route.

A module of the admin function (functions/admin/ ships whole); named `admin_…` because the local runtime
runs every function in one process, where a plain `contract` could be another function's module."""

import re
from collections.abc import Callable
from enum import StrEnum
from functools import cached_property, wraps
from typing import Annotated, Any, Literal, NamedTuple, cast, get_args, get_type_hints

import admin_access
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.models import Example, OpenAPI
from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2
from pydantic import BaseModel, Field, TypeAdapter
from pydantic.json_schema import SkipJsonSchema

from nudge.errors import (
    FieldError,
    InvalidPayload,
    MethodNotAllowed,
    NotFound,
    NudgeError,
    error_codes,
    field_path,
)
from nudge.http import JSON, json_type_problems
from nudge.observability import logger as make_logger
from nudge.stores import GATEWAY_SECRET_NAMES, SECRET_NAMES, STORE_ID_PATTERN

logger = make_logger()  # the admin function's one logger (app.py and the routes log with it too)

# The admin routes' ids: what the API creates (seg_…, cmp_…, aut_…) and what a marketer may choose.
ITEM_ID = r"^[A-Za-z0-9_-]{1,64}$"


class _Route(NamedTuple):
    path: str
    pattern: re.Pattern[str]
    methods: frozenset[str]


class MatchedRoute(NamedTuple):
    """The route a request goes to: its method, its path as documented, the path's parameters."""

    method: str
    path: str
    arguments: dict[str, str]


class AdminResolver(APIGatewayHttpResolver):
    """Powertools' resolver with an OpenAPI document that tells what this API answers (`_as_answered`)."""

    def get_openapi_schema(self, **kwargs: Any) -> OpenAPI:
        return _as_answered(super().get_openapi_schema(**kwargs))

    @cached_property
    def document(self) -> dict[str, Any]:
        """The OpenAPI document as GET /admin/openapi.json answers it (built once per container)."""
        return self.get_openapi_schema().model_dump(mode="json", by_alias=True, exclude_none=True)

    def routes(self) -> list[tuple[str, str]]:
        """Every route the resolver serves, Swagger UI's too: (method, path as documented)."""
        return [(route.method, route.openapi_path) for route in self._static_routes + self._dynamic_routes]

    def route_of(self, event: dict[str, Any]) -> MatchedRoute | None:
        """The route this event goes to, found as Powertools' resolver finds it (the same routes in the same
        order, the same path): what admin_access decides on before the route is called."""
        request = APIGatewayProxyEventV2(event)
        method, path = request.http_method.upper(), self._remove_prefix(request.path)
        for route in self._static_routes + self._dynamic_routes:
            found = route.rule.match(path) if route.method == method else None
            if found is not None:
                return MatchedRoute(method, route.openapi_path, found.groupdict())
        return None

    @cached_property
    def documented_routes(self) -> list[_Route]:
        """The documented paths as patterns, with their methods (405's Allow header)."""
        out = []
        for path, operations in self.document["paths"].items():
            parts = ("[^/]+" if part.startswith("{") else re.escape(part) for part in path.split("/"))
            out.append(_Route(path, re.compile("/".join(parts)), frozenset(m.upper() for m in operations)))
        return out


# ---------------------------------------------------------------- the contract: errors and answers

# One code per NudgeError class (nudge.errors), listed in the document as they are.
ErrorCode = Annotated[str, Field(json_schema_extra={"enum": list(error_codes())})]


class FieldProblem(BaseModel):
    field: str = Field(description="As the request wrote it: `store_id`, `send.at`, `members[3].phone`")
    message: str


class Error(BaseModel):
    """Every refusal. `error` is absent only when API Gateway refused the request itself (unsigned, or a body
    over its payload limit): then the body is `{"message": ...}`."""

    error: ErrorCode | SkipJsonSchema[None] = None
    message: str
    fields: list[FieldProblem] = Field(default=[], description="Each problem; absent when there is none")


_REFUSALS: dict[int, str] = {
    400: "The request is not valid: `fields` names each problem (path, body), nothing was written",
    403: 'Not signed (API Gateway answers `{"message": "Forbidden"}`)',
    413: "Body over API Gateway's payload limit (6 MB)",
    415: "Body not sent as `Content-Type: application/json`",
}


def answers(
    status: int,
    description: str,
    *,
    body: bool = False,
    params: bool = True,
    missing: str | None = "Unknown store",
    conflict: str | None = None,
    media_type: str | None = None,
    gateway: str | None = None,
) -> dict[int, OpenAPIResponse]:
    """A route's answers: its success (schema from the handler's return type, or none for 204) and each
    refusal it can give. `body`: reads a JSON body (415, 413); `params`: has path parameters to validate."""
    success: OpenAPIResponse = {"description": description}
    if media_type:
        success["content"] = {media_type: {"schema": {"type": "string"}}}
    out: dict[int, OpenAPIResponse] = {status: success}
    refusals = {403: _REFUSALS[403]}
    if params or body:
        refusals[400] = _REFUSALS[400]
    if gateway:  # the store's messaging gateway was asked and did not answer
        refusals[502] = gateway
    if missing:
        refusals[404] = missing
    if conflict:
        refusals[409] = conflict
    if body:
        refusals |= {413: _REFUSALS[413], 415: _REFUSALS[415]}
    for code in sorted(refusals):
        out[code] = {"description": refusals[code], "content": {JSON: {"model": Error}}}
    return out


def _as_answered(document: OpenAPI) -> OpenAPI:
    """Powertools documents a 422 for request validation on every route; Nudge answers it 400 with an
    `Error` body, which each route declares. A 204 has no body. A 403 says which callers the route refuses
    (admin_access: by the caller's stores)."""
    data = document.model_dump(mode="json", by_alias=True, exclude_none=True)
    for path, operations in data.get("paths", {}).items():
        for method, operation in operations.items():
            responses = operation.get("responses", {})
            responses.pop("422", None)
            if "403" in responses:
                responses["403"]["description"] = admin_access.FORBIDDEN[admin_access.reach(method, path)]
            if "204" in responses:
                responses["204"].pop("content", None)
    schemas = data.get("components", {}).get("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError", "ResponseValidationError"):
        schemas.pop(unused, None)
    return OpenAPI.model_validate(data)


def json_as_documented(router: APIGatewayHttpRouter) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Refuse a body whose JSON types differ from its schema in the OpenAPI document (`0` for `false`, `"5"`
    for 5, a Unix time for a date-time): Powertools validates with pydantic's lax mode, which would take
    them. The body is the handler's parameter annotated `Body()`; `router` is the handler's."""

    def decorate(handler: Callable[..., Any]) -> Callable[..., Any]:
        hints = get_type_hints(handler, include_extras=True)
        model = next(
            get_args(hint)[0]
            for param, hint in hints.items()
            if param != "return" and any(isinstance(extra, Body) for extra in get_args(hint)[1:])
        )
        schema = TypeAdapter(model).json_schema()

        @wraps(handler)
        def read(**kwargs: Any) -> Any:
            problems = json_type_problems(router.current_event.json_body, schema, schema.get("$defs", {}))
            if problems:
                raise InvalidPayload("request is not valid", problems)
            return handler(**kwargs)

        return read

    return decorate


def example(summary: str, value: dict[str, Any]) -> dict[str, Example]:
    """A request body's example in the document (the contract test sends each one)."""
    return {"example": Example(summary=summary, value=value)}


# ---------------------------------------------------------------- path parameters

StorePath = Annotated[
    str,
    Path(
        pattern=STORE_ID_PATTERN,
        description="The store's id",
        openapi_examples={"dogday-mall": Example(summary="The local runtime's store", value="dogday-mall")},
    ),
]
SegmentPath = Annotated[str, Path(pattern=ITEM_ID, description="The segment's id")]
CampaignPath = Annotated[str, Path(pattern=ITEM_ID, description="The campaign's id (cmp_…)")]
AutomationPath = Annotated[str, Path(pattern=ITEM_ID, description="The automation's id (aut_…)")]
CustomerPath = Annotated[
    str, Path(min_length=1, max_length=200, description="The customer's id on the store's platform")
]
TemplatePath = Annotated[
    str, Path(pattern=r"^[a-z0-9_]{1,64}$", description="A ready-made automation, e.g. review_request")
]
SourcePath = Annotated[str, Path(pattern=ITEM_ID, description="The campaign's or automation's id")]
ReportKind = Annotated[Literal["campaign", "automation"], Path(description="What the report is about")]
SecretName = StrEnum(  # type: ignore[misc]
    "SecretName", {name: name for name in sorted({*SECRET_NAMES.values(), *GATEWAY_SECRET_NAMES.values()})}
)


# ---------------------------------------------------------------- the document's route and the refusals

router = APIGatewayHttpRouter()


def _resolver() -> AdminResolver:
    return cast(AdminResolver, router.api_resolver)


@router.get(
    "/admin/openapi.json",
    summary="This API's OpenAPI document",
    tags=["documentation"],
    responses=answers(200, "The OpenAPI 3.1 document", params=False, missing=None),
)
def openapi() -> dict[str, Any]:
    return _resolver().document


def _refusal(error: NudgeError) -> Response[Any]:
    return Response(error.status, JSON, error.as_dict())


@router.exception_handler(NudgeError)
def refuse(error: NudgeError) -> Response[Any]:
    logger.info("admin request refused", extra={"status": error.status, "detail": str(error)})
    return _refusal(error)


@router.exception_handler(RequestValidationError)
def invalid_request(error: RequestValidationError) -> Response[Any]:
    return _refusal(InvalidPayload("request is not valid", [_problem(item) for item in error.errors()]))


def _problem(item: dict[str, Any]) -> FieldError:
    loc = tuple(item.get("loc") or ())
    if item.get("type") == "json_invalid":
        detail = (item.get("ctx") or {}).get("error", "")
        return FieldError("body", f"not valid JSON ({detail} at character {loc[-1] if loc else 0})")
    # The first part says where the value was (body, path): the field's own path names it.
    return FieldError(field_path(loc[1:]), str(item.get("msg", "invalid")))


@router.exception_handler(NotFoundError)  # what the resolver's not_found registers
def no_route(_: NotFoundError) -> Response[Any]:
    method, path = router.current_event.http_method, router.current_event.path
    # The documented path that names it most literally (…/segments/preview before …/segments/{segment_id}).
    route = min(
        (r for r in _resolver().documented_routes if r.pattern.fullmatch(path)),
        key=lambda r: r.path.count("{"),
        default=None,
    )
    if route is None:
        return _refusal(NotFound(f"no admin route {method} {path}"))
    if method in route.methods:
        # Documented, yet not routed: a path value has a character Powertools does not route (a control
        # character, say), which no id has.
        values = zip(route.path.split("/"), path.split("/"), strict=True)
        unroutable = [
            name[1:-1] for name, value in values if name.startswith("{") and not _ROUTABLE.fullmatch(value)
        ]
        problems = [FieldError(name, "has a character no id has") for name in unroutable or ["path"]]
        return _refusal(InvalidPayload("request is not valid", problems))
    allowed = ", ".join(sorted(route.methods))
    refused = MethodNotAllowed(f"{path} answers {allowed}, not {method}")
    return Response(refused.status, JSON, refused.as_dict(), headers={"Allow": allowed})


# The characters Powertools routes a path value with (api_gateway.py's _SAFE_URI and _UNSAFE_URI, and \w).
_ROUTABLE = re.compile(r"[\w\-._~()'!*:@,;=+&$%<> \[\]{}|^]+")
