"""Server time and query count of the practice's worklist (the GP's start page) for a
practice with 10,000 patients and 2,000 open safety-net episodes.

A throwaway SQLite database under /tmp holds two practices: a big one (10,000 patients,
2,000 open episodes) and a small one (1,000 patients, 200 open episodes), built alike. Each
open episode has an investigation in one of the states a busy practice has: ordered and
not yet due, ordered and past its expected date, resulted and not seen, seen and not told,
told, cancelled; one in five episodes has its follow-up date passed and one in twenty its
end date. One in ten patients with an episode has a referral: sent, accepted with the
first contact overdue, or rejected and not acknowledged. The page is requested through
Django's test Client as a logged-in GP of the practice, and each request is timed from the
call to the response: routing, middleware, the access check, the worklist (built whole and
sorted across the practice, then paged), the bulk read log and the template.

Three figures answer the issue's demand:
- the number of queries for the worklist of the small practice and of the big one
  (constant: the page must not query per item);
- p50/p95 server time for the big practice (target p95 < 200 ms);
- the ratio against the same practice's patient list (`/patients/`, 10,000 patients, paged)
  measured in the same process as the baseline.

    .venv/bin/python benchmarks/worklist.py [--requests 200] [--patients 10000] [--episodes 2000]
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


def _practice(n_patients: int, n_episodes: int, *, first_year: int) -> Any:
    """A practice with `n_patients` patients, three GPs and `n_episodes` open episodes;
    returns the GP who logs in. Patients are born from `first_year` on, a thousand a birth
    date, so CPR numbers stay unique."""
    from django.utils import timezone
    from tests import factories

    from opspor.casework.clock import DEFAULT_CALENDAR
    from opspor.records.models import Patient
    from opspor.referrals.models import Referral
    from opspor.referrals.workflow import ReferralState
    from opspor.safetynet.models import Investigation, SafetyNetEpisode
    from opspor.safetynet.workflow import EpisodeState, InvestigationState

    unit = factories.unit()
    practice = factories.practice(diagnostic_unit=unit)
    gps = [factories.gp(practice).user for _ in range(3)]
    born = [date(first_year + i, 1 + i % 12, 1 + i % 28) for i in range(n_patients // 1000 + 1)]
    patients = Patient.objects.bulk_create(
        (
            Patient(
                cpr=factories.cpr_for(born[i // 1000], "female", i % 1000),
                name=f"Patient {i:05d}",
                birth_date=born[i // 1000],
                sex="female",
                practice=practice,
                registered_from=date(2010, 1, 1),
                is_fictional=True,
            )
            for i in range(n_patients)
        ),
        batch_size=2000,
    )
    now = timezone.now()
    today = timezone.localdate(now)
    step = max(n_patients // n_episodes, 1)
    with_episode = patients[::step][:n_episodes]
    episodes = []
    for i, patient in enumerate(with_episode):
        follow_up = today - timedelta(days=1 + i % 20) if i % 5 == 0 else today + timedelta(14)
        ends = today - timedelta(days=1) if i % 20 == 0 else today + timedelta(days=42)
        episodes.append(
            SafetyNetEpisode(
                patient=patient,
                practice=practice,
                owner=gps[i % 3],
                opened_by=gps[i % 3],
                opened_at=now - timedelta(days=30),
                reason="pending_investigations",
                state=EpisodeState.INVESTIGATING,
                follow_up_on=min(follow_up, ends),
                ends_on=ends,
                advice="Kom igen, hvis det bliver værre.",
            )
        )
    SafetyNetEpisode.objects.bulk_create(episodes, batch_size=2000)
    states = [
        ("ordered", {}),
        ("ordered_late", {}),
        ("resulted", {"resulted_at": now - timedelta(days=2), "result_text": "Normal"}),
        ("seen", {"resulted_at": now - timedelta(days=3), "seen_at": now - timedelta(days=1)}),
        ("told", {"resulted_at": now - timedelta(days=5), "told_how": "phone"}),
        ("cancelled", {"cancel_reason": "Patienten ønskede det ikke"}),
    ]
    investigations = []
    for i, episode in enumerate(episodes):
        name, fields = states[i % len(states)]
        state = InvestigationState.ORDERED if name == "ordered_late" else name
        expected = today - timedelta(days=3) if name == "ordered_late" else today + timedelta(7)
        investigations.append(
            Investigation(
                episode=episode,
                kind="lab" if i % 2 else "chest_xray",
                code="haemoglobin" if i % 2 else "",
                state=state,
                ordered_by=episode.owner,
                ordered_at=now - timedelta(days=20),
                expected_by=expected,
                **fields,
            )
        )
    Investigation.objects.bulk_create(investigations, batch_size=2000)
    referrals = []
    for i, patient in enumerate(with_episode[::10]):
        sent = now - timedelta(days=5)
        kind = i % 3
        referrals.append(
            Referral(
                patient=patient,
                practice=practice,
                unit=unit,
                requester=gps[i % 3],
                pathway="dpf",
                clinical_question="Træthed og vægttab, normale blodprøver.",
                state=[ReferralState.SENT, ReferralState.ACCEPTED, ReferralState.REJECTED][kind],
                sent_at=sent,
                triage_due_at=DEFAULT_CALENDAR.add_working_days(sent, 1),
                decided_at=sent + timedelta(days=1) if kind else None,
                first_contact_due_at=DEFAULT_CALENDAR.add_calendar_hours(sent, 48)
                if kind == 1
                else None,
                reason_category="criteria_not_met" if kind == 2 else "",
                reason_text="Kriterierne er ikke opfyldt" if kind == 2 else "",
                alternative_plan_code="repeat_blood_tests" if kind == 2 else "",
            )
        )
    Referral.objects.bulk_create(referrals, batch_size=2000)
    return gps[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--episodes", type=int, default=2_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="opspor-bench-worklist-", dir="/tmp") as var_dir:
        django_setup(var_dir)
        from django.test import Client
        from django.urls import reverse

        from opspor.safetynet.worklist import practice_worklist

        started = time.perf_counter()
        small_gp = _practice(args.patients // 10, args.episodes // 10, first_year=1930)
        big_gp = _practice(args.patients, args.episodes, first_year=1935)
        built = time.perf_counter() - started
        worklist, patients = reverse("safetynet:worklist"), reverse("records:practice_patients")
        small = Client(headers={"accept-language": "da"})
        small.force_login(small_gp)
        big = Client(headers={"accept-language": "da"})
        big.force_login(big_gp)
        time_page(small, worklist, 5)  # warm up templates and translations
        time_page(big, worklist, 5)
        time_page(big, patients, 5)
        page = big.get(worklist).content.decode()
        # The figure means something only if the page shows the practice's items.
        assert 'data-testid="worklist-item"' in page, "no worklist items shown"
        n_small = len(practice_worklist(user=small_gp))
        n_big = len(practice_worklist(user=big_gp))
        q_small, q_big = count_queries(small, worklist), count_queries(big, worklist)
        q_last = count_queries(big, worklist + f"?page={(n_big + 49) // 50}")
        base: list[float] = []
        times: list[float] = []
        for _ in range(4):  # interleaved, so a slow spell hits both alike
            base += time_page(big, patients, args.requests // 4)
            times += time_page(big, worklist, args.requests // 4)
        print(f"machine: {os.cpu_count()} cores, {cpu_model()}, Python {platform.python_version()}")
        print(
            f"data: {args.patients:,} patients with {args.episodes:,} open episodes, and "
            f"{args.patients // 10:,} with {args.episodes // 10:,}; built in {built:.1f} s"
        )
        print(f"requests: {len(times)} each, SQLite, DEBUG off")
        print(f"worklist items: {n_big:,} (big practice), {n_small} (small practice)")
        print(
            f"queries per worklist request: {q_small} with {n_small} items, {q_big} with "
            f"{n_big:,} items, {q_last} on the last page"
        )
        print(f"rows shown per page: {page.count('data-testid="worklist-item"')}")
        for name, sample in (
            (f"worklist, {n_big:,} items", times),
            (f"patient list, {args.patients:,} (baseline)", base),
        ):
            print(summary(name, sample, 34))
        print(f"ratio worklist / patient list: {ratio(times, base)}")
        print(f"constant queries: {'yes' if q_small == q_big == q_last else 'NO'}")
        print(f"target p95 < 200 ms: {'met' if percentile(times, 95) < 200 else 'NOT met'}")


if __name__ == "__main__":
    main()
