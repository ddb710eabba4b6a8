"""Errors a caller can act on. Each maps to one HTTP status; `fields` names what was wrong."""

from dataclasses import dataclass, field

from pydantic import ValidationError


@dataclass(frozen=True, slots=True)
class FieldError:
    field: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message}


@dataclass
class NudgeError(Exception):
    message: str
    fields: list[FieldError] = field(default_factory=list)
    status = 400
    code = "bad_request"

    def __str__(self) -> str:
        if not self.fields:
            return self.message
        return self.message + ": " + "; ".join(f"{f.field}: {f.message}" for f in self.fields)

    def as_dict(self) -> dict[str, object]:
        body: dict[str, object] = {"error": self.code, "message": str(self)}
        if self.fields:
            body["fields"] = [f.as_dict() for f in self.fields]
        return body


class InvalidPayload(NudgeError):
    status = 400
    code = "invalid_payload"


class Unauthenticated(NudgeError):
    status = 401
    code = "unauthenticated"


class Forbidden(NudgeError):
    status = 403
    code = "forbidden"


class NotFound(NudgeError):
    status = 404
    code = "not_found"


class MethodNotAllowed(NudgeError):
    """The path exists, not with this method: the answer's Allow header lists the ones it has."""

    status = 405
    code = "method_not_allowed"


class Conflict(NudgeError):
    """The request is valid but clashes with what is stored (an id taken, a segment a campaign uses)."""

    status = 409
    code = "conflict"


class PayloadTooLarge(NudgeError):
    status = 413
    code = "payload_too_large"


class UnsupportedMediaType(NudgeError):
    status = 415
    code = "unsupported_media_type"


class BadGateway(NudgeError):
    """A messaging gateway Nudge asked did not answer, or refused the store's account: nothing written."""

    status = 502
    code = "bad_gateway"


class TooManyRequests(NudgeError):
    """A public route's limit for this caller is used up for now (the storefront tracker's): nothing
    written."""

    status = 429
    code = "too_many_requests"


def field_path(loc: tuple[int | str, ...], prefix: str = "") -> str:
    """A pydantic location as the client wrote it: `members[3].phone`; `body` for the whole payload."""
    path = prefix
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path or "body"


def field_errors(error: ValidationError, prefix: str = "") -> list[FieldError]:
    """pydantic's errors as `FieldError`s whose paths name fields of the payload the client sent."""
    out = []
    for item in error.errors(include_url=False, include_input=False):
        # Discriminated unions add the tag ('order.placed') to the location: not a field the client wrote.
        loc = tuple(p for p in item["loc"] if not (isinstance(p, str) and "." in p and p[0].islower()))
        out.append(FieldError(field_path(loc, prefix), item["msg"]))
    return out


def error_codes() -> tuple[str, ...]:
    """Every `error` code an answer can carry: one per NudgeError class (what the OpenAPI document lists)."""
    classes: list[type[NudgeError]] = [NudgeError]
    for cls in classes:
        classes.extend(cls.__subclasses__())
    return tuple(dict.fromkeys(cls.code for cls in classes))
