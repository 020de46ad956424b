"""What the settings' log handler writes, read back in a test."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest


def console_handler() -> logging.StreamHandler[io.TextIOBase]:
    handlers = [h for h in logging.getLogger().handlers if h.get_name() == "console"]
    assert len(handlers) == 1, "the settings' LOGGING puts one handler, `console`, on root"
    handler = handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    return handler


@pytest.fixture
def console() -> Iterator[io.StringIO]:
    """The console handler's output during the test (it goes back to stderr afterwards)."""
    handler = console_handler()
    written = io.StringIO()
    before = handler.setStream(written)
    try:
        yield written
    finally:
        handler.setStream(before)
