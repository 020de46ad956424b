"""What the referral screens share: who may open them, paging, the chosen rule set."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Page, Paginator
from django.http import HttpRequest

from opspor.accounts.guards import require_role
from opspor.accounts.models import Role, User
from opspor.engine.rules.loader import DEFAULT_RULESET, RULESETS
from opspor.referrals import selectors

PAGE_SIZE = selectors.SCREEN_PAGE_SIZE


def as_gp(request: HttpRequest) -> User:
    return require_role(request.user, Role.GP)


def as_doctor(request: HttpRequest) -> User:
    return require_role(request.user, Role.UNIT_DOCTOR)


def as_clinician(request: HttpRequest) -> User:
    return require_role(request.user, Role.GP, Role.UNIT_DOCTOR)


def page_of(rows: Any, number: str | None) -> Page[Any]:
    return Paginator(rows, PAGE_SIZE).get_page(number)


def ruleset_of(request: HttpRequest) -> str:
    asked = request.POST.get("ruleset") or request.GET.get("ruleset", "")
    return asked if asked in RULESETS else DEFAULT_RULESET
