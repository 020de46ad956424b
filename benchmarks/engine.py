"""Assessments per second on one core, for a realistic context.

The context: three years of contacts (about 30), 8 symptoms, 20 lab results, 5 chronic
conditions and a few medicines. The baseline, run in the same process, is parsing and
validating the same context (`PatientContext.model_validate_json`): the ratio says how much
the assessment costs on top of reading its input.

    .venv/bin/python benchmarks/engine.py [--seconds 3] [--ruleset dk-pakkeforloeb]
        [--context dense|typical]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import time
from collections.abc import Callable
from datetime import date, timedelta

from opspor.engine.assess import assess
from opspor.engine.context import PatientContext
from opspor.engine.rules.loader import RULESETS, load_ruleset

AS_OF = date(2026, 11, 20)


def realistic_context() -> dict[str, object]:
    def ago(days: int) -> str:
        return (AS_OF - timedelta(days=days)).isoformat()

    contacts = [
        {"date": ago(d), "clinician": f"clinician-{d % 3}", "kind": "consultation"}
        for d in range(3, 3 * 365, 37)
    ]
    symptoms = [
        {"code": code, "onset": ago(10 + 7 * i), "persistent": i % 2 == 0}
        for i, code in enumerate(
            [
                "cough",
                "fatigue",
                "weight_loss",
                "appetite_loss",
                "chest_pain",
                "shortness_of_breath",
                "abdominal_pain",
                "night_sweats",
            ]
        )
    ]
    labs = [
        {"code": code, "value": value, "unit": unit, "date": ago(days)}
        for days in (5, 200)
        for code, value, unit in [
            ("haemoglobin", 7.6, "mmol/L"),
            ("platelets", 460, "10^9/L"),
            ("leukocytes", 9.8, "10^9/L"),
            ("crp", 32, "mg/L"),
            ("calcium", 2.4, "mmol/L"),
            ("alkaline_phosphatase", 141, "U/L"),
            ("alat", 41, "U/L"),
            ("creatinine", 84, "umol/L"),
            ("albumin", 33, "g/L"),
            ("psa", 2.1, "ug/L"),
        ]
    ]
    return {
        "as_of": AS_OF.isoformat(),
        "patient": {
            "birth_date": "1962-04-02",
            "sex": "male",
            "smoking": "current",
            "lives_alone": True,
            "registered_from": "2001-01-01",
            "occupational_exposures": ["asbestos"],
            "family_history": [{"relation": "father", "cancer_site": "lung"}],
        },
        "current_clinician": "clinician-1",
        "contacts": contacts,
        "symptoms": symptoms,
        "labs": labs,
        "conditions": [
            {"code": code, "system": "icd10", "chronic": True}
            for code in ("J44", "I10", "E11", "I50", "M15")
        ],
        "medications": [
            {"atc": "R03BB04", "start": ago(900)},
            {"atc": "A10BA02", "start": ago(800)},
            {"atc": "J01CA04", "start": ago(30)},
        ],
    }


def typical_context() -> dict[str, object]:
    """A patient as most consultations see them: a few contacts, one or two symptoms, a
    handful of blood tests, one chronic condition."""
    context = realistic_context()
    context["contacts"] = context["contacts"][::3]  # type: ignore[index]
    context["symptoms"] = context["symptoms"][:2]  # type: ignore[index]
    context["labs"] = context["labs"][:6]  # type: ignore[index]
    context["conditions"] = context["conditions"][:1]  # type: ignore[index]
    context["medications"] = context["medications"][:1]  # type: ignore[index]
    return context


def rates(fns: dict[str, Callable[[], object]], seconds: float) -> dict[str, float]:
    """Calls per second of each function, measured in alternating rounds of about 0.2 s so
    that a machine that slows down or speeds up during the run shifts all of them alike and
    the ratios stay honest."""
    for fn in fns.values():
        fn()  # warm caches: vocabulary and rule sets load once per process
    calls = dict.fromkeys(fns, 0)
    spent = dict.fromkeys(fns, 0.0)
    while min(spent.values()) < seconds:
        for name, fn in fns.items():
            started = time.perf_counter()
            n = 0
            while time.perf_counter() - started < 0.2:
                for _ in range(20):
                    fn()
                n += 20
            spent[name] += time.perf_counter() - started
            calls[name] += n
    return {name: calls[name] / spent[name] for name in fns}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--ruleset", default="dk-pakkeforloeb", choices=RULESETS)
    parser.add_argument(
        "--context",
        default="dense",
        choices=("dense", "typical"),
        help="dense: 30 contacts, 8 symptoms, 20 labs; typical: 10, 2 and 6",
    )
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    chosen = realistic_context() if args.context == "dense" else typical_context()
    raw = json.dumps(chosen)
    context = PatientContext.model_validate_json(raw)
    n_findings = len(assess(context, ruleset=args.ruleset).findings)
    # The same rule set with every rule run, as before the rules were indexed by the inputs
    # they need: what the index saves.
    rules = load_ruleset(args.ruleset)
    unindexed = dataclasses.replace(rules)
    unindexed.__dict__["gp_index"] = tuple((rule, None) for rule in rules.for_gp)
    measured = rates(
        {
            "parse": lambda: PatientContext.model_validate_json(raw),
            "only": lambda: assess(context, ruleset=args.ruleset),
            "every": lambda: assess(context, ruleset=unindexed),
            "both": lambda: assess(
                PatientContext.model_validate_json(raw), ruleset=args.ruleset
            ).model_dump_json(),
        },
        args.seconds,
    )
    parse, only, every, both = (measured[k] for k in ("parse", "only", "every", "both"))
    print(
        f"machine: {platform.machine()}, {platform.processor() or 'cpu'}, "
        f"Python {platform.python_version()}, one core"
    )
    print(
        f"context: {len(context.contacts)} contacts, {len(context.symptoms)} symptoms, "
        f"{len(context.labs)} labs, {len(context.conditions)} conditions; "
        f"ruleset {args.ruleset}: {n_findings} findings"
    )
    print(f"baseline, parse + validate the context: {parse:10,.0f} per second")
    print(f"assess a parsed context:                {only:10,.0f} per second")
    print(f"assess, every rule run (no index):      {every:10,.0f} per second")
    print(f"parse, assess, serialise (CLI / API):   {both:10,.0f} per second")
    print(
        f"ratio assess / parse: {parse / only:.2f}   full / parse: {parse / both:.2f}   "
        f"no index / index: {only / every:.2f}"
    )


if __name__ == "__main__":
    main()
