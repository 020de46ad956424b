"""The catalogue of trustworthy information for patients (`data/trusted.yaml`).

Design row 3 and study finding 9: patients search online mid-workup and single test results
read out of context frighten them. The portal points to a few Danish sources that are
written for patients (sundhed.dk's Patienthåndbogen, Kræftens Bekæmpelse, the Danish Health
Authority's pages on cancer pathways), each link kept as data with the day it was last
checked, and the GP can answer "what I read" with links from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import yaml

CATALOGUE_FILE = Path(__file__).parent / "data" / "trusted.yaml"
TEXT_LANGUAGES = ("da", "en")  # every link has its title in these; others fall back to "da"


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
    pathways: tuple[str, ...] = ()  # pathway keys (engine rules' `pathway` values)

    def title(self, language: str) -> str:
        return self.titles.get(language) or self.titles["da"]


@dataclass(frozen=True)
class Catalogue:
    links: tuple[TrustedLink, ...]

    def get(self, key: str) -> TrustedLink | None:
        return next((link for link in self.links if link.key == key), None)

    def for_symptoms(self, codes: list[str] | tuple[str, ...]) -> list[TrustedLink]:
        wanted = set(codes)
        return [link for link in self.links if wanted & set(link.symptoms)]


def _link(raw: Any, index: int) -> TrustedLink:
    where = f"{CATALOGUE_FILE.name}: link {index}"
    if not isinstance(raw, dict):
        raise CatalogueError(f"{where}: not a mapping")
    for name in ("key", "url", "publisher", "titles", "last_checked"):
        if name not in raw:
            raise CatalogueError(f"{where}: missing {name!r}")
    where = f"{CATALOGUE_FILE.name}: link {raw['key']!r}"
    if not str(raw["url"]).startswith("https://"):
        raise CatalogueError(f"{where}: url must start with https://")
    titles = raw["titles"]
    if not isinstance(titles, dict) or any(not titles.get(lang) for lang in TEXT_LANGUAGES):
        raise CatalogueError(f"{where}: titles needs {', '.join(TEXT_LANGUAGES)}")
    if not isinstance(raw["last_checked"], date):
        raise CatalogueError(f"{where}: last_checked must be a date (YYYY-MM-DD)")
    return TrustedLink(
        key=str(raw["key"]),
        url=str(raw["url"]),
        publisher=str(raw["publisher"]),
        titles={str(k): str(v) for k, v in titles.items()},
        last_checked=raw["last_checked"],
        symptoms=tuple(raw.get("symptoms") or ()),
        pathways=tuple(raw.get("pathways") or ()),
    )


def parse_catalogue(data: Any) -> Catalogue:
    if not isinstance(data, dict) or not isinstance(data.get("links"), list):
        raise CatalogueError(f"{CATALOGUE_FILE.name}: needs a list 'links'")
    links = tuple(_link(raw, i) for i, raw in enumerate(data["links"], start=1))
    keys = [link.key for link in links]
    duplicated = sorted({k for k in keys if keys.count(k) > 1})
    if duplicated:
        raise CatalogueError(f"{CATALOGUE_FILE.name}: duplicate keys {duplicated}")
    return Catalogue(links=links)


@cache
def load_catalogue() -> Catalogue:
    return parse_catalogue(yaml.safe_load(CATALOGUE_FILE.read_text(encoding="utf-8")))
