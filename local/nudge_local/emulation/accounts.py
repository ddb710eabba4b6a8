"""The AWS account the embedded emulation keeps everything in."""

import os

from moto.core import DEFAULT_ACCOUNT_ID


def emulated_account() -> str:
    """What moto itself concludes from the local runtime's access key, unless MOTO_ACCOUNT_ID says
    otherwise (moto reads that variable first)."""
    return os.environ.get("MOTO_ACCOUNT_ID", DEFAULT_ACCOUNT_ID)
