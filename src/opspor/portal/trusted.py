"""The catalogue of trustworthy information for patients (`data/trusted.yaml`).

Design row 3 and study finding 9: patients search online mid-workup and single test results
read out of context frighten them. The portal points to a few Danish sources that are
written for patients (sundhed.dk's Patienthåndbogen, Kræftens Bekæmpelse, the Danish Health
Authority's pages on cancer pathways), each link kept as data with the day it was last
checked and how, and the GP can answer "what I read" with links from here.

The loader refuses a malformed file with the entry and the field named: a link that is not
https, whose address is not on its publisher's domain, from a publisher not known here, with
a symptom code the vocabulary lacks or a pathway code the pathway list lacks, checked on a
day in the future, or that nothing would ever show.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from opspor.engine.datafile import load_yaml
from opspor.engine.rules.pathways import listed_pathways
from opspor.engine.vocab import load_vocabulary

CATALOGUE_FILE = Path(__file__).parent / "data" / "trusted.yaml"
TEXT_LANGUAGES = ("da", "en")  # every link has its title in these; others fall back to "da"

# The publishers the catalogue may cite and the domains their pages live on. A new publisher
# is a decision about trust, so it is added here, in code, not in the data file.
PUBLISHERS: dict[str, tuple[str, ...]] = {
    "sundhed.dk": ("sundhed.dk",),
    "Kræftens Bekæmpelse": ("cancer.dk",),
    "Sundhedsstyrelsen": ("sst.dk", "sundhedsstyrelsen.dk"),
}


class CatalogueError(ValueError):
    """The catalogue file is malformed; the message names the entry and the field."""


@dataclass(frozen=True)
class TrustedLink:
    key: str
    url: str
    publisher: str
    titles: dict[str, str]
    last_checked: date
    symptoms: tuple[str, ...] = ()  # vocabulary symptom codes this link explains
    pathways: tuple[str, ...] = ()  # pathway codes (engine/rules/dk-pakkeforloeb/_pathways.yaml)
    checked_how: str = ""
    general: bool = False  # shown to every patient, whatever their symptoms and pathways

    def title(self, language: str) -> str:
        return self.titles.get(language) or self.titles["da"]


@dataclass(frozen=True)
class ShownLink:
    """A link as a page shows it: the title in the page's language where the catalogue has
    one, else in Danish; every linked page is in Danish (the template marks both)."""

    link: TrustedLink
    title: str
    title_language: str


def shown(links: Iterable[TrustedLink], language: str) -> list[ShownLink]:
    title_language = language if language in TEXT_LANGUAGES else "da"
    return [ShownLink(link, link.title(title_language), title_language) for link in links]


@dataclass(frozen=True)
class Catalogue:
    links: tuple[TrustedLink, ...]
    # What was searched for and not found, with a note: the gaps stay visible as data.
    symptoms_not_found: dict[str, str] = field(default_factory=dict)
    pathways_not_found: dict[str, str] = field(default_factory=dict)

    def get(self, key: str) -> TrustedLink | None:
        return next((link for link in self.links if link.key == key), None)

    def for_symptoms(self, codes: list[str] | tuple[str, ...]) -> list[TrustedLink]:
        wanted = set(codes)
        return [link for link in self.links if wanted & set(link.symptoms)]

    def for_pathways(self, codes: Iterable[str]) -> list[TrustedLink]:
        wanted = set(codes)
        return [link for link in self.links if wanted & set(link.pathways)]

    def general(self) -> list[TrustedLink]:
        return [link for link in self.links if link.general]


def _codes(raw: Any, where: str, name: str, known: Collection[str]) -> tuple[str, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(code, str) for code in raw):
        raise CatalogueError(f"{where}: {name} must be a list of codes")
    unknown = sorted(set(raw) - set(known))
    if unknown:
        what = "vocabulary symptom" if name == "symptoms" else "pathway"
        raise CatalogueError(f"{where}: {name}: unknown {what} code(s) {unknown}")
    return tuple(raw)


def _url(raw: Any, where: str, publisher: str) -> str:
    url = str(raw).strip()
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        raise CatalogueError(f"{where}: url must be an https:// address, not {url!r}")
    host = parts.hostname.lower()
    domains = PUBLISHERS[publisher]
    if not any(host == domain or host.endswith("." + domain) for domain in domains):
        raise CatalogueError(
            f"{where}: url {url!r} is not on {publisher}'s domain ({', '.join(domains)})"
        )
    return url


def _link(
    raw: Any, index: int, *, symptom_codes: Collection[str], pathway_codes: Collection[str]
) -> TrustedLink:
    where = f"{CATALOGUE_FILE.name}: link {index}"
    if not isinstance(raw, dict):
        raise CatalogueError(f"{where}: not a mapping")
    for name in ("key", "url", "publisher", "titles", "last_checked", "checked_how"):
        if name not in raw or raw[name] in (None, ""):
            raise CatalogueError(f"{where}: missing {name!r}")
    where = f"{CATALOGUE_FILE.name}: link {raw['key']!r}"
    publisher = str(raw["publisher"])
    if publisher not in PUBLISHERS:
        raise CatalogueError(
            f"{where}: publisher {publisher!r} is not one of {sorted(PUBLISHERS)}; a new "
            "publisher is added to PUBLISHERS in portal/trusted.py with its domains"
        )
    url = _url(raw["url"], where, publisher)
    titles = raw["titles"]
    if not isinstance(titles, dict) or any(
        not str(titles.get(lang) or "").strip() for lang in TEXT_LANGUAGES
    ):
        raise CatalogueError(f"{where}: titles needs {', '.join(TEXT_LANGUAGES)}")
    if not isinstance(raw["last_checked"], date):
        raise CatalogueError(f"{where}: last_checked must be a date (YYYY-MM-DD)")
    general = raw.get("general", False)
    if not isinstance(general, bool):
        raise CatalogueError(f"{where}: general must be true or false")
    symptoms = _codes(raw.get("symptoms"), where, "symptoms", symptom_codes)
    pathways = _codes(raw.get("pathways"), where, "pathways", pathway_codes)
    if not (symptoms or pathways or general):
        raise CatalogueError(
            f"{where}: no page would show this link: give it symptoms, pathways or general: true"
        )
    return TrustedLink(
        key=str(raw["key"]),
        url=url,
        publisher=publisher,
        titles={str(k): str(v).strip() for k, v in titles.items()},
        last_checked=raw["last_checked"],
        symptoms=symptoms,
        pathways=pathways,
        checked_how=str(raw["checked_how"]).strip(),
        general=general,
    )


def _not_found(raw: Any, name: str, known: Collection[str]) -> dict[str, str]:
    where = f"{CATALOGUE_FILE.name}: not_found.{name}"
    if raw is None:
        return {}
    if not isinstance(raw, dict) or not all(isinstance(v, str) and v for v in raw.values()):
        raise CatalogueError(f"{where}: must map each code to a note of what was searched")
    unknown = sorted(set(raw) - set(known))
    if unknown:
        raise CatalogueError(f"{where}: unknown code(s) {unknown}")
    return {str(k): str(v) for k, v in raw.items()}


def known_symptom_codes() -> frozenset[str]:
    return frozenset(load_vocabulary().symptoms)


def known_pathway_codes() -> frozenset[str]:
    return frozenset(p.code for p in listed_pathways())


def parse_catalogue(
    data: Any,
    *,
    symptom_codes: Collection[str] | None = None,
    pathway_codes: Collection[str] | None = None,
    today: date | None = None,
) -> Catalogue:
    """The catalogue from the file's parsed YAML; `CatalogueError` naming entry and field.

    The codes default to the vocabulary's symptoms and the listed pathways. With `today`,
    a link checked on a later day is refused too; loading at run time leaves that to the
    tests, so that a clock set back (a test travelling in time) cannot break a page.
    """
    if not isinstance(data, dict) or not isinstance(data.get("links"), list):
        raise CatalogueError(f"{CATALOGUE_FILE.name}: needs a list 'links'")
    symptoms = known_symptom_codes() if symptom_codes is None else symptom_codes
    pathways = known_pathway_codes() if pathway_codes is None else pathway_codes
    links = tuple(
        _link(raw, i, symptom_codes=symptoms, pathway_codes=pathways)
        for i, raw in enumerate(data["links"], start=1)
    )
    keys = [link.key for link in links]
    duplicated = sorted({k for k in keys if keys.count(k) > 1})
    if duplicated:
        raise CatalogueError(f"{CATALOGUE_FILE.name}: duplicate keys {duplicated}")
    urls = [link.url for link in links]
    twice = sorted({u for u in urls if urls.count(u) > 1})
    if twice:
        raise CatalogueError(f"{CATALOGUE_FILE.name}: the same url listed twice {twice}")
    future = [link.key for link in links if today is not None and link.last_checked > today]
    if future:
        raise CatalogueError(
            f"{CATALOGUE_FILE.name}: last_checked after today ({today}) for {future}"
        )
    not_found = data.get("not_found") or {}
    if not isinstance(not_found, dict):
        raise CatalogueError(f"{CATALOGUE_FILE.name}: not_found must be a mapping")
    catalogue = Catalogue(
        links=links,
        symptoms_not_found=_not_found(not_found.get("symptoms"), "symptoms", symptoms),
        pathways_not_found=_not_found(not_found.get("pathways"), "pathways", pathways),
    )
    for name, linked, missing in (
        ("symptoms", {c for link in links for c in link.symptoms}, catalogue.symptoms_not_found),
        ("pathways", {c for link in links for c in link.pathways}, catalogue.pathways_not_found),
    ):
        both = sorted(linked & set(missing))
        if both:
            raise CatalogueError(
                f"{CATALOGUE_FILE.name}: not_found.{name} lists {both}, which have links"
            )
    return catalogue


def read_catalogue(path: Path) -> Catalogue:
    try:
        data = load_yaml(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise CatalogueError(f"{path.name}: cannot be read ({error.strerror})") from None
    except yaml.YAMLError as error:
        raise CatalogueError(f"{path.name}: not valid YAML ({error})") from None
    return parse_catalogue(data)


@cache
def load_catalogue() -> Catalogue:
    return read_catalogue(CATALOGUE_FILE)
