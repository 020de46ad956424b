"""Request bodies and answers shared by every case's API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from ninja import Field, Schema
from pydantic import BaseModel, model_validator


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


class BodyIn(BaseModel):
    """A request body: a JSON object, and nothing else.

    A plain pydantic model, not Ninja's `Schema`: that one reads fields as attributes of
    whatever it is given (so that it can shape model rows), and so takes a string, a number
    or a list as an object without fields; a body of `"x"` would withdraw a referral as if
    no body had been sent. Here anything but an object is refused with 422, before any
    action.
    """

    @model_validator(mode="before")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        # PostgreSQL stores no NUL character in text or JSON: refused here with 422 rather
        # than failing as a server error at the database (SQLite would have stored it).
        if _has_nul(value):
            raise ValueError("Text may not contain the NUL character (U+0000).")
        return value


# The largest id a database row can have (a signed 64-bit integer); a larger one cannot
# even be compared with the ids in the database.
MAX_ID = 2**63 - 1
RowId = Annotated[int, Field(ge=1, le=MAX_ID)]


class NotificationOut(Schema):
    id: int
    kind: str
    label: str
    created_at: datetime
    read_at: datetime | None
    # The case it is about: its kind (e.g. "referral", "advicerequest") and id.
    subject_kind: str
    subject_id: int


class NotificationsReadIn(BodyIn):
    ids: list[RowId] = Field(..., min_length=1, max_length=1000)


class MarkedOut(Schema):
    marked: int
