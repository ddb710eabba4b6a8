"""Who may call which admin route: a caller is scoped to its stores (README, "Deploy to AWS").

The caller is the IAM principal API Gateway verified (requestContext.authorizer.iam; in the local runtime,
the principal a local token stands for). Its `nudge:stores` tag names the stores it may administer, or `*`
for every store (nudge.adapters.principals reads it). Each route is of one kind, by its method and path:

- a store's route (`{store_id}` in the path): the caller's tag must name that store. `PUT` of a store that
  does not exist yet creates it, which only a caller of every store may do;
- a route that shows no store's data (STORELESS: the document, Swagger UI, the ready-made segments): any
  caller with a store;
- anything else, such as a list of the stores: a caller of every store. A new route is of this kind until it
  is declared otherwise, and tests/e2e/test_admin_store_isolation.py sends each route of the app across
  stores.

A refusal is a JSON 403 that says why. It is decided before the request is validated or any route runs,
and it reads nothing of a store the caller may not administer.

A module of the admin function (see admin_contract on the `admin_` prefix)."""

from enum import Enum
from typing import Any

from nudge.adapters.principals import STORES_TAG as TAG
from nudge.errors import FieldError, Forbidden


class Reach(Enum):
    STORE = "a store"
    STORE_OR_NEW = "a store, or creates it"
    NONE = "no store's data"
    EVERY = "every store"


# Routes that show no store's data, as the document writes them.
STORELESS = frozenset(
    {("GET", "/admin/openapi.json"), ("GET", "/admin/swagger"), ("GET", "/admin/segment-templates")}
)
# Routes that create the store they name when it does not exist.
CREATES_STORE = frozenset({("PUT", "/admin/stores/{store_id}")})

_SIGNED = 'Not signed (API Gateway answers `{"message": "Forbidden"}`)'
# Each kind's 403, as the OpenAPI document describes it.
FORBIDDEN: dict[Reach, str] = {
    Reach.STORE: f"{_SIGNED}, or the caller may not administer this store: its IAM principal's `{TAG}` tag "
    "does not name it",
    Reach.STORE_OR_NEW: f"{_SIGNED}, or the caller may not administer this store (its IAM principal's "
    f"`{TAG}` tag does not name it), or the store does not exist yet and the caller may not create one "
    f"(only a principal tagged `{TAG}` = `*` may)",
    Reach.NONE: f"{_SIGNED}, or the caller's IAM principal has no `{TAG}` tag",
    Reach.EVERY: f"{_SIGNED}, or the route concerns every store and the caller's IAM principal is not "
    f"tagged `{TAG}` = `*`",
}


def reach(method: str, path: str) -> Reach:
    """The kind of a route, by its method and documented path (`/admin/stores/{store_id}/segments`)."""
    route = (method.upper(), path)
    if route in CREATES_STORE:
        return Reach.STORE_OR_NEW
    if "{store_id}" in path.split("/"):
        return Reach.STORE
    if route in STORELESS:
        return Reach.NONE
    return Reach.EVERY


def refusal(event: dict[str, Any], method: str, path: str, arguments: dict[str, str]) -> Forbidden | None:
    """Why the caller of this signed request may not call this route (`path` as documented, `arguments` its
    path parameters), or None if it may."""
    from nudge.adapters.wiring import admin_scopes

    context = event.get("requestContext") or {}
    caller = (context.get("authorizer") or {}).get("iam") or {}
    scope = admin_scopes().scope_of(caller, str(context.get("accountId") or ""))
    who = scope.principal or "the caller"
    if not scope.any:
        return Forbidden(f"{who} may administer no store: {scope.unscoped_because}")
    kind = reach(method, path)
    if kind is Reach.NONE or scope.all_stores:
        return None
    if kind is Reach.EVERY:
        return Forbidden(
            f"{method} {path} concerns every store: it needs a principal tagged {TAG} = *, and {who} may "
            f"administer {_listed(scope.stores)} only"
        )
    store_id = arguments.get("store_id", "")
    if not scope.covers(store_id):
        return Forbidden(
            f"{who} may not administer store {store_id!r}: its {TAG} tag names {_listed(scope.stores)}",
            [FieldError("store_id", f"not a store of the caller's {TAG} tag")],
        )
    if kind is Reach.STORE_OR_NEW and not _exists(store_id):
        return Forbidden(
            f"store {store_id!r} does not exist yet: only a principal tagged {TAG} = * creates a store",
            [FieldError("store_id", "a new store; the caller may only change an existing one")],
        )
    return None


def _listed(stores: frozenset[str]) -> str:
    return ", ".join(sorted(stores))


def _exists(store_id: str) -> bool:
    from nudge.adapters.wiring import store_dependencies

    return store_dependencies().stores.get(store_id) is not None
