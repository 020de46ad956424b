"""Continuity of care over the last two years: UPC, Bice-Boxerman COC, SECON, known provider.

Definitions as in BMC Health Serv Res 2022 (s12913-022-07953-z), table 2.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import pairwise

from opspor.engine.settings import EngineSettings


@dataclass(frozen=True)
class Continuity:
    n_contacts: int
    upc: float
    coc: float
    secon: float
    known_provider: bool | None
    low_continuity: bool


def continuity(
    *,
    contacts: list[tuple[date, str]],
    as_of: date,
    current_clinician: str | None,
    settings: EngineSettings,
) -> Continuity | None:
    start = as_of - timedelta(days=settings.continuity_days)
    window = sorted((d, who) for d, who in contacts if start < d <= as_of and who)
    n = len(window)
    if n < settings.continuity_min_contacts:
        return None
    counts = Counter(who for _, who in window)
    upc = max(counts.values()) / n
    coc = (sum(k * k for k in counts.values()) - n) / (n * (n - 1))
    same = sum(1 for (_, a), (_, b) in pairwise(window) if a == b)
    secon = same / (n - 1)
    known: bool | None = None
    if current_clinician:
        # Today's own contact does not make the clinician known to the patient.
        known = any(who == current_clinician for d, who in window if d < as_of)
    return Continuity(
        n_contacts=n,
        upc=upc,
        coc=coc,
        secon=secon,
        known_provider=known,
        low_continuity=upc < settings.low_continuity_upc,
    )
