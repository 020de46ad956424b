"""Every business action on advice requests and referrals, by sub-domain.

Each service takes keyword arguments only, runs in one transaction, locks the row it
changes, re-checks the state on the locked row, and writes the audit event in the same
transaction (`casework.runner`). A refused action raises `WorkflowError` and changes
nothing.
"""

from opspor.casework.errors import WorkflowError
from opspor.referrals.services.advice import (
    advice_request_answer,
    advice_request_close,
    advice_request_send,
)
from opspor.referrals.services.messages import MAX_MESSAGE_LENGTH, message_post, thread_mark_read
from opspor.referrals.services.overdue import (
    cases_notify_overdue,
    referrals_escalate_unacknowledged,
)
from opspor.referrals.services.referral import (
    referral_accept,
    referral_acknowledge_rejection,
    referral_book_appointment,
    referral_complete,
    referral_create_and_send,
    referral_create_draft,
    referral_missing_items,
    referral_record_first_contact,
    referral_reject,
    referral_return_with_advice,
    referral_send,
    referral_withdraw,
)

__all__ = [
    "MAX_MESSAGE_LENGTH",
    "WorkflowError",
    "advice_request_answer",
    "advice_request_close",
    "advice_request_send",
    "cases_notify_overdue",
    "message_post",
    "referral_accept",
    "referral_acknowledge_rejection",
    "referral_book_appointment",
    "referral_complete",
    "referral_create_and_send",
    "referral_create_draft",
    "referral_missing_items",
    "referral_record_first_contact",
    "referral_reject",
    "referral_return_with_advice",
    "referral_send",
    "referral_withdraw",
    "referrals_escalate_unacknowledged",
    "thread_mark_read",
]
