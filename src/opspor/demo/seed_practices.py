"""The seeded region's practices and clinicians, with the demo GPs and unit doctors.

The generated practices get provider numbers of their own block, fictional phone numbers
and their diagnostic unit; the demo GPs take the place (and fixed names) of generated GPs,
so the demo users are the same for any seed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import pyarrow as pa

from opspor.demo import region
from opspor.demo.seed_insert import BATCH, HistoryInserter
from opspor.demo.stories import Story
from opspor.records.models import Clinician, DiagnosticUnit, Practice, Region


@dataclass
class SeededPractices:
    """The practices and clinicians as inserted, by the generator's ids and by practice."""

    practice_pk: dict[int, int]  # generated practice id -> database id
    clinician_pk: dict[int, int]  # generated clinician id -> database id
    demo_practices: list[Practice]  # in the demo's order (region.demo_practice_order)
    staff: defaultdict[int, list[Clinician]]  # the practice's clinicians, by practice pk
    users: region.DemoUsers


def practices_and_clinicians_insert(
    *,
    practices: pa.Table,
    clinicians: pa.Table,
    region_row: Region,
    units: dict[str, DiagnosticUnit],
    stories: Sequence[Story],
    password: str,
    inserter: HistoryInserter,
) -> SeededPractices:
    """Insert the generated practices and clinicians, the demo users (``stories`` gives
    the story patients' users) and the unit doctors, each row with its history."""
    pr = practices.to_pydict()
    cl = clinicians.to_pydict()
    order = region.demo_practice_order(
        list(zip(pr["practice_id"], pr["n_gps"], pr["diagnostic_unit"], strict=True))
    )
    names = dict(zip(pr["practice_id"], pr["name"], strict=True))
    clinician_names = list(cl["name"])
    chosen_gps: list[tuple[region.DemoGP, int]] = []  # with the row of the clinician
    for spec in region.DEMO_GPS:
        if spec.slot >= len(order):
            continue
        pid = order[spec.slot]
        rows = [
            i
            for i, (p, role) in enumerate(zip(cl["practice_id"], cl["role"], strict=True))
            if p == pid and role == Clinician.Role.GP
        ]
        if spec.index >= len(rows):
            continue
        row = rows[spec.index]
        # The demo GPs keep fixed names so that the demo users stay the same for any seed;
        # a practice named after its GP follows the new name.
        names[pid] = _renamed(names[pid], clinician_names[row], spec.name)
        clinician_names[row] = spec.name
        chosen_gps.append((spec, row))

    new_practices = [
        Practice(
            provider_number=provider_number(pid),
            name=names[pid],
            kind=kind,
            region=region_row,
            municipality=municipality,
            phone=region.fictional_phone(1, pid),
            direct_phone=region.fictional_phone(2, pid),
            on_call_phone=region.PRACTICE_ON_CALL_PHONE,
            diagnostic_unit=units[unit],
        )
        for pid, kind, municipality, unit in zip(
            pr["practice_id"],
            pr["kind"],
            pr["municipality"],
            pr["diagnostic_unit"],
            strict=True,
        )
    ]
    # Their "created" history is written below, once the second contact is known: a
    # seeded practice is created with one rather than changed to have one.
    made = Practice.objects.bulk_create(new_practices, batch_size=BATCH)
    practice_pk = {pid: p.pk for pid, p in zip(pr["practice_id"], made, strict=True)}
    by_pk = {p.pk: p for p in made}
    demo_practices = [by_pk[practice_pk[pid]] for pid in order]

    users = region.demo_users_create(
        gps=[spec for spec, _ in chosen_gps], stories=stories, password=password
    )
    user_of_row = {row: users.by_username[spec.username] for spec, row in chosen_gps}
    new_clinicians = [
        Clinician(name=name, role=role, practice_id=practice_pk[pid], user=user_of_row.get(i))
        for i, (name, role, pid) in enumerate(
            zip(clinician_names, cl["role"], cl["practice_id"], strict=True)
        )
    ]
    made_c = inserter.insert_objects(new_clinicians)
    clinician_pk = {cid: c.pk for cid, c in zip(cl["clinician_id"], made_c, strict=True)}
    staff: defaultdict[int, list[Clinician]] = defaultdict(list)
    for c in made_c:
        staff[c.practice_id].append(c)
    inserter.insert_objects(region.unit_doctors_build(units=units, users=users))
    for practice in made:
        practice.second_contact = region.second_contact(staff[practice.pk])
    Practice.objects.bulk_update(made, ["second_contact"], batch_size=BATCH)
    Practice.history.bulk_history_create(
        made, batch_size=BATCH, default_change_reason=inserter.reason, default_date=inserter.when
    )
    return SeededPractices(
        practice_pk=practice_pk,
        clinician_pk=clinician_pk,
        demo_practices=demo_practices,
        staff=staff,
        users=users,
    )


def provider_number(practice_id: int) -> str:
    # Six digits like a real ydernummer, in a block of its own.
    return f"{900_000 + practice_id:06d}"


def _renamed(practice_name: str, old: str, new: str) -> str:
    if old in practice_name:
        return practice_name.replace(old, new)
    old_last, new_last = old.split()[-1], new.split()[-1]
    words = practice_name.split()
    if old_last in words:
        words[words.index(old_last)] = new_last
    return " ".join(words)
