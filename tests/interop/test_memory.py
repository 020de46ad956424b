"""An NDJSON file is read line by line: the memory an import needs does not grow with the
file. Measured with tracemalloc (Python's allocations, which is where a held file or held
resources would show) for a file of 1,000 lines and one of 10,000: ten times the lines,
hardly more memory. Smaller than a bulk export, so that the test stays well under a minute
on a shared CI machine; the figures at 200,000 lines are in the README."""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path

import pytest

from opspor.interop.importing import import_paths
from opspor.records.models import LabResult
from tests import factories
from tests.interop import bundles as fhir

pytestmark = pytest.mark.django_db


def observations(path: Path, n: int, prefix: str) -> Path:
    with path.open("w", encoding="utf-8") as f:
        for i in range(n):
            lab = fhir.lab(f"{prefix}{i}", "Patient/anna", value=5 + (i % 50) / 10)
            f.write(json.dumps(lab) + "\n")
    return path


def peak(path: Path) -> int:
    tracemalloc.start()
    try:
        report = import_paths([path])
        _, top = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert report.accepted, report.as_dict()
    return top


def test_memory_stays_flat_with_the_size_of_an_ndjson_file(tmp_path: Path) -> None:
    practice = factories.practice()
    patient = fhir.patient(gp=[fhir.ydernummer(practice.provider_number)])
    import_paths([fhir.write_ndjson(tmp_path / "Patient.ndjson", [patient])])
    small = observations(tmp_path / "small.ndjson", 1_000, "s")
    large = observations(tmp_path / "large.ndjson", 10_000, "l")
    # Warm: the code systems, the vocabulary and the FHIR models are loaded once.
    peak(observations(tmp_path / "warm.ndjson", 100, "w"))

    small_peak = peak(small)
    large_peak = peak(large)

    assert LabResult.objects.count() == 11_100
    # Ten times the lines: the peak may grow by a few batches' worth of bookkeeping, never
    # with the file (holding 9,000 more resources would add tens of MiB).
    assert large_peak < small_peak + 4 * 2**20, (small_peak, large_peak)
