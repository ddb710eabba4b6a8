"""A store's AlimTalk template list over its gateway account: the store item's account settings + its
secrets (SSM) → the NHN or Solapi listing adapter, over the gateways' shared httpx client."""

from nudge.adapters.gateway_accounts import GatewayAddressRefused, gateway_address, http_client
from nudge.adapters.gateways.nhn_templates import NhnTemplates
from nudge.adapters.gateways.solapi_templates import SolapiTemplates
from nudge.adapters.gateways.transport import PRODUCTION
from nudge.alimtalk.service import TemplateSource, TemplatesUnavailable
from nudge.ports import SecretStore
from nudge.stores import GATEWAY_SECRET_NAMES, Store


def template_source_for(store: Store, secrets: SecretStore, base_url: str | None = None) -> TemplateSource:
    """`base_url`: the deployment's gateway address (GATEWAY_BASE_URL: the local emulator), else the store's
    own `gateway.base_url` (held to its provider's hosts, as the sender holds it), else production."""
    try:
        account, base = gateway_address(store, base_url)
    except GatewayAddressRefused as refused:
        raise TemplatesUnavailable(str(refused)) from refused
    if account.provider == "nhn":
        return NhnTemplates(
            http_client(),
            kakao_url=base or PRODUCTION["nhn-kakao"],
            appkey=account.kakao_appkey,
            secret=secrets.get(store.store_id, GATEWAY_SECRET_NAMES["nhn-kakao"]),
            sender_key=account.sender_key,
        )
    return SolapiTemplates(
        http_client(),
        base_url=base or PRODUCTION["solapi"],
        api_key=account.api_key,
        api_secret=secrets.get(store.store_id, GATEWAY_SECRET_NAMES["solapi"]),
        channel_id=account.pf_id,
    )
