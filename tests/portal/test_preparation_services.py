"""The patient's own actions on a preparation: each part saved as they go, every bad input
refused with a clear reason and nothing changed, and a sent preparation frozen."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opspor.accounts.models import Role, User
from opspor.casework.errors import WorkflowError
from opspor.portal.models import (
    DIARY_DAYS,
    MAX_SYMPTOMS,
    OWN_WORDS_LENGTH,
    QUESTION_LENGTH,
    DiaryEntry,
    OnlineReading,
    Preparation,
    PreparationEvent,
    PreparationState,
    PreparedRiskFactor,
    PreparedSymptom,
    RiskKind,
)
from opspor.portal.services import preparation as services
from opspor.portal.words import load_words
from opspor.records.models import Patient
from tests import factories

pytestmark = pytest.mark.django_db


def patient_user(**fields: object) -> tuple[User, Patient]:
    user = factories.user(Role.PATIENT)
    patient = factories.patient(user=user, **fields)
    return user, patient


def offered(patient: Patient, *, code: str | None = None) -> tuple[str, str]:
    """A (choice, area) the catalogue offers this patient, for `code` when given."""
    words = load_words()
    age = patient.age_on(timezone.localdate())
    for area in words.areas:
        for choice in words.choices_for(area.key, sex=patient.sex, age=age):
            if code is None or choice.code == code:
                return choice.key, area.key
    raise AssertionError(f"no choice offered for {code}")


def all_offered(patient: Patient) -> list[tuple[str, str]]:
    words = load_words()
    age = patient.age_on(timezone.localdate())
    return [
        (choice.key, area.key)
        for area in words.areas
        for choice in words.choices_for(area.key, sex=patient.sex, age=age)
    ]


@pytest.fixture
def owner() -> tuple[User, Patient]:
    return patient_user()


@pytest.fixture
def draft(owner: tuple[User, Patient]) -> Preparation:
    return services.preparation_start(by=owner[0], language="ar")


def refused(code: str = "invalid") -> pytest.RaisesContext[WorkflowError]:
    return pytest.raises(WorkflowError, match=f"^{code}")


def test_start_makes_one_draft_and_returns_it_again(owner: tuple[User, Patient]) -> None:
    user, patient = owner
    first = services.preparation_start(by=user, language="ar")
    again = services.preparation_start(by=user, language="da")
    assert first.pk == again.pk
    assert first.state == PreparationState.DRAFT and first.language == "ar"
    assert Preparation.objects.filter(patient=patient).count() == 1
    assert PreparationEvent.objects.filter(preparation=first, action="prepare").count() == 1


@pytest.mark.parametrize("role", [Role.GP, Role.UNIT_DOCTOR, Role.ANALYST])
def test_only_a_patient_may_start(role: str) -> None:
    with refused("forbidden"):
        services.preparation_start(by=factories.user(role), language="da")
    assert not Preparation.objects.exists()


def test_a_symptom_is_stored_as_the_vocabulary_code(
    owner: tuple[User, Patient], draft: Preparation
) -> None:
    user, patient = owner
    choice, area = offered(patient)
    symptom = services.prepared_symptom_add(preparation=draft, by=user, choice=choice, area=area)
    assert symptom.code == load_words().choice(choice).code  # type: ignore[union-attr]
    again = services.prepared_symptom_add(preparation=draft, by=user, choice=choice, area=area)
    assert again.pk == symptom.pk
    assert draft.symptoms.count() == 1


def test_a_choice_not_offered_in_that_place_is_refused(
    owner: tuple[User, Patient], draft: Preparation
) -> None:
    user, patient = owner
    choice, area = offered(patient)
    other_area = next(a.key for a in load_words().areas if a.key != area)
    offered_there = {c for c, a in all_offered(patient) if a == other_area}
    with refused():
        services.prepared_symptom_add(preparation=draft, by=user, choice="no-such", area=area)
    if choice not in offered_there:
        with refused():
            services.prepared_symptom_add(
                preparation=draft, by=user, choice=choice, area=other_area
            )
    assert not draft.symptoms.exists()


def test_a_choice_for_the_other_sex_is_refused() -> None:
    words = load_words()
    female_only = [
        (c.key, area)
        for c in words.choices
        if c.sexes and "male" not in c.sexes
        for area in c.areas
    ]
    if not female_only:
        pytest.skip("the catalogue has no choice for women only")
    user, _patient = patient_user(sex="male")
    draft = services.preparation_start(by=user, language="da")
    choice, area = female_only[0]
    with refused():
        services.prepared_symptom_add(preparation=draft, by=user, choice=choice, area=area)
    assert not draft.symptoms.exists()


def test_more_symptoms_than_a_visit_can_take_are_refused(
    owner: tuple[User, Patient], draft: Preparation
) -> None:
    user, patient = owner
    pairs = all_offered(patient)
    assert len(pairs) > MAX_SYMPTOMS
    for choice, area in pairs[:MAX_SYMPTOMS]:
        services.prepared_symptom_add(preparation=draft, by=user, choice=choice, area=area)
    choice, area = pairs[MAX_SYMPTOMS]
    with refused():
        services.prepared_symptom_add(preparation=draft, by=user, choice=choice, area=area)
    assert draft.symptoms.count() == MAX_SYMPTOMS


def test_describe_keeps_the_own_words_as_written(
    owner: tuple[User, Patient], draft: Preparation
) -> None:
    user, patient = owner
    symptom = services.prepared_symptom_add(preparation=draft, by=user, **_pick(patient))
    words = "<script>alert(1)</script> كحة مع دم"
    services.prepared_symptom_describe(
        symptom=symptom,
        by=user,
        own_words=f"  {words}  ",
        started="months",
        comes_and_goes=True,
        daily_life="a_lot",
    )
    symptom.refresh_from_db()
    assert symptom.own_words == words
    assert (symptom.started, symptom.comes_and_goes, symptom.daily_life) == (
        "months",
        True,
        "a_lot",
    )


def _pick(patient: Patient) -> dict[str, str]:
    choice, area = offered(patient)
    return {"choice": choice, "area": area}


@pytest.mark.parametrize(
    "change",
    [
        {"started": "yesterday"},
        {"daily_life": "sometimes"},
        {"own_words": "x" * (OWN_WORDS_LENGTH + 1)},
        {"better_or_worse": "x" * (OWN_WORDS_LENGTH + 1)},
    ],
)
def test_a_bad_description_is_refused_and_nothing_changes(
    owner: tuple[User, Patient], draft: Preparation, change: dict[str, str]
) -> None:
    user, patient = owner
    symptom = services.prepared_symptom_add(preparation=draft, by=user, **_pick(patient))
    services.prepared_symptom_describe(symptom=symptom, by=user, own_words="first", started="weeks")
    with refused():
        services.prepared_symptom_describe(symptom=symptom, by=user, **change)  # type: ignore[arg-type]
    symptom.refresh_from_db()
    assert (symptom.own_words, symptom.started, symptom.daily_life) == ("first", "weeks", "")


def test_invisible_words_are_stored_as_nothing(
    owner: tuple[User, Patient], draft: Preparation
) -> None:
    user, patient = owner
    symptom = services.prepared_symptom_add(preparation=draft, by=user, **_pick(patient))
    services.prepared_symptom_describe(symptom=symptom, by=user, own_words="\u200b \u200b")
    symptom.refresh_from_db()
    assert symptom.own_words == ""


def test_diary_keeps_one_entry_per_day(owner: tuple[User, Patient], draft: Preparation) -> None:
    user, patient = owner
    symptom = services.prepared_symptom_add(preparation=draft, by=user, **_pick(patient))
    today = date(2026, 12, 3)
    services.diary_record(symptom=symptom, by=user, day=today, severity=3, today=today)
    services.diary_record(symptom=symptom, by=user, day=today, severity=7, today=today)
    assert list(symptom.diary.values_list("day", "severity")) == [(today, 7)]
    services.diary_forget(symptom=symptom, by=user, day=today)
    assert not symptom.diary.exists()


@pytest.mark.parametrize(
    ("days_ago", "severity"),
    [(-1, 5), (DIARY_DAYS, 5), (0, 11), (0, -1)],
    ids=["future", "too-old", "over-10", "negative"],
)
def test_a_bad_diary_day_is_refused(
    owner: tuple[User, Patient], draft: Preparation, days_ago: int, severity: int
) -> None:
    user, patient = owner
    symptom = services.prepared_symptom_add(preparation=draft, by=user, **_pick(patient))
    today = date(2026, 12, 3)
    with refused():
        services.diary_record(
            symptom=symptom,
            by=user,
            day=today - timedelta(days=days_ago),
            severity=severity,
            today=today,
        )
    assert not DiaryEntry.objects.exists()


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(days_ago=st.integers(min_value=-400, max_value=400), severity=st.integers(-5, 15))
def test_diary_accepts_exactly_the_last_weeks_and_0_to_10(
    owner: tuple[User, Patient], draft: Preparation, days_ago: int, severity: int
) -> None:
    user, patient = owner
    symptom = PreparedSymptom.objects.filter(preparation=draft).first()
    if symptom is None:
        symptom = services.prepared_symptom_add(preparation=draft, by=user, **_pick(patient))
    today = date(2026, 12, 3)
    day = today - timedelta(days=days_ago)
    valid = 0 <= days_ago < DIARY_DAYS and 0 <= severity <= 10
    before = list(DiaryEntry.objects.values_list("day", "severity"))
    try:
        services.diary_record(symptom=symptom, by=user, day=day, severity=severity, today=today)
    except WorkflowError:
        assert not valid
        assert list(DiaryEntry.objects.values_list("day", "severity")) == before
    else:
        assert valid
        assert DiaryEntry.objects.get(symptom=symptom, day=day).severity == severity


def test_a_relative_with_cancer_is_stored_as_family_history_codes(
    owner: tuple[User, Patient], draft: Preparation
) -> None:
    user, _patient = owner
    site = load_words().family_sites[0].key
    factor = services.risk_factor_add(
        preparation=draft,
        by=user,
        kind=RiskKind.FAMILY,
        relation="mother",
        cancer_site=site,
        own_words="Min mor døde af det",
    )
    assert (factor.relation, factor.cancer_site, factor.exposure) == ("mother", site, "")
    again = services.risk_factor_add(
        preparation=draft, by=user, kind=RiskKind.FAMILY, relation="mother", cancer_site=site
    )
    assert again.pk == factor.pk


def test_work_exposure_is_stored_as_the_vocabulary_code(
    owner: tuple[User, Patient], draft: Preparation
) -> None:
    user, _patient = owner
    factor = services.risk_factor_add(
        preparation=draft, by=user, kind=RiskKind.EXPOSURE, exposure="firefighting_smoke", years=20
    )
    assert (factor.exposure, factor.years, factor.relation) == ("firefighting_smoke", 20, "")


@pytest.mark.parametrize(
    "fields",
    [
        {"kind": "family", "relation": "neighbour", "cancer_site": "breast"},
        {"kind": "family", "relation": "mother", "cancer_site": "not-a-site"},
        {"kind": "exposure", "exposure": "glitter"},
        {"kind": "exposure", "exposure": "asbestos", "years": 81},
        {"kind": "hobby"},
    ],
)
def test_a_bad_risk_factor_is_refused(
    draft: Preparation, owner: tuple[User, Patient], fields: dict[str, object]
) -> None:
    with refused():
        services.risk_factor_add(preparation=draft, by=owner[0], **fields)  # type: ignore[arg-type]
    assert not PreparedRiskFactor.objects.exists()


@pytest.mark.parametrize(
    "url",
    ["javascript:alert(1)", "data:text/html,hi", "ftp://example.org/x", "no link", "https://"],
)
def test_only_web_links_are_kept(draft: Preparation, owner: tuple[User, Patient], url: str) -> None:
    with refused():
        services.reading_add(preparation=draft, by=owner[0], source="website", url=url)
    assert not OnlineReading.objects.exists()


def test_a_reading_needs_a_link_or_text(draft: Preparation, owner: tuple[User, Patient]) -> None:
    user = owner[0]
    with refused():
        services.reading_add(preparation=draft, by=user, source="ai", url=" ", text="\u200b")
    reading = services.reading_add(
        preparation=draft, by=user, source="ai", text="I asked if a cough for 3 weeks is cancer"
    )
    assert reading.url == "" and reading.source == "ai"


def test_questions_and_interpreter(draft: Preparation, owner: tuple[User, Patient]) -> None:
    user = owner[0]
    services.preparation_questions(
        preparation=draft,
        by=user,
        questions=["What can it be?", "", "When do I hear?"],
        interpreter_needed=True,
        interpreter_language="fa-af",
    )
    draft.refresh_from_db()
    assert draft.questions == ["What can it be?", "When do I hear?"]
    assert (draft.interpreter_needed, draft.interpreter_language) == (True, "fa-af")
    with refused():
        services.preparation_questions(
            preparation=draft, by=user, questions=["x" * (QUESTION_LENGTH + 1)]
        )
    with refused():
        services.preparation_questions(
            preparation=draft, by=user, questions=[], interpreter_needed=True
        )
    with refused():
        services.preparation_questions(preparation=draft, by=user, questions=["a", "b", "c", "d"])
    draft.refresh_from_db()
    assert draft.questions == ["What can it be?", "When do I hear?"]


def test_send_needs_something_written_and_the_interpreter_answered(
    draft: Preparation, owner: tuple[User, Patient]
) -> None:
    user = owner[0]
    with refused():
        services.preparation_send(preparation=draft, by=user)
    services.preparation_worries(preparation=draft, by=user, worry_words="My father had it")
    with refused():
        services.preparation_send(preparation=draft, by=user)
    draft.refresh_from_db()
    assert draft.state == PreparationState.DRAFT
    services.preparation_questions(
        preparation=draft, by=user, questions=[], interpreter_needed=False
    )
    sent = services.preparation_send(preparation=draft, by=user, idempotency_key="k" * 32)
    assert sent.state == PreparationState.SENT and sent.sent_at is not None
    assert PreparationEvent.objects.filter(preparation=draft, action="send").count() == 1


def test_sending_twice_sends_once_and_a_sent_preparation_is_frozen(
    draft: Preparation, owner: tuple[User, Patient]
) -> None:
    user, patient = owner
    symptom = services.prepared_symptom_add(preparation=draft, by=user, **_pick(patient))
    services.preparation_questions(
        preparation=draft, by=user, questions=["?"], interpreter_needed=False
    )
    key = "a" * 32
    first = services.preparation_send(preparation=draft, by=user, idempotency_key=key)
    again = services.preparation_send(preparation=draft, by=user, idempotency_key=key)
    assert first.pk == again.pk
    assert PreparationEvent.objects.filter(preparation=draft, action="send").count() == 1
    with refused("not_allowed"):
        services.prepared_symptom_describe(symptom=symptom, by=user, own_words="later")
    with refused("not_allowed"):
        services.preparation_send(preparation=draft, by=user, idempotency_key="b" * 32)
    with refused("not_allowed"):
        services.reading_add(preparation=draft, by=user, source="ai", text="x")
    symptom.refresh_from_db()
    assert symptom.own_words == ""
    # The next preparation is a new draft.
    assert services.preparation_start(by=user, language="da").pk != draft.pk


def test_another_patient_cannot_touch_the_draft(draft: Preparation) -> None:
    stranger, _ = patient_user()
    with refused("forbidden"):
        services.preparation_worries(preparation=draft, by=stranger, worry_words="x")
    with refused("forbidden"):
        services.reading_add(preparation=draft, by=stranger, source="ai", text="x")
    draft.refresh_from_db()
    assert draft.worry_words == "" and not draft.readings.exists()
