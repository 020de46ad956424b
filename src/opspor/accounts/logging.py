"""A logging filter that keeps patient identifiers out of application logs.

Code should never log patient data in the first place; this is the net under that rule,
for the CPR number that slips into an exception message, a debug line or a request line's
query string. `opspor.logconfig` puts it on every handler. Names cannot be told from other
words, so they are kept out by never logging them (the test suite scans its own log lines
for the demo patients' names).
"""

from __future__ import annotations

import logging
import re

# Ten digits, optionally with the hyphen after six, not part of a longer number.
_CPR_LIKE = re.compile(r"(?<!\d)(\d{6})-?(\d{4})(?!\d)")
REDACTED = "[CPR REDACTED]"


def redact(text: str) -> str:
    return _CPR_LIKE.sub(REDACTED, text)


class RedactPatientData(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg = cleaned
            record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            # The traceback is formatted later by the handler; format and scrub it now.
            formatter = logging.Formatter()
            record.exc_text = redact(formatter.formatException(record.exc_info))
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True
