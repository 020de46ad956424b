"""The clinical vocabulary: symptoms, findings, lab tests and occupational exposures.

Each entry has a stable snake_case code, labels in Danish, English, Arabic and Turkish, and
its mappings to ICPC-2, SNOMED CT, NPU and LOINC with their provenance. See README.md here.
"""

from opspor.engine.vocab.loader import FILES, Vocabulary, VocabularyError, load_vocabulary
from opspor.engine.vocab.model import (
    LANGUAGES,
    Entry,
    Exposure,
    Finding,
    Kind,
    Lab,
    ReferenceInterval,
    Source,
    Symptom,
)

__all__ = [
    "FILES",
    "LANGUAGES",
    "Entry",
    "Exposure",
    "Finding",
    "Kind",
    "Lab",
    "ReferenceInterval",
    "Source",
    "Symptom",
    "Vocabulary",
    "VocabularyError",
    "load_vocabulary",
]
