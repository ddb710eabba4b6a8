"""What both dealers pass through to Kakao as Kakao names it: the brand message's product block
(NHN friendtalkupgrade-api-guide `commerce`, Solapi bmsCommerce.ts: the same fields)."""

from typing import Any

from nudge.sending.gateway import CommercePart


def commerce_block(commerce: CommercePart) -> dict[str, Any]:
    out: dict[str, Any] = {"title": commerce.title, "regularPrice": commerce.regular_price}
    for key, value in (
        ("discountPrice", commerce.discount_price),
        ("discountRate", commerce.discount_rate),
        ("discountFixed", commerce.discount_fixed),
    ):
        if value is not None:
            out[key] = value
    return out
