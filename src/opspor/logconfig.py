"""The one logging configuration: Django's settings and the gunicorn config both use it.

Every record, whoever writes it (our code, Django's request and runserver logs, gunicorn's
access and error logs), goes through one handler, and that handler scrubs CPR numbers
(`opspor.accounts.logging.RedactPatientData`) before anything is written. Django's own
handlers are replaced, not added to: its runserver handler wrote request lines, query
strings and all, without the filter, and its e-mail handler would send a request's details
to the admins.

`plain` is for a person at a terminal; `json` writes one object per line for a log
collector. Importing this module needs no Django, so a gunicorn config can use it.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

from opspor.config import Env

FORMATS = ("plain", "json")
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")

# Loggers that come with handlers of their own, which would bypass the filter: each is
# pointed at ours instead.
_OWN_HANDLERS = ("django", "django.server", "gunicorn.error", "gunicorn.access")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (ISO 8601, UTC), level, logger, message, and the
    request id and exception text when there are any."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None)
        if request_id and request_id != "-":
            entry["request_id"] = request_id
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = record.stack_info
        # json.dumps escapes newlines, so a traceback stays on its line.
        return json.dumps(entry, ensure_ascii=False, default=str)


def logging_config(*, fmt: str = "plain", level: str = "INFO") -> dict[str, Any]:
    """A `logging.config.dictConfig` dictionary (Django's LOGGING, gunicorn's
    `logconfig_dict`)."""
    if fmt not in FORMATS:
        raise ValueError(f"log format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "request_id": {"()": "opspor.request_ids.AddRequestId"},
            "redact": {"()": "opspor.accounts.logging.RedactPatientData"},
        },
        "formatters": {
            "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
            "json": {"()": "opspor.logconfig.JsonFormatter"},
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "filters": ["request_id", "redact"],
                "formatter": fmt,
                # The floor for every logger, also those whose own level is lower.
                "level": level,
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            **{
                name: {"handlers": ["console"], "level": "INFO", "propagate": False}
                for name in _OWN_HANDLERS
            },
            "django.db.backends": {"level": "WARNING"},
        },
    }


def logging_config_from(env: Env) -> dict[str, Any]:
    """The configuration `OPSPOR_LOG_FORMAT` and `OPSPOR_LOG_LEVEL` ask for."""
    return logging_config(
        fmt=env.choice("OPSPOR_LOG_FORMAT", "plain", FORMATS),
        level=env.choice("OPSPOR_LOG_LEVEL", "INFO", LEVELS),
    )
