"""The FHIR import of a Bulk Data export, in resources per second, and its peak memory.

A throwaway SQLite database under /tmp holds one practice. Generated: a Patient NDJSON file
of `--patients` patients (CPR numbers, the practice's ydernummer) and an Observation NDJSON
file of `--observations` lines, one patient's observations after another: haemoglobin
results coded in NPU, symptoms coded in SNOMED CT and one vital sign in ten that Opspor does
not map (kept as received). Timed: `import_paths` of both files as `opspor import-fhir`
runs it, then, as the baseline, FHIR R4B validation alone of the same observation lines
(json.loads and `model_validate`), which the import cannot go below. Peak memory is the
process's maximum resident set size after the import.

    .venv/bin/python benchmarks/fhir_import.py [--observations 200000] [--patients 2000]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from pages import cpu_model, django_setup


def write_files(folder: Path, n_patients: int, n_observations: int, ydernummer: str) -> None:
    from opspor.interop import codings as cs

    start = date(1940, 1, 1)
    with (folder / "Patient.ndjson").open("w", encoding="utf-8") as f:
        for i in range(n_patients):
            # Born in the 1900s: the serial's first digit (0-3) means that century.
            born = start + timedelta(days=(i * 37) % 21_900)
            digits = f"{born:%d%m%y}{(i % 2000) * 2:04d}"
            f.write(
                json.dumps(
                    {
                        "resourceType": "Patient",
                        "id": f"p{i}",
                        "identifier": [{"system": cs.CPR, "value": digits}],
                        "name": [{"family": "Jensen", "given": ["Test"]}],
                        "gender": "female",
                        "birthDate": born.isoformat(),
                        "generalPractitioner": [
                            {"identifier": {"system": cs.YDERNUMMER, "value": ydernummer}}
                        ],
                    }
                )
                + "\n"
            )
    per_patient = max(1, n_observations // n_patients)
    with (folder / "Observation.ndjson").open("w", encoding="utf-8") as f:
        for i in range(n_observations):
            day = (date(2020, 1, 1) + timedelta(days=i % 1500)).isoformat()
            res: dict = {
                "resourceType": "Observation",
                "id": f"o{i}",
                "status": "final",
                "subject": {"reference": f"Patient/p{min(i // per_patient, n_patients - 1)}"},
                "effectiveDateTime": day,
            }
            if i % 10 == 9:
                res["code"] = {"coding": [{"system": cs.LOINC, "code": "8867-4"}]}
                res["valueQuantity"] = {"value": 60 + i % 40, "unit": "/min"}
            elif i % 10 >= 7:
                res["code"] = {"coding": [{"system": cs.SNOMED_CT, "code": "66857006"}]}
            else:
                res["code"] = {"coding": [{"system": cs.NPU, "code": "NPU02319"}]}
                res["valueQuantity"] = {"value": 6 + (i % 40) / 10, "unit": "mmol/L"}
                res["referenceRange"] = [{"low": {"value": 7.3}, "high": {"value": 9.5}}]
            f.write(json.dumps(res) + "\n")


def validation_only(path: Path) -> float:
    from fhir.resources.R4B import get_fhir_model_class

    model = get_fhir_model_class("Observation")
    start = time.perf_counter()
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            model.model_validate(json.loads(line))
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--observations", type=int, default=200_000)
    parser.add_argument("--patients", type=int, default=2_000)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    with tempfile.TemporaryDirectory(prefix="opspor-fhir-bench-") as var_dir:
        django_setup(var_dir)
        from tests import factories

        from opspor.interop.importing import import_paths
        from opspor.records.models import LabResult, Patient, Symptom

        practice = factories.practice()
        folder = Path(var_dir, "export")
        folder.mkdir()
        write_files(folder, args.patients, args.observations, practice.provider_number)
        size = sum(p.stat().st_size for p in folder.iterdir())

        start = time.perf_counter()
        report = import_paths([folder])
        took = time.perf_counter() - start
        peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        assert report.accepted, report.as_dict()
        observations = report.files[-1]
        baseline = validation_only(folder / "Observation.ndjson")

        print(
            f"machine: {os.cpu_count()} cores, {cpu_model()}, Python {platform.python_version()}"
            ", pinned to one core; SQLite, DEBUG off"
        )
        print(
            f"input: {args.patients:,} patients, {args.observations:,} observations "
            f"({size / 2**20:.0f} MiB of NDJSON)"
        )
        print("\n".join(report.lines()))
        print(
            f"rows: patients {Patient.objects.count():,}, lab results "
            f"{LabResult.objects.count():,}, symptoms {Symptom.objects.count():,}"
        )
        rate = observations.read / observations.seconds
        print(f"import: {report.read:,} resources in {took:.1f} s = {report.read / took:,.0f}/s")
        print(f"observations alone: {rate:,.0f}/s")
        print(f"validation alone (baseline): {args.observations / baseline:,.0f}/s")
        print(f"peak memory (max RSS): {peak_kib / 1024:,.0f} MiB")


if __name__ == "__main__":
    main()
