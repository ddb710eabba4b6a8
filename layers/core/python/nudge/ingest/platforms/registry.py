"""The platforms Nudge takes webhooks from, by the name in the URL.

Each platform's module is imported the first time one of its webhooks arrives: a Lambda container that
only ever sees Shopify never builds the Cafe24 models (cold starts stay short).
"""

import importlib
from functools import cache

from nudge.ingest.platforms.delivery import Platform

_IMPLEMENTATIONS = {
    "cafe24": ("nudge.ingest.platforms.cafe24", "Cafe24"),
    "shopify": ("nudge.ingest.platforms.shopify", "Shopify"),
    "nudge": ("nudge.ingest.platforms.nudge_json", "NudgeJson"),
}
PLATFORM_NAMES = tuple(sorted(_IMPLEMENTATIONS))


@cache
def platform(name: str) -> Platform | None:
    implementation = _IMPLEMENTATIONS.get(name)
    if implementation is None:
        return None
    module, cls = implementation
    return getattr(importlib.import_module(module), cls)()
