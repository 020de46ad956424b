"""Opspor's reading of the patient's answers (onset from the band, persistent, recurrent),
the copy of the context it makes for the re-assessment, and the diary chart's geometry."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from opspor.engine.context import PatientContext
from opspor.portal import diary_chart
from opspor.portal.models import (
    STARTED_DAYS_AGO,
    Preparation,
    PreparedRiskFactor,
    PreparedSymptom,
    RiskKind,
    Started,
)
from opspor.portal.reported import prepared_context, read_symptom, sent_day

BANDS = [*Started.values, ""]


def _context(**patient: object) -> PatientContext:
    return PatientContext.model_validate(
        {
            "as_of": date(2026, 12, 3),
            "patient": {"birth_date": date(1960, 1, 1), "sex": "female", **patient},
            "symptoms": [{"code": "cough", "onset": date(2026, 10, 1), "persistent": True}],
        }
    )


@given(
    band=st.sampled_from(BANDS),
    comes_and_goes=st.sampled_from([True, False, None]),
    sent=st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31)),
)
def test_the_onset_is_the_bands_lower_bound_and_never_after_the_day_it_was_sent(
    band: str, comes_and_goes: bool | None, sent: date
) -> None:
    symptom = PreparedSymptom(code="cough", started=band, comes_and_goes=comes_and_goes)
    read = read_symptom(symptom, sent_on=sent)
    assert read.onset == sent - timedelta(days=STARTED_DAYS_AGO.get(band, 0))
    assert read.onset <= sent
    assert read.recurrent is (comes_and_goes is True)
    assert read.persistent is (
        band in (Started.MONTHS, Started.LONG_AGO) and comes_and_goes is not True
    )
    assert not (read.persistent and read.recurrent)


@pytest.mark.parametrize(
    ("band", "days"),
    [
        (Started.THIS_WEEK, 0),
        (Started.WEEKS, 7),
        (Started.MONTHS, 22),
        (Started.LONG_AGO, 92),
        (Started.DONT_KNOW, 0),
        ("", 0),
    ],
)
def test_each_band_in_days(band: str, days: int) -> None:
    read = read_symptom(PreparedSymptom(code="cough", started=band), sent_on=date(2026, 12, 3))
    assert read.onset == date(2026, 12, 3) - timedelta(days=days)


def test_the_day_sent_is_the_day_in_copenhagen() -> None:
    # 23:30 UTC on 30 November is already 1 December in Copenhagen.
    preparation = Preparation(sent_at=datetime(2026, 11, 30, 23, 30, tzinfo=UTC))
    assert sent_day(preparation) == date(2026, 12, 1)
    with pytest.raises(ValueError, match="draft"):
        sent_day(Preparation(sent_at=None))


def test_the_context_is_copied_with_the_reported_items_and_never_changed() -> None:
    context = _context()
    before = context.model_dump()
    preparation = Preparation(sent_at=datetime(2026, 12, 1, 9, 0, tzinfo=UTC))
    symptoms = [
        PreparedSymptom(code="haemoptysis", started=Started.WEEKS, comes_and_goes=True),
        PreparedSymptom(code="no_such_code", started=Started.WEEKS),
    ]
    risks = [
        PreparedRiskFactor(kind=RiskKind.EXPOSURE, exposure="asbestos"),
        PreparedRiskFactor(kind=RiskKind.EXPOSURE, exposure="not_an_exposure"),
        PreparedRiskFactor(kind=RiskKind.FAMILY, relation="mother", cancer_site="breast"),
    ]
    copy, added = prepared_context(
        context, preparation=preparation, symptoms=symptoms, risk_factors=risks
    )
    assert context.model_dump() == before
    assert added.symptom_codes == {"haemoptysis"}
    assert added.exposure_codes == {"asbestos"}
    assert added.family_sites == {"breast"}
    reported = [s for s in copy.symptoms if s.code == "haemoptysis"]
    assert len(reported) == 1
    assert reported[0].onset == date(2026, 11, 24)
    assert reported[0].recurrent and not reported[0].persistent
    assert [s.code for s in copy.symptoms] == ["cough", "haemoptysis"]
    assert copy.patient.occupational_exposures == ("asbestos",)
    assert [(f.relation, f.cancer_site) for f in copy.patient.family_history] == [
        ("mother", "breast")
    ]


def test_an_exposure_already_in_the_record_is_not_added_twice() -> None:
    context = _context(occupational_exposures=["asbestos"])
    preparation = Preparation(sent_at=datetime(2026, 12, 1, 9, 0, tzinfo=UTC))
    copy, added = prepared_context(
        context,
        preparation=preparation,
        symptoms=[],
        risk_factors=[PreparedRiskFactor(kind=RiskKind.EXPOSURE, exposure="asbestos")],
    )
    assert copy.patient.occupational_exposures == ("asbestos",)
    assert added.exposure_codes == {"asbestos"}


@given(
    entries=st.dictionaries(
        st.integers(min_value=-10, max_value=40),
        st.integers(min_value=0, max_value=10),
        max_size=30,
    )
)
def test_every_diary_point_lies_in_the_plot_and_in_order(entries: dict[int, int]) -> None:
    end = date(2026, 12, 3)
    days = [(end - timedelta(days=d), s) for d, s in entries.items()]
    chart = diary_chart.diary_chart([("cough", days)], end=end)
    if not days:
        assert chart is None
        return
    assert chart is not None
    points = chart.series[0].points
    assert [p.day for p in points] == sorted(day for day, _ in days)
    for point in points:
        x, y = float(point.x), float(point.y)
        assert diary_chart.LEFT <= x <= diary_chart.RIGHT
        assert diary_chart.TOP <= y <= diary_chart.BOTTOM
        assert y == pytest.approx(diary_chart.y_of(point.severity))
    xs = [float(p.x) for p in points]
    assert xs == sorted(xs)
    # A line joins only days that follow one another.
    for run in chart.series[0].runs:
        run_xs = [float(pair.split(",")[0]) for pair in run.split()]
        steps = [b - a for a, b in itertools.pairwise(run_xs)]
        assert max(steps) - min(steps) <= 0.02  # one day each, to the two decimals drawn
    assert [row.day for row in chart.rows] == sorted({day for day, _ in days})
