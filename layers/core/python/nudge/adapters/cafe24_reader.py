"""A store's Cafe24 Admin API as the ingest path and the reconciliation read it.

- `read`: what webhooks name (orders, members, products), in as few calls as the API allows (orders and
  products by comma lists).
- `orders_changed`: every order any of whose dates falls in the window. Cafe24 has no "updated" date type
  (store-platforms.md §1.4), so the reader walks the date types a CRM-relevant change sets, and keeps each
  order once (its latest answer).
- `members_joined`, `products_changed`.

Anything that stops the API answering (the install lapsed, a token revoked, Cafe24 failing, the network)
becomes PlatformUnavailable: the webhook then waits for the reconciliation, which fails whole and is run
again, so nothing is lost to a token.
"""

from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

import httpx

from nudge.errors import NudgeError
from nudge.ingest.platforms.delivery import PlatformAnswers, PlatformUnavailable

if TYPE_CHECKING:
    from nudge.adapters.cafe24 import AdminApi

T = TypeVar("T")

# The order dates a change Nudge reads sets (orders.d.ts `date_type`): placed, paid, shipped, delivered,
# cancelled (before or after payment), returned.
ORDER_DATE_TYPES = (
    "order_date",
    "pay_date",
    "shipbegin_date",
    "shipend_date",
    "cancel_date",
    "cancel_complete_date",
    "return_complete_date",
)


class Cafe24Reader:
    def __init__(self, api: "Callable[[], AdminApi]") -> None:
        self._make_api = api
        self._api: AdminApi | None = None

    @property
    def api(self) -> "AdminApi":
        if self._api is None:
            self._api = _answering(self._make_api)
        return self._api

    @property
    def calls(self) -> int:
        return 0 if self._api is None else self._api.calls_made

    def read(
        self, orders: tuple[str, ...], members: tuple[str, ...], products: tuple[str, ...]
    ) -> PlatformAnswers:
        def everything() -> PlatformAnswers:
            found_orders = {str(o["order_id"]): o for o in self.api.orders(list(orders))} if orders else {}
            found_members: dict[str, Mapping[str, Any]] = {}
            for member_id in members:
                member = self.api.customer(member_id)
                if member is not None:
                    found_members[member_id] = member
            found_products = (
                {str(p["product_no"]): p for p in self.api.products(list(products))} if products else {}
            )
            return PlatformAnswers(found_orders, found_members, found_products)

        return _answering(everything)

    def orders_changed(self, since: datetime, until: datetime) -> Iterator[Mapping[str, Any]]:
        latest: dict[str, Mapping[str, Any]] = {}
        for date_type in ORDER_DATE_TYPES:

            def window(kind: str = date_type) -> list[dict[str, Any]]:
                return list(self.api.orders_changed(since, until, kind))

            for order in _answering(window):
                latest[str(order["order_id"])] = order
        return iter(latest.values())

    def members_joined(self, since: datetime, until: datetime) -> Iterator[Mapping[str, Any]]:
        return iter(_answering(lambda: list(self.api.customers_joined(since, until))))

    def products_changed(self, since: datetime, until: datetime) -> Iterator[Mapping[str, Any]]:
        return iter(_answering(lambda: list(self.api.products_changed(since, until))))


def _answering(call: Callable[[], T]) -> T:
    """The call's answer, or PlatformUnavailable naming why (never a token)."""
    from nudge.adapters.cafe24 import Cafe24Error

    try:
        return call()
    except NudgeError as error:  # AppLapsed (409), NotFound (no install)
        raise PlatformUnavailable(f"the Cafe24 app cannot call the Admin API ({error})") from error
    except Cafe24Error as error:
        raise PlatformUnavailable(f"Cafe24's Admin API answered {error.status} ({error.code})") from error
    except httpx.HTTPError as error:
        raise PlatformUnavailable(
            f"Cafe24's Admin API could not be reached ({type(error).__name__})"
        ) from error
