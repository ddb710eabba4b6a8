"""The local runtime's botocore hooks (the counters, the crash drills), in one place.

botocore asks its "before-send" handlers in order and stops at the first answer. moto's in-process stubber
answers, so every hook registered here is placed before it: a request is counted (and may crash) before
moto answers it.
"""

from collections.abc import Callable
from typing import Any

import boto3
import botocore.handlers
from moto.core.models import botocore_stubber

_generation = 0  # how many times register() added a handler


def generation() -> int:
    """Changes whenever a handler is added: a client made before has not got it (aws.client)."""
    return _generation


def register(*handlers: tuple[str, Callable[..., Any]]) -> None:
    """Register (event, handler) pairs for sessions created from now on, and on boto3's default session if
    it exists. Registering a pair twice changes nothing."""
    global _generation
    builtin = botocore.handlers.BUILTIN_HANDLERS
    for pair in handlers:
        if pair in builtin:
            continue
        builtin.append(pair)
        _generation += 1
        if boto3.DEFAULT_SESSION is not None:
            boto3.DEFAULT_SESSION.events.register(*pair)
    for entry in [h for h in builtin if h[1] is botocore_stubber]:  # moto answers last
        builtin.remove(entry)
        builtin.append(entry)
