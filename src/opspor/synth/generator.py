"""Generating a synthetic region: in memory for small regions, as Parquet files at scale.

Patients are generated in chunks of ``CHUNK_SIZE``. Chunk ``i`` draws from the ``i``-th
child of ``SeedSequence(seed)`` (the practices from child 0), so a region depends only on
the seed, the as-of date, the number of patients and of practices, and the parameters. The
chunk size is fixed so that results never depend on it. The files are written by a second
thread while the next chunk is generated; Arrow and NumPy release the GIL for the heavy
work, so the two cores are both used.
"""

from __future__ import annotations

import os
import queue
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from opspor.synth.events import generate_events
from opspor.synth.labref import LabReference, build_lab_reference
from opspor.synth.params import SynthParams, default_params
from opspor.synth.pathways import draw_pathways, pathway_rng
from opspor.synth.patients import YEAR, Window, draw_cohort
from opspor.synth.rates import Rates, build_rates
from opspor.synth.region import Region, build_region, default_practice_count
from opspor.synth.tables import TABLE_NAMES, event_tables, patients_table, write_schema

CHUNK_SIZE = 65_536
MAX_PATIENTS = 10_000_000
EPOCH = date(1970, 1, 1)

# Pinned so that the same inputs give byte-identical files.
_WRITER_OPTIONS = {
    "compression": "zstd",
    "compression_level": 1,
    "write_statistics": True,
    "store_schema": False,
    "version": "2.6",
    "data_page_version": "1.0",
}


@dataclass
class RegionSummary:
    n_patients: int
    n_practices: int
    seed: int
    as_of: date
    rows: dict[str, int] = field(default_factory=dict)
    vocabulary_intervals: bool = False


@dataclass(frozen=True)
class _Setup:
    params: SynthParams
    rates: Rates
    ref: LabReference
    window: Window
    region: Region
    seeds: list[np.random.SeedSequence]
    seed: int


def history_window(as_of: date, years: int) -> Window:
    as_of_day = (as_of - EPOCH).days
    return Window(start=as_of_day - round(years * YEAR) + 1, as_of=as_of_day)


