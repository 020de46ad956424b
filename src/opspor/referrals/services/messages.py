"""The message thread of a referral or an advice request, and its read receipts."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from opspor.accounts.models import User
from opspor.casework.errors import WorkflowError
from opspor.casework.guards import Side, side_of
from opspor.casework.idempotency import fingerprint, recall, remember
from opspor.casework.notifications import notify
from opspor.casework.runner import retry_when_locked
from opspor.casework.text import MAX_TEXT_LENGTH, require_text
from opspor.referrals.models import AdviceRequest, Message, Referral
from opspor.referrals.workflow import NotificationKind, ReferralState

MAX_MESSAGE_LENGTH = MAX_TEXT_LENGTH


def _side_in(user: User, thread: AdviceRequest | Referral) -> Side:
    """Which side of the thread `user` writes from, or a refusal."""
    side = side_of(user, thread)
    if side is None:
        raise WorkflowError("forbidden", "Only the practice and the unit of this case may write.")
    if side == "unit" and isinstance(thread, Referral) and thread.state == ReferralState.DRAFT:
        raise WorkflowError("forbidden", "The unit has not received this referral yet.")
    return side


@retry_when_locked
@transaction.atomic
def message_post(
    *,
    thread: AdviceRequest | Referral,
    by: User,
    body: str,
    idempotency_key: str = "",
    now: datetime | None = None,
) -> Message:
    """Write a message in the thread of a referral or an advice request; the other side
    is notified."""
    side = _side_in(by, thread)
    digest = fingerprint(thread=thread, body=body)
    done = recall(Message, by=by, key=idempotency_key, action="message_post", digest=digest)
    if done is not None:
        return done
    text = require_text(body, what="A message", limit=MAX_MESSAGE_LENGTH)
    if isinstance(thread, Referral) and thread.state == ReferralState.DRAFT:
        raise WorkflowError("not_allowed", "Send the referral before writing to the unit.")
    now = now or timezone.now()
    message = Message.objects.create(
        referral=thread if isinstance(thread, Referral) else None,
        advice_request=thread if isinstance(thread, AdviceRequest) else None,
        author=by,
        author_side=side,
        sent_at=now,
        body=text,
    )
    notify(
        kind=NotificationKind.MESSAGE,
        at=now,
        about=thread,
        practice=thread.practice if side == "unit" else None,
        unit=thread.unit if side == "gp" else None,
    )
    remember(by=by, key=idempotency_key, action="message_post", digest=digest, obj=message)
    return message


def thread_mark_read(
    *, thread: AdviceRequest | Referral, by: User, now: datetime | None = None
) -> int:
    """The reader has opened the thread: the other side's unread messages get a receipt.

    Returns how many messages were marked.
    """
    side = _side_in(by, thread)
    messages = thread.messages.filter(read_at__isnull=True).exclude(author_side=side)
    return messages.update(read_at=now or timezone.now(), read_by=by)
