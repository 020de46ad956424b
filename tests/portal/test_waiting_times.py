"""The maximum wait for an examination to start: its figure, where it applies, its sources,
and a malformed file refused with the field named."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime
from typing import Any

import pytest
import yaml

from opspor.engine.rules.pathways import referable_pathways
from opspor.portal.trusted import load_catalogue
from opspor.portal.waiting_times import (
    WAITING_TIMES_FILE,
    WaitingTimesError,
    load_maximum_wait,
    parse_waiting_times,
)


def _raw() -> dict[str, Any]:
    return yaml.safe_load(WAITING_TIMES_FILE.read_text(encoding="utf-8"))


def test_the_rule_is_14_calendar_days_with_its_sources_and_catalogue_link() -> None:
    rule = load_maximum_wait()
    assert rule.days == 14
    assert load_catalogue().get(rule.link) is not None
    hosts = {source.url.split("/")[2] for source in rule.sources}
    assert {"www.sst.dk", "sundhedsstyrelsen.dk", "stpk.dk"} <= hosts
    for source in rule.sources:
        assert source.url.startswith("https://")
        assert source.last_checked <= date.today()


def test_the_legal_basis_says_what_was_not_confirmed() -> None:
    basis = _raw()["investigation_start"]["legal_basis"]
    assert basis["section"] == "§ 88, stk. 1"
    assert basis["order_section"] is None
    assert "Not confirmed" in basis["order_section_note"]
    assert "§ 82 b" in basis["not_this"]


def test_it_applies_to_the_organ_pathways_and_not_where_unconfirmed() -> None:
    rule = load_maximum_wait()
    assert rule.applies_to("lung")
    assert rule.applies_to("colorectal")
    assert not rule.applies_to("dpf")  # not confirmed for the diagnostic pathway
    assert not rule.applies_to("metastases_unknown_primary")  # not a GP's referral
    assert not rule.applies_to("no_such_pathway")
    assert {p.code for p in referable_pathways() if not rule.applies_to(p.code)} == {"dpf"}


def test_the_last_day_is_counted_in_calendar_days_from_the_local_day_sent() -> None:
    rule = load_maximum_wait()
    # 23:30 UTC on 30 November is 00:30 on 1 December in Copenhagen.
    assert rule.latest_start(datetime(2026, 11, 30, 23, 30, tzinfo=UTC)) == date(2026, 12, 15)
    assert rule.latest_start(datetime(2026, 11, 30, 10, 0, tzinfo=UTC)) == date(2026, 12, 14)


def _broken(path: tuple[str, ...], value: Any) -> dict[str, Any]:
    data = copy.deepcopy(_raw())
    node: Any = data
    for key in path[:-1]:
        node = node[key]
    if value is ...:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return data


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("investigation_start",), ..., "top level: missing 'investigation_start'"),
        (("investigation_start", "days"), "two weeks", "days must be a whole number"),
        (("investigation_start", "days"), 0, "days must be a whole number"),
        (("investigation_start", "calendar_days"), False, "calendar_days must be true"),
        (("investigation_start", "exception"), ..., "missing 'exception'"),
        (("investigation_start", "legal_basis", "section"), "", "legal_basis: missing 'section'"),
        (
            ("investigation_start", "legal_basis", "order_section_note"),
            ...,
            "missing 'order_section_note'",
        ),
        (("investigation_start", "not_applied_to"), {"lungs": "x"}, "unknown pathway(s)"),
        (("investigation_start", "not_applied_to"), {"dpf": ""}, "map each pathway to why"),
        (("investigation_start", "sources"), "sst.dk", "sources: needs a list"),
    ],
)
def test_a_malformed_file_is_refused_naming_the_field(
    path: tuple[str, ...], value: Any, message: str
) -> None:
    with pytest.raises(WaitingTimesError) as refused:
        parse_waiting_times(_broken(path, value))
    assert message in str(refused.value)
    assert "waiting_times.yaml" in str(refused.value)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("url", "http://www.sst.dk/x", "url must be https"),
        ("last_checked", "recently", "last_checked must be a date"),
        ("says", ..., "sources[1]: missing 'says'"),
    ],
)
def test_a_malformed_source_is_refused(field: str, value: Any, message: str) -> None:
    with pytest.raises(WaitingTimesError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_waiting_times(_broken(("investigation_start", "sources", 0, field), value))
