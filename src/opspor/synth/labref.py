"""Units and reference intervals of the lab tests, as arrays by lab, sex and age.

They come from the project vocabulary (``opspor.engine.vocab``) when it can be loaded, so
that synthetic results use the same units and intervals as the engine; otherwise from the
fallback in ``params.yaml``, which is marked there as unverified.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from opspor.synth.params import SEXES, SynthParams
from opspor.synth.rates import MAX_AGE

F64 = npt.NDArray[np.float64]


@dataclass(frozen=True)
class LabReference:
    codes: tuple[str, ...]
    units: tuple[str, ...]
    low: F64  # [lab, sex, age]; NaN where there is no lower limit
    high: F64  # [lab, sex, age]; NaN where there is no upper limit
    skewed: npt.NDArray[np.bool_]
    median: F64  # log-normal median for skewed labs
    sigma: F64
    decimals: npt.NDArray[np.int64]
    from_vocabulary: bool

    def index(self, code: str) -> int:
        return self.codes.index(code)


def _vocabulary_labs() -> dict[str, object] | None:
    try:
        from opspor.engine.vocab import load_vocabulary
    except ImportError:
        return None
    try:
        vocab = load_vocabulary()
    except Exception:
        # A vocabulary still being written (files missing or invalid) must not stop the
        # generator; the fallback intervals are used and the region says so.
        return None
    return dict(vocab.labs)


def build_lab_reference(p: SynthParams, use_vocabulary: bool = True) -> LabReference:
    shapes = p.lab_fallback.labs
    codes = tuple(sorted(shapes))
    vocab_labs = _vocabulary_labs() if use_vocabulary else None
    from_vocab = vocab_labs is not None and all(c in vocab_labs for c in codes)
    n = len(codes)
    low = np.full((n, 2, MAX_AGE + 1), np.nan)
    high = np.full((n, 2, MAX_AGE + 1), np.nan)
    units: list[str] = []
    for i, code in enumerate(codes):
        shape = shapes[code]
        if from_vocab and vocab_labs is not None:
            lab = vocab_labs[code]
            units.append(str(lab.unit))  # type: ignore[attr-defined]
            for sx, sex in enumerate(SEXES):
                for age in range(MAX_AGE + 1):
                    lo, hi = lab.reference_interval(sex=sex, age=float(age))  # type: ignore[attr-defined]
                    low[i, sx, age] = np.nan if lo is None else lo
                    high[i, sx, age] = np.nan if hi is None else hi
        else:
            units.append(shape.unit)
            for sx, sex in enumerate(SEXES):
                lo, hi = getattr(shape, sex)
                low[i, sx, :] = np.nan if lo is None else lo
                high[i, sx, :] = np.nan if hi is None else hi
    skewed = np.asarray([shapes[c].skewed for c in codes], dtype=bool)
    median = np.asarray([shapes[c].median or 0.0 for c in codes])
    sigma = np.asarray([shapes[c].sigma or 0.0 for c in codes])
    typical = np.where(skewed, median, np.nanmax(np.nan_to_num(high, nan=0.0), axis=(1, 2)))
    decimals = np.where(typical < 10, 2, np.where(typical < 100, 1, 0)).astype(np.int64)
    return LabReference(
        codes=codes,
        units=tuple(units),
        low=low,
        high=high,
        skewed=skewed,
        median=median,
        sigma=sigma,
        decimals=decimals,
        from_vocabulary=from_vocab,
    )
