"""Idempotency: a repeated submission returns the first result and creates nothing.

A key is bound to its caller, its action and a fingerprint of what was asked (the
case it acts on and the body): the same key sent with another patient, another thread or
another text is refused (`key_reused`), never answered with the first result as if it
had been the same request. The fingerprint is computed by the service from its own
arguments, so the web forms and the API are bound alike.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.db import IntegrityError, models, transaction

from opspor.accounts.models import User
from opspor.casework.errors import WorkflowError
from opspor.casework.models import IdempotencyRecord


def _plain(value: Any) -> Any:
    if isinstance(value, models.Model):
        return [value._meta.label_lower, value.pk]
    return str(value)


def fingerprint(**request: Any) -> str:
    """The SHA-256 of what a request asked for, whatever order its parts come in."""
    text = json.dumps(request, sort_keys=True, default=_plain, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def recall[M: models.Model](
    model: type[M], *, by: User, key: str, action: str, digest: str
) -> M | None:
    """The row a first request with this key produced, or None when the key is new."""
    if not key:
        return None
    record = IdempotencyRecord.objects.filter(user=by, key=key, action=action).first()
    if record is None:
        return None
    # Records made before keys were bound carry no fingerprint; they keep answering.
    if record.fingerprint and record.fingerprint != digest:
        raise WorkflowError(
            "key_reused",
            "This Idempotency-Key was already used for a different request (another case or "
            "another body). Nothing was changed; send a new request with a new key.",
        )
    return model._default_manager.get(pk=record.object_id)


def remember(*, by: User, key: str, action: str, digest: str, obj: models.Model) -> None:
    """Bind `key` to the row this request produced, inside the service's transaction."""
    if not key:
        return
    try:
        with transaction.atomic():
            IdempotencyRecord.objects.create(
                user=by,
                key=key,
                action=action,
                fingerprint=digest,
                object_type=obj._meta.model_name or "",
                object_id=obj.pk,
            )
    except IntegrityError:
        raise WorkflowError(
            "conflict", "The same idempotency key is being used by another request."
        ) from None


def recalled_id(*, user: User, key: str, action: str) -> int | None:
    """The id a form submission with `key` already produced, if any (a double click)."""
    if not key:
        return None
    record = IdempotencyRecord.objects.filter(user=user, key=key, action=action).first()
    return record.object_id if record is not None else None
