"""The single-patient engine over the scan's input tables: the oracle of the parity tests.

For every patient listed on the as-of day, the engine's own functions are called one
patient at a time, with the patient's rows as the record would give them to the engine:
the watched signals (`watched_signals`), continuity (`continuity`, clinicians keyed as the
record keys them) and the vulnerability flags (`vulnerability_flags` on a PatientContext).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from opspor.engine.context import ConditionEntry, PatientContext, PatientFacts
from opspor.engine.settings import DEFAULT_SETTINGS
from opspor.engine.signals.continuity import continuity
from opspor.engine.signals.new_symptom import familiar_symptoms
from opspor.engine.signals.pattern_break import pattern_break
from opspor.engine.signals.vulnerability import vulnerability_flags
from opspor.engine.signals.watchlist import age_on, watched_signals
from opspor.population.scan.worklist import worklist_signals


def _rows(data: Path, table: str) -> list[dict[str, Any]]:
    return pq.read_table(data / f"{table}.parquet").to_pylist()


def _listed(p: dict[str, Any], as_of: date) -> bool:
    return (
        p["registered_from"] <= as_of
        and p["birth_date"] <= as_of
        and (p["registered_to"] is None or p["registered_to"] >= as_of)
        and (p["died_on"] is None or p["died_on"] > as_of)
    )


def engine_rows(data: Path, as_of: date) -> dict[int, dict[str, Any]]:
    """Every listed patient's figures and signals by the engine, by patient id."""
    settings = DEFAULT_SETTINGS
    contacts: dict[int, list[tuple[date, int | None]]] = defaultdict(list)
    for c in _rows(data, "contacts"):
        if c["contact_date"] <= as_of:
            contacts[c["patient_id"]].append((c["contact_date"], c["clinician_id"]))
    consultations: dict[int, dict[str, list[date]]] = defaultdict(lambda: defaultdict(list))
    for s in _rows(data, "symptoms"):
        consultations[s["patient_id"]][s["code"]].append(s["recorded_date"])
    conditions: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for k in _rows(data, "conditions"):
        if k["onset"] is None or k["onset"] <= as_of:
            conditions[k["patient_id"]].append(k)
    medicines: dict[int, list[str]] = defaultdict(list)
    for m in _rows(data, "medications"):
        if m["start"] <= as_of and (m["stop"] is None or m["stop"] >= as_of):
            medicines[m["patient_id"]].append(m["atc"])

    out: dict[int, dict[str, Any]] = {}
    for p in _rows(data, "patients"):
        if not _listed(p, as_of):
            continue
        pid = p["patient_id"]
        mine = contacts.get(pid, [])
        days = [d for d, _ in mine]
        chronic = [(k["system"], k["code"]) for k in conditions.get(pid, []) if k["chronic"]]
        familiar = familiar_symptoms(chronic=chronic, medicines=medicines.get(pid, []))
        found = watched_signals(
            as_of=as_of,
            birth_date=p["birth_date"],
            sex=p["sex"],
            registered_from=p["registered_from"],
            contact_dates=days,
            consultations=consultations.get(pid, {}),
            familiar=familiar,
            settings=settings,
        )
        pb = pattern_break(
            contact_dates=days,
            as_of=as_of,
            age=age_on(p["birth_date"], as_of),
            sex=p["sex"],
            registered_from=p["registered_from"],
            settings=settings,
        )
        spread = continuity(
            contacts=[(d, None if who is None else f"clinician-{who}") for d, who in mine],
            as_of=as_of,
            current_clinician=None,
            settings=settings,
        )
        context = PatientContext(
            as_of=as_of,
            patient=PatientFacts(
                birth_date=p["birth_date"],
                sex=p["sex"],
                lives_alone=p["lives_alone"],
                interpreter_needed=p["interpreter_needed"],
                language=p["language"],
                registered_from=p["registered_from"],
            ),
            conditions=tuple(
                ConditionEntry(code=k["code"], system=k["system"], chronic=k["chronic"])
                for k in conditions.get(pid, [])
            ),
        )
        out[pid] = {
            "practice_id": p["practice_id"],
            "signals": found,
            "pattern_break": pb,
            "continuity": spread,
            "flags": vulnerability_flags(
                context, long_absence="long_absence" in found, settings=settings
            ),
            "last_contact": max(days) if days else None,
        }
    return out


def _close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return a == b


def mismatches(
    result: dict[int, dict[str, Any]], engine: dict[int, dict[str, Any]]
) -> list[tuple[int, str, Any, Any]]:
    """Every difference between a scan's rows (``--all-patients``) and the engine's, as
    (patient, what, scan, engine). Counts, days and flags must be equal; the pattern
    break's expectation and p-value too, to the bit (the same operations in the same
    order, with the C library's exp and log)."""
    found: list[tuple[int, str, Any, Any]] = []
    for pid in sorted(set(result) | set(engine)):
        if pid not in result or pid not in engine:
            found.append((pid, "listed", pid in result, pid in engine))
            continue
        r, e = result[pid], engine[pid]
        pb, spread = e["pattern_break"], e["continuity"]
        pairs: list[tuple[str, Any, Any]] = [
            ("practice_id", r["practice_id"], e["practice_id"]),
            ("signals", worklist_signals(r), e["signals"]),
            ("pattern_break_count", r["pattern_break_count"], pb.recent_count),
            ("pattern_break_baseline", r["pattern_break_baseline"], pb.baseline_count),
            ("pattern_break_baseline_days", r["pattern_break_baseline_days"], pb.baseline_days),
            ("pattern_break_expected", r["pattern_break_expected"], pb.expected),
            ("vulnerability_flags", r["vulnerability_flags"], e["flags"]),
            ("last_contact_date", r["last_contact_date"], e["last_contact"]),
        ]
        if spread is None:
            pairs += [(name, r[name], None) for name in ("upc", "coc", "secon")]
        else:
            pairs += [
                ("n_contacts_2y", r["n_contacts_2y"], spread.n_contacts),
                ("upc", r["upc"], spread.upc),
                ("coc", r["coc"], spread.coc),
                ("secon", r["secon"], spread.secon),
            ]
        found += [(pid, what, a, b) for what, a, b in pairs if a != b]
        if not _close(r["pattern_break_p"], pb.p_value):
            found.append((pid, "pattern_break_p", r["pattern_break_p"], pb.p_value))
    return found
