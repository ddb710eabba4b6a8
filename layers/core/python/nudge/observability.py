"""Logging that cannot leak a phone number: every record passes through a filter that masks them."""

import logging
from collections.abc import Mapping
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

from nudge.privacy import scrub


class PhoneScrubber(logging.Filter):
    """Defence in depth: code logs masked values, and anything phone-shaped that slips through is masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = scrub(record.msg)
        if isinstance(record.args, Mapping):  # logger.info("%(name)s", {"name": ...})
            record.args = {k: scrub(v) if isinstance(v, str) else v for k, v in record.args.items()}
        elif record.args:
            record.args = tuple(scrub(a) if isinstance(a, str) else a for a in record.args)
        for key, value in list(record.__dict__.items()):
            if isinstance(value, str) and key not in (
                "msg",
                "name",
                "levelname",
                "pathname",
                "filename",
                "module",
            ):
                record.__dict__[key] = scrub(value)
        return True


# The Lambda context keys that are the same on every line of a function's log group (its name, ARN and
# memory size: the log group and each invocation's REPORT line already say them). CloudWatch Logs bills by
# the byte, and they were a fifth of what Nudge logged; the request id and cold start stay.
SAME_ON_EVERY_LINE = frozenset({"function_name", "function_arn", "function_memory_size"})


class LeanFormatter(LambdaPowertoolsFormatter):
    """Powertools' JSON lines without the keys a line's log group already tells."""

    def append_keys(self, **additional_keys: Any) -> None:
        super().append_keys(**{k: v for k, v in additional_keys.items() if k not in SAME_ON_EVERY_LINE})


def logger(service: str | None = None) -> Logger:
    log = Logger(service=service, logger_formatter=LeanFormatter())
    log.addFilter(PhoneScrubber())
    return log
