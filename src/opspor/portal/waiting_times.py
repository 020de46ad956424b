"""The longest wait for an examination to start when cancer is suspected (the data file:
`data/waiting_times.yaml`).

A patient's right under the Danish rules on maximum waiting times, shown on the patient's
pathway page beside the unit's own deadlines. The figure, what it is counted from, where it
applies and where that was not confirmed are data with their sources; the loader refuses a
file without them, naming the field.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from django.utils import timezone

from opspor.engine.datafile import load_yaml
from opspor.engine.rules.pathways import listed_pathways

WAITING_TIMES_FILE = Path(__file__).parent / "data" / "waiting_times.yaml"


class WaitingTimesError(ValueError):
    """The waiting-times file is malformed; the message names the field."""


@dataclass(frozen=True)
class Source:
    url: str
    publisher: str
    title: str
    last_checked: date


@dataclass(frozen=True)
class MaximumWait:
    days: int
    # Pathways the rule is not shown for, each with why (not confirmed to apply).
    not_applied_to: dict[str, str]
    link: str  # the trusted-information catalogue's link to the rules
    sources: tuple[Source, ...]

    def applies_to(self, pathway: str) -> bool:
        """Whether the page states the rule for a referral to this pathway: a pathway a GP
        refers to, and not one where it was not confirmed."""
        referable = {p.code for p in listed_pathways() if p.gp_entry}
        return pathway in referable and pathway not in self.not_applied_to

    def latest_start(self, sent_at: datetime) -> date:
        """The last day the examination may start: calendar days from the day the unit
        received the referral, which through Opspor is the day it was sent."""
        return timezone.localdate(sent_at) + timedelta(days=self.days)


def _need(raw: Any, name: str, where: str) -> Any:
    if not isinstance(raw, dict) or raw.get(name) in (None, ""):
        raise WaitingTimesError(f"{WAITING_TIMES_FILE.name}: {where}: missing {name!r}")
    return raw[name]


def parse_waiting_times(data: Any) -> MaximumWait:
    where = "investigation_start"
    rule = _need(data, where, "top level")
    days = _need(rule, "days", where)
    if not isinstance(days, int) or isinstance(days, bool) or days < 1:
        raise WaitingTimesError(f"{WAITING_TIMES_FILE.name}: {where}: days must be a whole number")
    if rule.get("calendar_days") is not True:
        raise WaitingTimesError(
            f"{WAITING_TIMES_FILE.name}: {where}: calendar_days must be true (the page counts "
            "calendar days; working days would need the clock)"
        )
    for name in ("counted_from", "until", "exception", "applies_to", "link"):
        _need(rule, name, where)
    basis = _need(rule, "legal_basis", where)
    for name in ("act", "section", "section_confirmed_how", "order"):
        _need(basis, name, f"{where}.legal_basis")
    if basis.get("order_section") is None:
        # An unconfirmed paragraph is allowed, but only with the words saying so.
        _need(basis, "order_section_note", f"{where}.legal_basis")
    not_applied = rule.get("not_applied_to") or {}
    listed = {p.code for p in listed_pathways()}
    if not isinstance(not_applied, dict) or not all(
        isinstance(v, str) and v.strip() for v in not_applied.values()
    ):
        raise WaitingTimesError(
            f"{WAITING_TIMES_FILE.name}: {where}.not_applied_to: map each pathway to why"
        )
    unknown = sorted(set(not_applied) - listed)
    if unknown:
        raise WaitingTimesError(
            f"{WAITING_TIMES_FILE.name}: {where}.not_applied_to: unknown pathway(s) {unknown}"
        )
    raw_sources = _need(rule, "sources", where)
    if not isinstance(raw_sources, list):
        raise WaitingTimesError(f"{WAITING_TIMES_FILE.name}: {where}.sources: needs a list")
    sources = []
    for i, raw in enumerate(raw_sources, start=1):
        at = f"{where}.sources[{i}]"
        for name in ("url", "publisher", "title", "last_checked", "checked_how", "says"):
            _need(raw, name, at)
        if not str(raw["url"]).startswith("https://"):
            raise WaitingTimesError(f"{WAITING_TIMES_FILE.name}: {at}: url must be https")
        if not isinstance(raw["last_checked"], date):
            raise WaitingTimesError(f"{WAITING_TIMES_FILE.name}: {at}: last_checked must be a date")
        sources.append(
            Source(
                url=str(raw["url"]),
                publisher=str(raw["publisher"]),
                title=str(raw["title"]),
                last_checked=raw["last_checked"],
            )
        )
    return MaximumWait(
        days=days,
        not_applied_to={str(k): str(v) for k, v in not_applied.items()},
        link=str(rule["link"]),
        sources=tuple(sources),
    )


@cache
def load_maximum_wait() -> MaximumWait:
    try:
        data = load_yaml(WAITING_TIMES_FILE.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise WaitingTimesError(f"{WAITING_TIMES_FILE.name}: not valid YAML ({error})") from None
    return parse_waiting_times(data)
