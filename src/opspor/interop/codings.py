"""Code systems as FHIR names them, and how their codes map onto Opspor's vocabulary.

Pure Python: the importer and the CDS Hooks service read codes the same way, so that a
patient imported into the record and the same patient sent in a CDS Hooks prefetch give the
engine the same context.

System URIs, and where each was seen:
- CPR number: ``urn:oid:1.2.208.176.1.2`` (HL7 Denmark DK-core, ``DkCoreCprIdentifier``).
- SOR (the Danish register of health organisations): ``urn:oid:1.2.208.176.1.1``; the
  provider number of a practice (*ydernummer*): ``urn:oid:1.2.208.176.1.4`` (both as MedCom's
  core organisation examples use them).
- NPU (Danish laboratory codes): ``urn:oid:1.2.208.176.2.1`` (MedCom terminology,
  CodeSystem NPUObservationCodes).
- SKS (Danish health classification, diagnoses as ``D`` + ICD-10): ``urn:oid:1.2.208.176.2.4``.
- LOINC ``http://loinc.org``, SNOMED CT ``http://snomed.info/sct``, ICD-10
  ``http://hl7.org/fhir/sid/icd-10``, ICPC-2 ``http://hl7.org/fhir/sid/icpc-2`` (its OID
  ``urn:oid:2.16.840.1.113883.6.139`` too), ATC ``http://www.whocc.no/atc``, RxNorm
  ``http://www.nlm.nih.gov/research/umls/rxnorm``: FHIR R4's list of external code systems.
- Encounter class: ``http://terminology.hl7.org/CodeSystem/v3-ActCode``.
- Opspor's own vocabulary, for an entry no standard code names exactly (many symptoms and
  findings have no exact SNOMED CT or ICPC-2 mapping yet): ``https://opspor.dk/fhir/CodeSystem/``
  + ``symptom``, ``lab``, ``finding``, ``occupational-exposure``, the code being the
  vocabulary's own. These are Opspor's code systems, read back by Opspor only.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from importlib import resources
from typing import Any, Literal

import yaml

from opspor.engine.vocab import load_vocabulary

CPR = "urn:oid:1.2.208.176.1.2"
SOR = "urn:oid:1.2.208.176.1.1"
YDERNUMMER = "urn:oid:1.2.208.176.1.4"
NPU = "urn:oid:1.2.208.176.2.1"
SKS = "urn:oid:1.2.208.176.2.4"
LOINC = "http://loinc.org"
SNOMED_CT = "http://snomed.info/sct"
ICD10 = "http://hl7.org/fhir/sid/icd-10"
ICPC2 = "http://hl7.org/fhir/sid/icpc-2"
ICPC2_OID = "urn:oid:2.16.840.1.113883.6.139"
ATC = "http://www.whocc.no/atc"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
V3_ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"

OPSPOR_CODE_SYSTEM = "https://opspor.dk/fhir/CodeSystem/"
VOCABULARY_SYSTEMS: dict[str, str] = {
    "symptom": f"{OPSPOR_CODE_SYSTEM}symptom",
    "lab": f"{OPSPOR_CODE_SYSTEM}lab",
    "finding": f"{OPSPOR_CODE_SYSTEM}finding",
}
EXPOSURE_SYSTEM = f"{OPSPOR_CODE_SYSTEM}occupational-exposure"
# The kind of a practice contact, beside the Encounter's class: v3 ActCode's VR (virtual)
# is both a phone call and an e-mail consultation.
CONTACT_KIND_SYSTEM = f"{OPSPOR_CODE_SYSTEM}contact-kind"
CONTACT_KINDS = frozenset({"consultation", "phone", "email", "home_visit"})
# The engine's cancer sites (engine/sites.py), for a cancer no one ICD-10 category names.
CANCER_SITE_SYSTEM = f"{OPSPOR_CODE_SYSTEM}cancer-site"

# The systems a practice is recognised by in `Patient.generalPractitioner`.
PRACTICE_SYSTEMS = (YDERNUMMER, SOR)

Coding = Mapping[str, Any]
ObservationKind = Literal["lab", "symptom", "finding"]

# Encounter.class (v3 ActCode) → the kind of a practice contact. Other classes (inpatient,
# emergency, ...) are hospital encounters, not contacts with the practice.
_CONTACT_KINDS = {"AMB": "consultation", "VR": "phone", "HH": "home_visit"}


def codings(concept: Mapping[str, Any] | None) -> list[dict[str, str]]:
    """The codings of a CodeableConcept, reduced to system, code and display."""
    out = []
    for coding in (concept or {}).get("coding", []) or []:
        item = {k: coding[k] for k in ("system", "code", "display") if coding.get(k)}
        if item.get("code"):
            out.append(item)
    return out


def contact_kind(class_coding: Coding | None) -> str | None:
    if not class_coding or class_coding.get("system", V3_ACT_CODE) != V3_ACT_CODE:
        return None
    return _CONTACT_KINDS.get(str(class_coding.get("code", "")))


def exposure_code(items: Iterable[Coding]) -> str | None:
    """The vocabulary's exposure code of an Observation coded in Opspor's exposure system."""
    exposures = load_vocabulary().exposures
    for coding in items:
        if coding.get("system") == EXPOSURE_SYSTEM and coding.get("code") in exposures:
            return str(coding["code"])
    return None


def contact_class(kind: str) -> dict[str, str]:
    """The Encounter.class coding of a contact kind (e-mail consultations are virtual)."""
    code = {"consultation": "AMB", "phone": "VR", "email": "VR", "home_visit": "HH"}[kind]
    return {"system": V3_ACT_CODE, "code": code}


@functools.cache
def _observation_index() -> dict[tuple[str, str], tuple[ObservationKind, str]]:
    vocabulary = load_vocabulary()
    index: dict[tuple[str, str], tuple[ObservationKind, str]] = {}
    ambiguous: set[tuple[str, str]] = set()

    def add(key: tuple[str, str], value: tuple[ObservationKind, str]) -> None:
        if key in index and index[key] != value:
            ambiguous.add(key)
        index[key] = value

    for code, lab in vocabulary.labs.items():
        for npu in lab.npu:
            add((NPU, npu.code), ("lab", code))
        for loinc in lab.loinc:
            add((LOINC, loinc.code), ("lab", code))
    for kind, table in (("symptom", vocabulary.symptoms), ("finding", vocabulary.findings)):
        for code, entry in table.items():
            for sct in entry.snomed_ct:
                add((SNOMED_CT, sct.code), (kind, code))  # type: ignore[arg-type]
            # A rubric broader than the entry (exact: false) says less than the entry does.
            for icpc in entry.icpc2:
                if icpc.exact:
                    add((ICPC2, icpc.code), (kind, code))  # type: ignore[arg-type]
    for key in ambiguous:
        del index[key]
    # Opspor's own coding of every entry, beside the standard ones (export writes it).
    own: tuple[tuple[ObservationKind, Iterable[str]], ...] = (
        ("symptom", vocabulary.symptoms),
        ("lab", vocabulary.labs),
        ("finding", vocabulary.findings),
    )
    for kind, entries in own:
        for code in entries:
            index[(VOCABULARY_SYSTEMS[kind], code)] = (kind, code)
    return index


def _system(system: str) -> str:
    return ICPC2 if system == ICPC2_OID else system


def observation_code(items: Iterable[Coding]) -> tuple[ObservationKind, str] | None:
    """The vocabulary entry the first mappable coding names, or None."""
    index = _observation_index()
    for coding in items:
        key = (_system(str(coding.get("system", ""))), str(coding.get("code", "")))
        if key in index:
            return index[key]
    return None


def vocabulary_codings(kind: ObservationKind, code: str) -> list[dict[str, str]]:
    """The standard codings of a vocabulary entry, for export: NPU and LOINC for a lab,
    SNOMED CT and exact ICPC-2 for a symptom or finding."""
    vocabulary = load_vocabulary()
    out: list[dict[str, str]] = []
    if kind == "lab":
        lab = vocabulary.labs[code]
        out += [{"system": NPU, "code": m.code} for m in lab.npu]
        out += [{"system": LOINC, "code": m.code} for m in lab.loinc]
    else:
        entry = (vocabulary.symptoms if kind == "symptom" else vocabulary.findings)[code]
        out += [{"system": SNOMED_CT, "code": m.code} for m in entry.snomed_ct]
        out += [{"system": ICPC2, "code": m.code} for m in entry.icpc2 if m.exact]
    return out


@functools.cache
def _icd10_sites() -> dict[str, str]:
    text = resources.files("opspor.interop").joinpath("data/icd10_sites.yaml").read_text()
    data = yaml.safe_load(text)
    return {category: site for site, cats in data["sites"].items() for category in cats}


def site_categories(site: str) -> list[str]:
    """The ICD-10 categories of a cancer site, in the order `data/icd10_sites.yaml` lists them."""
    return [category for category, s in _icd10_sites().items() if s == site]


def icd10_category(system: str, code: str) -> str | None:
    """The ICD-10 code of an ICD-10 or SKS diagnosis coding, without the SKS "D" prefix."""
    code = code.strip().upper().replace(".", "")
    if system == SKS and code.startswith("D") and len(code) >= 4:
        return code[1:]
    if system == ICD10:
        return code
    return None


def cancer_site(system: str, code: str) -> str | None:
    """The engine's cancer site of a malignant-neoplasm diagnosis; "other" for a malignant
    neoplasm of a site the engine does not name; None when the code is no malignant one."""
    if system == CANCER_SITE_SYSTEM:
        return code or None
    icd = icd10_category(system, code)
    if icd is None or len(icd) < 3 or icd[0] != "C" or not icd[1:3].isdigit():
        return None
    if int(icd[1:3]) > 97:
        return None
    return _icd10_sites().get(icd[:3], "other")


def condition_system(system: str) -> str:
    """The `Condition.System` value of a FHIR code system."""
    return {
        ICD10: "icd10",
        SKS: "icd10",
        ICPC2: "icpc2",
        ICPC2_OID: "icpc2",
        SNOMED_CT: "snomed_ct",
    }.get(system, "other")
