"""Published positive predictive values (PPV) of symptoms and findings for cancer.

The table is data (``ppv.yaml`` beside this module): one row per published value, with the
cancer site, one feature or a pair of features (vocabulary codes), the sex and the age band
as the study published them, the value in percent and the citation, down to where in the
paper the number was read. The loader refuses a malformed row and names the file, the row
and the field.

``ppv_findings(context)`` returns, for the patient's unexplained symptoms and current
findings (lab interpretations included, via ``Facts``), the highest applicable PPV per cancer
site, a few sites at most, so that the GP sees the figures that matter and is not flooded.

The lookup never extrapolates: a row applies only when every one of its features is present,
its sex (if any) is the patient's, and the patient's age lies inside its published band.
A 39-year-old gets nothing from a row for "40 or more"; a band published as "over 40" is
read strictly as 41 and over.

A symptom counts only when its newest entry is marked unexplained: once the GP has found an
explanation, the symptom no longer carries the published cancer risk, which was measured in
people whose symptom had no other explanation recorded.

What the table does not hold yet, and why (so that no one mistakes a gap for a low risk):
- Hamilton et al. 2005 (lung, Thorax 60:1059): the PPV table and the pair grid were not found
  in a readable copy; lung rows come from Jones et al. 2007 instead.
- Hamilton et al. 2006 (prostate, Br J Gen Pract 56:756): the abstract gives PPVs but no age
  band; the rows carry the band a later review gives for the study (40 and over) and are
  marked secondary for that reason.
- Myeloma (Shephard 2015), oesophago-gastric (Stapley 2013), leukaemia (Shephard 2016): the
  abstracts give no single-feature value ("generally <1 %", "no PPV >1 %"); the tables were
  not read. Melanoma (Walter 2013): the PPV published is for a checklist score, not a feature.
  Oral cavity, thyroid, sarcoma: no primary-care PPV was found.
- Pairs (the risk assessment tools' grids, Stapley 2012/2013, Shephard 2015): published in
  tables that were not read. The schema and the lookup support pairs.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, Self

import yaml
from pydantic import (
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)

from opspor.engine.context import PatientContext
from opspor.engine.datafile import StrictModel, load_yaml, loc
from opspor.engine.facts import Facts
from opspor.engine.memo import IdentityCache
from opspor.engine.vocab import Vocabulary, load_vocabulary

PPV_FILE = Path(__file__).resolve().parent / "ppv.yaml"

# The GP sees at most this many cancer sites, one figure each.
MAX_SITES = 3

NonEmpty = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Code = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")]


class PpvError(ValueError):
    """The PPV table is malformed; the message names the file, the row and the field."""


class PpvSource(StrictModel):
    """One publication, cited by the rows that were read in it."""

    title: NonEmpty
    authors: NonEmpty
    journal: NonEmpty
    year: int = Field(ge=1950, le=2100)
    doi_or_url: NonEmpty
    pmid: str | None = Field(default=None, pattern=r"^\d{1,9}$")
    read_at: NonEmpty
    """Where the text was read (abstract page, full text, table), so it can be checked again."""
    population: NonEmpty
    secondary: bool = False
    """True when the figures were read only in a review or another secondary source."""


class PpvRow(StrictModel):
    id: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9.\-_]*$")]
    cancer_site: Code
    features: tuple[Code, ...] = Field(min_length=1, max_length=2)
    sex: Literal["female", "male"] | None = None
    age_band: NonEmpty
    """The band in the study's own words, shown to the GP as published."""
    age_min: int | None = Field(default=None, ge=0, le=120)
    age_max: int | None = Field(default=None, ge=0, le=120)
    """Both inclusive, whole years."""
    ppv_percent: float = Field(ge=0, le=100)
    ci95: tuple[float, float] | None = None
    outcome: NonEmpty
    source: NonEmpty
    location: NonEmpty
    """Where in the source the number stands: a table, a page, the abstract."""
    note: str | None = None
    secondary: bool = False

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if len(set(self.features)) != len(self.features):
            raise ValueError("a pair needs two different features")
        if self.age_min is not None and self.age_max is not None and self.age_max < self.age_min:
            raise ValueError(f"age_max {self.age_max} is below age_min {self.age_min}")
        if self.ci95 is not None:
            low, high = self.ci95
            if not 0 <= low <= high <= 100:
                raise ValueError(f"ci95 {self.ci95} is not an interval within 0-100")
        return self

    def applies_to(self, *, age: int, sex: str) -> bool:
        if self.sex is not None and self.sex != sex:
            return False
        if self.age_min is not None and age < self.age_min:
            return False
        return self.age_max is None or age <= self.age_max


class _PpvFile(StrictModel):
    schema_version: Literal[1]
    sources: dict[Code | str, PpvSource]
    rows: list[dict[str, Any]]


@dataclass(frozen=True)
class PpvTable:
    rows: tuple[PpvRow, ...]
    sources: Mapping[str, PpvSource]


class SourceRef(StrictModel):
    """The citation as the assessment shows it."""

    title: str
    authors: str
    journal: str
    year: int
    doi_or_url: str
    table: str
    """Where in the publication the value was read (table, page or abstract)."""
    secondary: bool


class PpvMatch(StrictModel):
    cancer_site: str
    symptoms: tuple[str, ...]
    """The feature codes the value is for (symptoms or findings; two for a pair)."""
    ppv_percent: float
    age_band: str
    sex: Literal["female", "male"] | None
    outcome: str
    row_id: str
    source: SourceRef


def _fail(file: str, row: object, field: str, message: str) -> PpvError:
    where = f"{file}: row {row!r}" if row is not None else file
    return PpvError(f"{where}: field {field!r}: {message}")


