"""`/_local/...` routes: the runtime's own controls next to the template's routes (the clock, and
whatever later code registers, e.g. an outbox of sent messages).

Register for every runtime (at import time of your module):

    from nudge_local.runtime.local_routes import LocalRequest, LocalResponse, register

    @register("GET", "/_local/outbox")
    def outbox(runtime, request: LocalRequest) -> LocalResponse:
        return LocalResponse.json({"messages": [...]})

or for one runtime only: `runtime.local_routes.add("GET", "/_local/outbox", handler)`.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

PREFIX = "/_local/"


@dataclass(frozen=True)
class LocalRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body or b"{}")


@dataclass(frozen=True)
class LocalResponse:
    status: int
    headers: dict[str, str]
    body: bytes

    @classmethod
    def json(cls, data: Any, status: int = 200) -> "LocalResponse":
        body = json.dumps(data, ensure_ascii=False, default=str).encode()
        return cls(status, {"content-type": "application/json; charset=utf-8"}, body)


# (runtime, request) -> response. The runtime is typed Any here to keep this module import-light.
LocalHandler = Callable[[Any, LocalRequest], LocalResponse]


@dataclass
class LocalRoutes:
    handlers: dict[tuple[str, str], LocalHandler] = field(default_factory=dict)

    def add(self, method: str, path: str, handler: LocalHandler) -> None:
        if not path.startswith(PREFIX):
            raise ValueError(f"local routes live under {PREFIX}: {path}")
        self.handlers[(method.upper(), path.rstrip("/"))] = handler

    def find(self, method: str, path: str) -> LocalHandler | None:
        return self.handlers.get((method.upper(), path.rstrip("/")))

    def paths(self) -> list[str]:
        return sorted(f"{m} {p}" for m, p in self.handlers)


_GLOBAL = LocalRoutes()


def register(method: str, path: str) -> Callable[[LocalHandler], LocalHandler]:
    """Decorator: a `/_local/...` route every LocalRuntime created afterwards serves."""

    def decorate(handler: LocalHandler) -> LocalHandler:
        _GLOBAL.add(method, path, handler)
        return handler

    return decorate


def registered() -> dict[tuple[str, str], LocalHandler]:
    return dict(_GLOBAL.handlers)
