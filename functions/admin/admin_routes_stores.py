"""The admin API's store routes: settings, webhook and gateway secrets, member import."""

from typing import Annotated, Any

from admin_contract import SecretName, StorePath, answers, example, json_as_documented, logger
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import BaseModel, Field, field_validator
from pydantic.json_schema import SkipJsonSchema

from nudge import clock, store_settings
from nudge.adapters.wiring import store_dependencies as dependencies
from nudge.ingest import member_import
from nudge.stores import Store, StoreId

router = APIGatewayHttpRouter()

# SSM Parameter Store's standard tier keeps values of up to 4 KB.
MAX_SECRET_BYTES = 4096


class SecretRequest(BaseModel):
    value: Annotated[str, Field(min_length=8, max_length=MAX_SECRET_BYTES)]

    @field_validator("value")
    @classmethod
    def _fits_parameter_store(cls, value: str) -> str:
        if len(value.encode()) > MAX_SECRET_BYTES:
            raise ValueError(f"at most {MAX_SECRET_BYTES} bytes (UTF-8)")
        return value


class StoreSettingsRequest(Store):
    """Store settings: nudge.stores.Store; `store_id` is the path's."""

    store_id: SkipJsonSchema[StoreId | None] = None  # type: ignore[assignment]


IMPORT_EXAMPLE = example(
    "One member with consents and an order",
    {
        "members": [
            {
                "customer_id": "m-1001",
                "name": "김하늘",
                "phone": "010-1234-5678",
                "signed_up_at": "2024-05-01T10:00:00+09:00",
                "consents": {"sms": {"granted": True, "at": "2024-05-01T10:00:00+09:00"}},
                "channel_friend": True,
                "orders": [
                    {
                        "order_id": "20260220-0001",
                        "placed_at": "2026-02-20T12:00:00+09:00",
                        "amount": 32000,
                        "products": ["P-7"],
                        "status": "delivered",
                        "delivered_at": "2026-02-22T15:00:00+09:00",
                    }
                ],
            }
        ]
    },
)


@router.get(
    "/admin/stores/<store_id>",
    summary="A store's settings",
    tags=["stores"],
    responses=answers(200, "The settings"),
)
def get_store(store_id: StorePath) -> dict[str, Any]:
    return store_settings.get_store(dependencies().stores, store_id).model_dump(mode="json")


@router.get(
    "/admin/stores/<store_id>/cafe24",
    summary="The Cafe24 app's install on the store: installed, lapsed (to be opened again) or not",
    tags=["stores"],
    responses=answers(
        200,
        "`status` (installed, lapsed, not_installed), `mall_id`, and `reason` when lapsed; "
        "`last_reconciliation` (the hourly run's `recovered`, `already_known`, `orders_read`, "
        "`members_read`, `products_read`, `pending_read`, `api_calls`, `since`, `until`; null before the "
        "first) and `waiting` (orders, members, products whose webhook the Admin API could not answer, read "
        "by the next run)",
    ),
)
def get_cafe24_install(store_id: StorePath) -> dict[str, Any]:
    # Not on the admin's cold start.
    from nudge.adapters.wiring import cafe24_install_status, cafe24_sync_status

    store_settings.get_store(dependencies().stores, store_id)
    return {**cafe24_install_status(store_id), **cafe24_sync_status(store_id)}


@router.put(
    "/admin/stores/<store_id>",
    summary="Create or replace a store's settings",
    tags=["stores"],
    responses=answers(200, "The settings as saved", body=True, missing=None),
)
@json_as_documented(router)
def put_store(store_id: StorePath, settings: Annotated[StoreSettingsRequest, Body()]) -> dict[str, Any]:
    deps = dependencies()
    store = store_settings.put_store(deps.stores, store_id, settings.model_dump(), deps.deployment_gateway)
    return store.model_dump(mode="json")


@router.put(
    "/admin/stores/<store_id>/secrets/<name>",
    summary="Set a webhook or gateway secret (write-only, SSM SecureString)",
    tags=["stores"],
    responses=answers(204, "Saved", body=True),
)
@json_as_documented(router)
def put_secret(
    store_id: StorePath, name: Annotated[SecretName, Path()], secret: Annotated[SecretRequest, Body()]
) -> Response[Any]:
    store_settings.put_secret(dependencies(), store_id, name.value, secret.value)
    return Response(204)


@router.post(
    "/admin/stores/<store_id>/members/import",
    summary="Import existing members (up to 500 per request): profiles, consents with dates, orders",
    tags=["stores"],
    responses=answers(200, "`created`, and the customers Nudge already knew (left as they are)", body=True),
)
@json_as_documented(router)
def import_members(
    store_id: StorePath,
    page: Annotated[member_import.MemberImport, Body(openapi_examples=IMPORT_EXAMPLE)],
) -> dict[str, Any]:
    deps = dependencies()
    store = store_settings.get_store(deps.stores, store_id)
    payload = router.current_event.json_body  # as sent: member_import checks every row before writing any
    result = member_import.import_members(store, payload, deps.profiles, clock.now())
    known = len(result.already_known)
    logger.info("members imported", extra={"members_created": result.created, "members_known": known})
    return result.as_dict()
