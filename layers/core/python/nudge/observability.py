"""Logging that cannot leak a phone number: every record passes through a filter that masks them."""

import logging

from aws_lambda_powertools import Logger

from nudge.privacy import scrub


class PhoneScrubber(logging.Filter):
    """Defence in depth: code logs masked values, and anything phone-shaped that slips through is masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = scrub(record.msg)
        if record.args:
            record.args = tuple(scrub(a) if isinstance(a, str) else a for a in record.args)  # type: ignore[union-attr]
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


def logger(service: str | None = None) -> Logger:
    log = Logger(service=service)
    log.addFilter(PhoneScrubber())
    return log
