"""Turning referral rows and their stored data into words on the referral screens."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django import template
from django.utils import formats, timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from opspor.accounts.models import User
from opspor.casework.clock import DEFAULT_CALENDAR
from opspor.casework.models import Notification
from opspor.casework.notifications import unread_notification_count
from opspor.engine.alternatives import load_catalogue
from opspor.engine.rules.pathways import referable_pathways
from opspor.records.templatetags.overview import clinical_language, in_language
from opspor.referrals import selectors
from opspor.referrals.forms import pathway_label
from opspor.referrals.models import AdviceRequest, Referral
from opspor.referrals.workflow import (
    FRAILTY_LABELS,
    FRAILTY_SCALE,
    AdviceState,
    NotificationKind,
    ReferralOrigin,
    ReferralState,
    RejectionReason,
)

register = template.Library()


_ACTIONS = {
    "create": _("Draft created"),
    "send": _("Sent"),
    "accept": _("Accepted"),
    "reject": _("Rejected"),
    "return_with_advice": _("Returned with advice"),
    "book_appointment": _("Appointment booked"),
    "complete": _("Completed"),
    "record_first_contact": _("First contact with the patient"),
    "withdraw": _("Withdrawn"),
    "acknowledge_rejection": _("Rejection acknowledged"),
    "answer": _("Answered"),
    "close": _("Closed"),
    "escalate": _("Escalated to the practice's second contact"),
}

_CLOCKS = {
    "triage": _("Triage"),
    "first_contact": _("First contact with the patient"),
    "acknowledge": _("Acknowledgement of the rejection"),
    "answer": _("Answer"),
}

_SUMMARY_KINDS = {
    "guideline_criterion": _("Guideline criterion met"),
    "new_symptom": _("New symptom"),
    "pattern_break": _("Pattern break"),
    "long_absence": _("Return after a long absence"),
    "continuity": _("Low continuity"),
    "vulnerability": _("Vulnerability"),
    "filter_package": _("Tests missing before a diagnostic pathway referral"),
    "ppv": _("Positive predictive value"),
    "medication_rise": _("Rise in medicine use"),
}

_STATE_BADGES = {
    ReferralState.DRAFT: "badge-info",
    ReferralState.SENT: "badge-info",
    ReferralState.ACCEPTED: "badge-success",
    ReferralState.APPOINTMENT_BOOKED: "badge-success",
    ReferralState.COMPLETED: "badge-success",
    ReferralState.REJECTED: "badge-error",
    ReferralState.RETURNED_WITH_ADVICE: "badge-warning",
    ReferralState.WITHDRAWN: "badge-info",
}


@register.filter
def pathway(code: str) -> str:
    return pathway_label(code)


@register.filter
def state_label(row: Referral | AdviceRequest) -> str:
    choices = ReferralState if isinstance(row, Referral) else AdviceState
    return str(choices(row.state).label) if row.state in choices.values else row.state


@register.filter
def referral_state(value: str) -> str:
    return str(ReferralState(value).label) if value in ReferralState.values else value


@register.filter
def advice_state(value: str) -> str:
    return str(AdviceState(value).label) if value in AdviceState.values else value


@register.filter
def state_badge(row: Referral | AdviceRequest) -> str:
    if isinstance(row, AdviceRequest):
        return "badge-success" if row.state == AdviceState.ANSWERED else "badge-info"
    return _STATE_BADGES.get(ReferralState(row.state), "badge-info")


@register.filter
def event_action(action: str) -> str:
    label = _ACTIONS.get(action)
    return str(label) if label is not None else action.replace("_", " ")


@register.filter
def reason_label(code: str) -> str:
    return str(RejectionReason(code).label) if code in RejectionReason.values else code


@register.filter
def origin_label(code: str) -> str:
    return str(ReferralOrigin(code).label) if code in ReferralOrigin.values else code


@register.filter
def notification_kind(code: str) -> str:
    return str(NotificationKind(code).label) if code in NotificationKind.values else code


@register.filter
def frailty_label(field: str) -> str:
    label = FRAILTY_LABELS.get(field)
    return str(label) if label is not None else field


@register.filter
def frailty_scale(level: int | None) -> str:
    return str(dict(FRAILTY_SCALE).get(level, "")) if level else gettext("Not assessed")


@register.filter
def yes_no(value: bool | None) -> str:
    if value is None:
        return gettext("Not assessed")
    return gettext("Yes") if value else gettext("No")


@register.filter
def missing_label(item: dict[str, Any]) -> str:
    """One thing a referral lacks, in words (the completeness check's stored data)."""
    kind = item.get("item")
    if kind == "informed_about_kraeft":
        return gettext("The patient has not been told that the letter uses the word “kræft”")
    if kind == "frailty":
        return gettext("Frailty section: %(field)s") % {
            "field": frailty_label(str(item.get("field", "")))
        }
    if kind == "filter_test":
        name = in_language(item.get("label")) or str(item.get("test_id", ""))
        if item.get("reason") == "too_old":
            return gettext("Test too old: %(test)s") % {"test": name}
        return gettext("Test not taken: %(test)s") % {"test": name}
    return ", ".join(f"{k}: {v}" for k, v in item.items())


@register.filter
def plan_label(code: str) -> str:
    """An alternatives-catalogue code as its label in the page's clinical language."""
    for entry in load_catalogue().entries:
        if entry.code == code:
            return entry.labels.get(clinical_language())
    return code


@register.filter
def summary_kind(kind: str) -> str:
    label = _SUMMARY_KINDS.get(kind)
    return str(label) if label is not None else kind.replace("_", " ").capitalize()


@register.filter
def person(user: User | None) -> str:
    """A user's name as the other side knows them: the clinician's name where there is one."""
    if user is None:
        return ""
    clinician = getattr(user, "clinician", None)
    return clinician.name if clinician is not None else user.get_full_name() or user.username


@register.filter
def actor_name(event: Any) -> str:
    """Who acted on a case: the clinician, or Opspor itself (the background worker)."""
    if event.actor_id is None:
        return gettext("Opspor (automatic)")
    return person(event.actor)


@register.simple_tag
def clock(row: Referral | AdviceRequest, now: datetime) -> SafeString:
    """The deadline a row waits on: working time left or past, which deadline, and when.

    Written here rather than as an included template: the inbox shows it on every row,
    and an include per row costs more than the rest of the row together.
    """
    found = selectors.clock_of(row, now)
    if found is None:
        return mark_safe('<span class="muted">—</span>')  # a constant, nothing to escape
    span = working_time(found.hours)
    if found.overdue:
        text = gettext("Overdue by %(span)s") % {"span": span}
    else:
        text = gettext("%(span)s left") % {"span": span}
    due = formats.date_format(timezone.localtime(found.due_at), "SHORT_DATETIME_FORMAT")
    return format_html(
        '<span class="clock{}" data-testid="clock" data-overdue="{}">{}'
        "<small>{} · {} {}</small></span>",
        " clock--overdue" if found.overdue else "",
        "true" if found.overdue else "false",
        text,
        clock_kind(found.kind),
        gettext("due"),
        due,
    )


def _test_names(items: list[dict[str, Any]]) -> list[str]:
    return [in_language(i.get("label")) or str(i.get("test_id", "")) for i in items]


# Up to this many tests are named; more are counted.
NAMED_TESTS = 3


@register.filter
def missing_groups(missing: list[dict[str, Any]]) -> list[str]:
    """What a referral lacks, one line per kind: a long list of absent tests reads as
    their number, so the unit sees at a glance what kind of thing is missing."""
    absent = [i for i in missing if i.get("item") == "filter_test" and i.get("reason") != "too_old"]
    old = [i for i in missing if i.get("item") == "filter_test" and i.get("reason") == "too_old"]
    frailty = [i for i in missing if i.get("item") == "frailty"]
    lines = []
    if absent:
        names = _test_names(absent)
        if len(names) <= NAMED_TESTS:
            lines.append(gettext("Tests not taken: %(tests)s") % {"tests": ", ".join(names)})
        else:
            n = len(names)
            lines.append(ngettext("%(n)s test not taken", "%(n)s tests not taken", n) % {"n": n})
    if old:
        names = _test_names(old)
        if len(names) <= NAMED_TESTS:
            lines.append(gettext("Tests too old: %(tests)s") % {"tests": ", ".join(names)})
        else:
            n = len(names)
            lines.append(ngettext("%(n)s test too old", "%(n)s tests too old", n) % {"n": n})
    if frailty:
        fields = ", ".join(frailty_label(str(i.get("field", ""))) for i in frailty)
        lines.append(gettext("Frailty section: %(field)s") % {"field": fields})
    known = {"filter_test", "frailty"}
    lines += [missing_label(i) for i in missing if i.get("item") not in known]
    return lines


@register.simple_tag
def completeness_cell(referral: Referral) -> SafeString:
    """What a sent referral lacked, at a glance: a count, one line per kind, and the GP's
    reason for sending it anyway."""
    missing = referral.stored_completeness
    if not missing:
        return format_html(
            '<span class="badge badge-success" data-testid="complete">{}</span>',
            gettext("Complete"),
        )
    count = ngettext("%(n)s missing", "%(n)s missing", len(missing)) % {"n": len(missing)}
    reason = ""
    if referral.incomplete_reason:
        reason = format_html(
            '<p class="missing-reason"><span class="muted">{}:</span> {}</p>',
            gettext("The GP's reason"),
            Truncator(referral.incomplete_reason).chars(120),
        )
    return format_html(
        '<span class="badge badge-warning" data-testid="missing-count">{}</span>'
        '<ul class="missing-list">{}</ul>{}',
        count,
        format_html_join("", "<li>{}</li>", ((line,) for line in missing_groups(missing))),
        reason,
    )


@register.filter
def clock_kind(kind: str) -> str:
    return str(_CLOCKS.get(kind, kind))


@register.filter
def working_time(hours: float) -> str:
    """A span of working time in working days (of the calendar's day length), hours and
    minutes: "1 working day 3 h", "5 h 30 min", "45 min"."""
    day = round(DEFAULT_CALENDAR.working_day_length / timedelta(minutes=1))
    days, rest = divmod(round(abs(hours) * 60), day)
    whole_hours, minutes = divmod(rest, 60)
    parts = []
    if days:
        parts.append(ngettext("%(n)s working day", "%(n)s working days", days) % {"n": days})
    if whole_hours:
        parts.append(gettext("%(n)s h") % {"n": whole_hours})
    if not days and (minutes or not whole_hours):
        parts.append(gettext("%(n)s min") % {"n": max(minutes, 1)})
    return " ".join(parts)


@register.simple_tag(takes_context=True)
def unread_notifications(context: template.Context) -> int:
    """The header's count of the user's practice's or unit's unread notifications."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if not isinstance(user, User):
        return 0
    return unread_notification_count(user)


@register.filter
def notification_case(notification: Notification) -> str:
    """The case a notification is about, as the list names it: its kind and patient."""
    subject = notification.subject
    if isinstance(subject, Referral):
        return f"{gettext('Referral')}: {subject.patient.name}"
    if isinstance(subject, AdviceRequest):
        return f"{gettext('Advice request')}: {subject.patient.name}"
    return ""


# How far Opspor checks a pathway's entry, in groups: a status said once, not per pathway.
_CRITERIA_GROUPS = (
    (("encoded",), "checked", _("Opspor checks the entry criteria")),
    (("partly_encoded",), "partly", _("Opspor checks some of the entry criteria")),
    (
        ("not_found", "not_encoded"),
        "unchecked",
        _("Entry criteria not available to Opspor: not checked"),
    ),
)


@register.simple_tag
def pathway_checks() -> list[tuple[str, str, list[tuple[str, str]]]]:
    """The pathways the GP can choose, grouped by how far Opspor checks their entry, so that
    an empty overview is never read as 'the criteria are not met'."""
    pathways = referable_pathways()
    groups = []
    for statuses, key, label in _CRITERIA_GROUPS:
        members = [(p.code, pathway_label(p.code)) for p in pathways if p.criteria in statuses]
        if members:
            groups.append((key, str(label), members))
    return groups
