"""Server time and query count of a diagnostic unit's triage inbox with 10,000 open
referrals.

A throwaway SQLite database under /tmp holds two diagnostic units, each with twenty
practices in its catchment and one open referral per patient (10,000 for one unit, 100 for
the baseline unit), in the states a busy unit has open:
most sent and waiting for triage (a share of them overdue or incomplete), the rest accepted
and waiting for the first contact. The inbox is requested through Django's test Client as a
logged-in doctor of the unit, and each request is timed from the call to the response:
routing, middleware, the access check, the queries and the template.

Two figures answer the issue's two demands:
- the number of queries for the inbox with 100 open referrals and with 10,000 (constant:
  the page must not query per row);
- p50/p95 server time with 10,000 open referrals (target p95 < 200 ms), against the same
  inbox with 100 open referrals measured in the same process as the baseline, so the ratio
  shows what the unit's volume costs.

    .venv/bin/python benchmarks/inbox.py [--requests 200] [--referrals 10000]
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from datetime import date, timedelta
from typing import Any

from pages import count_queries, cpu_model, django_setup, percentile, ratio, summary, time_page

INBOX_URL_NAME = "referrals:unit_inbox"


def _unit_with_open_referrals(count: int, *, first_year: int) -> tuple[Any, Any]:
    """A unit, a doctor of it, and `count` open referrals from its catchment; the patients
    are born from `first_year` on, a thousand a birth date, so CPR numbers stay unique."""
    from django.utils import timezone
    from tests import factories

    from opspor.casework.clock import DEFAULT_CALENDAR
    from opspor.records.models import Patient
    from opspor.referrals.models import Referral
    from opspor.referrals.workflow import ReferralState

    unit = factories.unit()
    doctor = factories.unit_doctor(unit)
    practices = [factories.practice(diagnostic_unit=unit) for _ in range(20)]
    gps = [factories.gp(p) for p in practices]
    born = [date(first_year + i, 1 + i % 12, 1 + i % 28) for i in range(count // 1000 + 1)]
    patients = Patient.objects.bulk_create(
        Patient(
            cpr=factories.cpr_for(born[i // 1000], "female", i % 1000),
            name=f"Patient {i}",
            birth_date=born[i // 1000],
            sex="female",
            practice=practices[i % 20],
            registered_from=date(2010, 1, 1),
            is_fictional=True,
        )
        for i in range(count)
    )
    now = timezone.now()
    referrals = []
    for i, patient in enumerate(patients):
        # Spread over the last two weeks, so some are overdue and the order matters.
        sent = now - timedelta(minutes=2 * i)
        accepted = i % 5 == 4
        referrals.append(
            Referral(
                patient=patient,
                practice=patient.practice,
                unit=unit,
                requester=gps[i % 20].user,
                pathway="dpf",
                clinical_question="Træthed og vægttab, normale blodprøver.",
                state=ReferralState.ACCEPTED if accepted else ReferralState.SENT,
                sent_at=sent,
                triage_due_at=DEFAULT_CALENDAR.add_working_days(sent, 1),
                completeness=[] if i % 3 else [{"item": "informed_about_kraeft"}],
                incomplete_reason="" if i % 3 else "Haster",
                decided_by=doctor.user if accepted else None,
                decided_at=sent if accepted else None,
                first_contact_due_at=DEFAULT_CALENDAR.add_calendar_hours(sent, 48)
                if accepted
                else None,
            )
        )
    Referral.objects.bulk_create(referrals, batch_size=2000)
    return unit, doctor.user


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--referrals", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="opspor-bench-inbox-", dir="/tmp") as var_dir:
        django_setup(var_dir)
        from django.test import Client
        from django.urls import reverse

        from opspor.referrals.models import Referral

        started = time.perf_counter()
        small_unit, small_doctor = _unit_with_open_referrals(100, first_year=1930)
        big_unit, big_doctor = _unit_with_open_referrals(args.referrals, first_year=1935)
        built = time.perf_counter() - started
        url = reverse(INBOX_URL_NAME)
        small = Client(headers={"accept-language": "da"})
        small.force_login(small_doctor)
        big = Client(headers={"accept-language": "da"})
        big.force_login(big_doctor)
        time_page(small, url, 5)  # warm up templates and translations
        time_page(big, url, 5)
        page = big.get(url).content.decode()
        # The figure means something only if the page shows the unit's open referrals.
        assert 'data-testid="inbox-row"' in page, "no inbox rows shown"
        q_small, q_big = count_queries(small, url), count_queries(big, url)
        base: list[float] = []
        inbox: list[float] = []
        for _ in range(4):  # interleaved, so a slow spell hits both alike
            base += time_page(small, url, args.requests // 4)
            inbox += time_page(big, url, args.requests // 4)
        open_big = Referral.objects.filter(unit=big_unit).count()
        open_small = Referral.objects.filter(unit=small_unit).count()
        print(f"machine: {os.cpu_count()} cores, {cpu_model()}, Python {platform.python_version()}")
        print(f"data: {open_big:,} and {open_small} open referrals, built in {built:.1f} s")
        print(f"requests: {len(inbox)} each, SQLite, DEBUG off")
        print(f"queries per inbox request: {q_small} with {open_small}, {q_big} with {open_big:,}")
        print(f"rows shown with {open_big:,}: {page.count('data-testid="inbox-row"')}")
        for name, times in (
            (f"inbox, {open_big:,} open", inbox),
            (f"inbox, {open_small} open (baseline)", base),
        ):
            print(summary(name, times, 30))
        print(f"ratio {open_big:,} / {open_small}: {ratio(inbox, base)}")
        print(f"constant queries: {'yes' if q_small == q_big else 'NO'}")
        print(f"target p95 < 200 ms: {'met' if percentile(inbox, 95) < 200 else 'NOT met'}")


if __name__ == "__main__":
    main()