def _msg(text: str) -> str:
    return text.removeprefix("Value error, ")


def parse_ppv_table(raw: object, *, file: str, vocab: Vocabulary) -> PpvTable:
    """Validate the parsed YAML of a PPV table; every error names file, row and field."""
    if not isinstance(raw, dict):
        raise _fail(file, None, "(file)", "the top level must be a mapping")
    try:
        header = _PpvFile.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise _fail(file, None, loc(err["loc"], "(row)"), _msg(err["msg"])) from exc
    known = set(vocab.symptoms) | set(vocab.findings)
    rows: list[PpvRow] = []
    seen: set[str] = set()
    for index, item in enumerate(header.rows):
        row_id = item.get("id", f"#{index}") if isinstance(item, dict) else f"#{index}"
        try:
            row = PpvRow.model_validate(item)
        except ValidationError as exc:
            err = exc.errors()[0]
            raise _fail(file, row_id, loc(err["loc"], "(row)"), _msg(err["msg"])) from exc
        if row.id in seen:
            raise _fail(file, row.id, "id", "duplicate row id")
        seen.add(row.id)
        for i, code in enumerate(row.features):
            if code not in known:
                raise _fail(
                    file,
                    row.id,
                    f"features.{i}",
                    f"unknown vocabulary code {code!r} (a symptom or finding code is needed)",
                )
        if row.source not in header.sources:
            raise _fail(file, row.id, "source", f"unknown source {row.source!r}")
        rows.append(row)
    return PpvTable(rows=tuple(rows), sources=dict(header.sources))


def _read(path: Path) -> PpvTable:
    try:
        raw = load_yaml(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError, UnicodeDecodeError) as exc:
        raise _fail(path.name, None, "(yaml)", f"cannot be read: {exc}") from exc
    return parse_ppv_table(raw, file=path.name, vocab=load_vocabulary())


@functools.cache
def _packaged() -> PpvTable:
    return _read(PPV_FILE)


def load_ppv_table(path: str | Path | None = None) -> PpvTable:
    """The validated table; the packaged file is read once, another path every time."""
    return _packaged() if path is None else _read(Path(path))


def present_features(facts: Facts) -> frozenset[str]:
    """Codes the patient has now: unexplained symptoms and recorded or derived findings."""
    codes = {
        code
        for code, entries in facts.symptoms.items()
        if max(entries, key=lambda entry: entry.onset).unexplained
    }
    codes.update(facts.findings)
    return frozenset(codes)


def ppv_findings(
    context: PatientContext | Facts,
    *,
    table: PpvTable | None = None,
    max_sites: int = MAX_SITES,
) -> list[PpvMatch]:
    """The highest published PPV per cancer site that applies to this patient.

    Sites are ordered by that value, highest first, and cut to ``max_sites``. Within a site,
    a tie goes to the pair (more specific), then to the newer study.
    """
    facts = context if isinstance(context, Facts) else Facts.of(context)
    table = table or load_ppv_table()
    have = present_features(facts)
    best: dict[str, PpvRow] = {}
    by_first, matches = _prepared(table)
    candidates = [pair for code in have if code in by_first for pair in by_first[code]]
    for row, features in candidates:
        if not features <= have or not row.applies_to(age=facts.age, sex=facts.sex):
            continue
        current = best.get(row.cancer_site)
        if current is None or _rank(row, table) > _rank(current, table):
            best[row.cancer_site] = row
    chosen = sorted(best.values(), key=lambda r: _rank(r, table), reverse=True)[:max_sites]
    return [matches[row.id] for row in chosen]


_Prepared = tuple[dict[str, tuple[tuple[PpvRow, frozenset[str]], ...]], dict[str, PpvMatch]]
_PREPARED: IdentityCache[_Prepared] = IdentityCache()


def _prepared(table: PpvTable) -> _Prepared:
    """Built once per table (read once per process, never changed): the rows by their first
    feature, each with its features as a set, so that a patient's few symptoms select the
    rows to look at; and each row's match, which depends on the row alone."""
    return _PREPARED.get((table,), lambda: _prepare(table))


def _prepare(table: PpvTable) -> _Prepared:
    by_first: dict[str, list[tuple[PpvRow, frozenset[str]]]] = {}
    for row in table.rows:
        by_first.setdefault(row.features[0], []).append((row, frozenset(row.features)))
    return (
        {code: tuple(rows) for code, rows in by_first.items()},
        {row.id: _match(row, table) for row in table.rows},
    )


def _rank(row: PpvRow, table: PpvTable) -> tuple[float, int, int, str]:
    return (row.ppv_percent, len(row.features), table.sources[row.source].year, row.id)


def _match(row: PpvRow, table: PpvTable) -> PpvMatch:
    src = table.sources[row.source]
    # The row and its source were validated when the table was loaded; building the match
    # from them needs no second validation.
    return PpvMatch.model_construct(
        cancer_site=row.cancer_site,
        symptoms=row.features,
        ppv_percent=row.ppv_percent,
        age_band=row.age_band,
        sex=row.sex,
        outcome=row.outcome,
        row_id=row.id,
        source=SourceRef.model_construct(
            title=src.title,
            authors=src.authors,
            journal=src.journal,
            year=src.year,
            doi_or_url=src.doi_or_url,
            table=row.location,
            secondary=src.secondary or row.secondary,
        ),
    )


def rows_for(table: PpvTable, codes: Iterable[str]) -> list[PpvRow]:
    """Every row that mentions one of these codes (for review screens and tests)."""
    wanted = set(codes)
    return [row for row in table.rows if wanted & set(row.features)]
