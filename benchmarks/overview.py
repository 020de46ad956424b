"""Server time of the GP's patient overview for a patient with ten years of history.

A throwaway SQLite database under /tmp holds one practice, its GP and one patient with ten
years of record: about 80 contacts with three clinicians, symptoms with the patient's own
words, 30 lab results, 6 conditions, medicines, an exposure and family history. The overview
(`/patients/<id>/overview/`) is requested through Django's test Client, as a logged-in GP,
and each request is timed from the call to the response: URL routing, middleware, the access
check and its log row, building the engine's context, the assessment and the template.

The baseline, in the same process and against the same patient, is the plain record page
(`/patients/<id>/`), which reads the same rows without assessing them: the ratio is what the
engine and the richer page cost on top of reading the record. The issue's target is a p95
under 150 ms for the overview.

    .venv/bin/python benchmarks/overview.py [--requests 200] [--ruleset dk-pakkeforloeb]
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
from datetime import UTC, date, datetime, timedelta
from typing import Any

from pages import cpu_model, django_setup, percentile, ratio, summary, time_page


def _ten_year_patient() -> tuple[Any, int]:
    """The GP user and the id of a patient with ten years of history (the return values)."""
    from tests import factories

    from opspor.records.models import (
        ClinicalFinding,
        Condition,
        FamilyHistory,
        LabResult,
        Medication,
        OccupationalExposure,
        Symptom,
    )

    today = date.today()
    gp = factories.gp()
    colleagues = [factories.gp(gp.practice, with_user=False) for _ in range(2)]
    clinicians = [gp, *colleagues]
    patient = factories.patient(
        gp.practice,
        name="Benchmark Patient",
        birth_date=date(today.year - 67, 3, 4),
        sex="male",
        smoking="former",
        lives_alone=True,
        own_gp=gp,
        registered_from=today - timedelta(days=12 * 365),
    )
    # About 80 contacts over ten years, denser in the last three months (a pattern break).
    days = [*range(3650, 120, -47), 85, 70, 52, 40, 31, 20, 12, 5, 2]
    contacts = [
        factories.contact(
            patient,
            on=today - timedelta(days=d),
            clinician=clinicians[i % 3],
            kind=("consultation", "phone", "email")[i % 3],
            reason_codes=["A04"],
            note="Kontrol.",
        )
        for i, d in enumerate(days)
    ]
    symptoms = [
        ("fatigue", 200, "Jeg er flad hele tiden."),
        ("weight_loss", 150, "Bukserne er blevet for store."),
        ("cough", 70, "Jeg hoster om morgenen."),
        ("shortness_of_breath", 60, ""),
        ("abdominal_pain", 40, "Det trykker i maven."),
        ("appetite_loss", 30, ""),
        ("back_pain", 900, "Ondt i ryggen efter løft."),
        ("chest_pain", 1500, ""),
    ]
    for i, (code, onset, words) in enumerate(symptoms):
        Symptom.objects.create(
            patient=patient,
            contact=contacts[-1 - i],
            code=code,
            onset=today - timedelta(days=onset),
            recorded_on=today - timedelta(days=min(onset, 2 + i)),
            persistent=i % 2 == 0,
            patient_words=words,
        )
    labs = [("haemoglobin", 7.4, "mmol/L"), ("crp", 18.0, "mg/L"), ("platelets", 460, "10^9/L")]
    for i in range(30):
        code, value, unit = labs[i % 3]
        LabResult.objects.create(
            patient=patient,
            code=code,
            value=value,
            unit=unit,
            taken_on=today - timedelta(days=5 + 120 * (i // 3)),
        )
    for code, chronic in (("J44", True), ("E11", True), ("I10", True), ("K21", True)):
        Condition.objects.create(patient=patient, code=code, system="icd10", chronic=chronic)
    for code in ("S93", "R74"):
        Condition.objects.create(patient=patient, code=code, system="icpc2")
    for atc in ("A10BA02", "C09AA05", "R03AK06", "N02BE01"):
        Medication.objects.create(
            patient=patient, atc=atc, name=atc, start=today - timedelta(days=2000)
        )
    ClinicalFinding.objects.create(patient=patient, code="anaemia", found_on=today)
    OccupationalExposure.objects.create(patient=patient, code="asbestos", years=12)
    FamilyHistory.objects.create(patient=patient, relation="brother", cancer_site="lung")
    return gp.user, patient.pk


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--ruleset", default="dk-pakkeforloeb")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="opspor-bench-overview-", dir="/tmp") as var_dir:
        django_setup(var_dir)
        from django.test import Client
        from django.urls import reverse

        from opspor.records.models import Contact, LabResult, Symptom

        user, patient_id = _ten_year_patient()
        client = Client(headers={"accept-language": "da"})
        client.force_login(user)
        overview = reverse("records:patient_overview", args=[patient_id])
        overview += f"?ruleset={args.ruleset}"
        record = reverse("records:patient_detail", args=[patient_id])
        # Warm up: the rule set, the vocabulary and the templates load on first use.
        time_page(client, overview, 10)
        page = client.get(overview).content.decode()
        # The figures mean something only if the page shows what a GP would see for
        # this patient: signals from the history and at least one criterion met.
        assert 'data-kind="pattern_break"' in page, "no pattern break shown"
        assert 'data-testid="criterion"' in page, "no criterion shown"
        shown = page.count('data-testid="criterion"')
        time_page(client, record, 10)
        # Interleaved rounds, so that a slow spell of the machine hits both alike.
        over: list[float] = []
        base: list[float] = []
        for _ in range(4):
            over += time_page(client, overview, args.requests // 4)
            base += time_page(client, record, args.requests // 4)

        first = Contact.objects.filter(patient_id=patient_id).order_by("at").first()
        assert first is not None
        years = (datetime.now(UTC) - first.at).days / 365.25
        print(f"machine: {os.cpu_count()} cores, {cpu_model()}, Python {platform.python_version()}")
        print(
            f"patient: {years:.1f} years of history, "
            f"{Contact.objects.filter(patient_id=patient_id).count()} contacts, "
            f"{Symptom.objects.filter(patient_id=patient_id).count()} symptoms, "
            f"{LabResult.objects.filter(patient_id=patient_id).count()} lab results"
        )
        print(
            f"requests: {len(over)} each, rule set {args.ruleset} ({shown} criteria shown), "
            "SQLite, DEBUG off"
        )
        for name, times in (("overview", over), ("record page (baseline)", base)):
            print(summary(name, times, 24))
        print(f"ratio overview / record page: {ratio(over, base)}")
        target = "met" if percentile(over, 95) < 150 else "NOT met"
        print(f"target p95 < 150 ms: {target}")


if __name__ == "__main__":
    main()
