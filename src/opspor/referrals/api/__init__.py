"""Advice requests and referrals over the JSON API.

The endpoints parse, call one selector or service, and shape the answer. Access is the
selectors' (an object outside the caller's reach is 404 and nothing changes) and the
services' (`WorkflowError`, mapped to its status once, in `opspor.api`); a role that can
never use an endpoint is refused with 403 before anything is read.

Every referral and advice request carries its contacts (the practice's and the unit's
numbers, and who wrote the letter), its deadlines and whether it is overdue. Lists are
one query however long they are: the contacts come joined with the row, and `overdue` is
computed by the database with the conditions the screens and the counts use.
"""

from ninja import Router

from opspor.referrals.api import advice, messages, referrals

router = Router()
router.add_router("", advice.router)
router.add_router("", referrals.router)
router.add_router("", messages.router)