def _setup(
    n_patients: int, seed: int, as_of: date, n_practices: int | None, params: SynthParams | None
) -> _Setup:
    if n_patients < 1 or n_patients > MAX_PATIENTS:
        raise ValueError(f"n_patients must be between 1 and {MAX_PATIENTS:,}")
    if seed < 0:
        raise ValueError("seed must be 0 or more")
    p = params or default_params()
    k = n_practices if n_practices is not None else default_practice_count(n_patients, p)
    if not 1 <= k <= n_patients:
        raise ValueError("n_practices must be between 1 and the number of patients")
    n_chunks = -(-n_patients // CHUNK_SIZE)
    seeds = np.random.SeedSequence(seed).spawn(n_chunks + 1)
    region = build_region(np.random.default_rng(seeds[0]), k, p)
    return _Setup(
        params=p,
        rates=build_rates(p),
        ref=build_lab_reference(p),
        window=history_window(as_of, p.history_years),
        region=region,
        seeds=seeds,
        seed=seed,
    )


def _chunks(s: _Setup, n_patients: int) -> Iterator[tuple[int, dict[str, pa.Table]]]:
    for i, first in enumerate(range(0, n_patients, CHUNK_SIZE)):
        n = min(CHUNK_SIZE, n_patients - first)
        rng = np.random.default_rng(s.seeds[i + 1])
        cohort = draw_cohort(rng, first + 1, n, s.window, s.region, s.rates, s.params)
        events = generate_events(rng, cohort, s.window, s.region, s.rates, s.ref, s.params)
        # The pathways come from a stream of their own, after the generator's is spent: the
        # other tables stay what they were before the pathways existed.
        cancers = np.nonzero(cohort.cancer_site >= 0)[0]
        paths = draw_pathways(
            pathway_rng(s.seed, i),
            patient=cancers,
            diagnosis=cohort.diagnosis[cancers],
            birth=cohort.birth[cancers],
            contact_patient=events.contacts.patient,
            contact_day=events.contacts.day,
            p=s.params,
        )
        tables = {"patients": patients_table(cohort, s.params)}
        tables.update(event_tables(cohort, events, s.ref, s.params, paths))
        yield n, tables


def _decode(table: pa.Table, name: str) -> pa.Table:
    """Dictionary columns as plain strings, as the files read back."""
    from opspor.synth.tables import FILE_SCHEMAS

    return table.cast(FILE_SCHEMAS[name])


def generate_region_tables(
    n_patients: int,
    seed: int,
    as_of: date,
    n_practices: int | None = None,
    params: SynthParams | None = None,
) -> dict[str, pa.Table]:
    """A whole region in memory, with the same tables and columns as the files."""
    s = _setup(n_patients, seed, as_of, n_practices, params)
    parts: dict[str, list[pa.Table]] = {name: [] for name in TABLE_NAMES}
    for _, tables in _chunks(s, n_patients):
        for name, t in tables.items():
            parts[name].append(t)
    out = {
        "practices": s.region.practices,
        "clinicians": s.region.clinicians,
    }
    for name in TABLE_NAMES:
        if name in out:
            continue
        out[name] = _decode(pa.concat_tables(parts[name]).combine_chunks(), name)
    return out


def _writer(path: Path, name: str) -> pq.ParquetWriter:
    dict_cols = [f.name for f in write_schema(name) if pa.types.is_dictionary(f.type)]
    string_cols = [f.name for f in write_schema(name) if pa.types.is_string(f.type)]
    return pq.ParquetWriter(
        str(path),
        write_schema(name),
        use_dictionary=dict_cols + string_cols,
        **_WRITER_OPTIONS,
    )


def generate_region(
    out_dir: str | Path,
    n_patients: int,
    seed: int,
    as_of: date,
    n_practices: int | None = None,
    progress: Callable[[int], None] | None = None,
    params: SynthParams | None = None,
) -> RegionSummary:
    """Write the region's Parquet files into ``out_dir``.

    Everything is written into a temporary directory beside ``out_dir`` first and moved
    into place only when complete, so a failure leaves no partial region behind.
    """
    out = Path(out_dir)
    s = _setup(n_patients, seed, as_of, n_practices, params)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.synth-", dir=out.parent))
    tmp.chmod(0o755)
    summary = RegionSummary(
        n_patients=n_patients,
        n_practices=s.region.n_practices,
        seed=seed,
        as_of=as_of,
        vocabulary_intervals=s.ref.from_vocabulary,
    )
    try:
        for name in ("practices", "clinicians"):
            table = s.region.__getattribute__(name)
            with _writer(tmp / f"{name}.parquet", name) as w:
                w.write_table(table)
            summary.rows[name] = table.num_rows
        _write_chunks(s, n_patients, tmp, summary, progress)
        _move_into_place(tmp, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return summary


def _write_chunks(
    s: _Setup,
    n_patients: int,
    tmp: Path,
    summary: RegionSummary,
    progress: Callable[[int], None] | None,
) -> None:
    names = [n for n in TABLE_NAMES if n not in ("practices", "clinicians")]
    writers = {n: _writer(tmp / f"{n}.parquet", n) for n in names}
    rows = dict.fromkeys(names, 0)
    work: queue.Queue[tuple[int, dict[str, pa.Table]] | None] = queue.Queue(maxsize=2)
    failure: list[BaseException] = []

    def consume() -> None:
        while (item := work.get()) is not None:
            if failure:
                continue
            try:
                n, tables = item
                for name, t in tables.items():
                    writers[name].write_table(t, row_group_size=max(t.num_rows, 1))
                    rows[name] += t.num_rows
                if progress is not None:
                    progress(n)
            except BaseException as exc:  # re-raised in the producing thread
                failure.append(exc)

    thread = threading.Thread(target=consume, name="synth-writer", daemon=True)
    thread.start()
    try:
        for item in _chunks(s, n_patients):
            if failure:
                break
            work.put(item)
    finally:
        work.put(None)
        thread.join()
        for w in writers.values():
            w.close()
    if failure:
        raise failure[0]
    summary.rows.update(rows)


def _move_into_place(tmp: Path, out: Path) -> None:
    if not out.exists():
        os.rename(tmp, out)
        return
    # An existing directory keeps its other files; each region file is replaced atomically.
    for f in sorted(tmp.iterdir()):
        os.replace(f, out / f.name)
