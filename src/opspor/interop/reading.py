"""What a FHIR R4 resource says, in the record's terms: one plain item per resource.

Pure Python, no Django and no database: the importer turns items into rows, the CDS Hooks
service turns the items of a prefetch into the engine's context, and both read a resource
the same way. A reader returns None for a resource Opspor has no place for (a hospital
encounter, an observation of nothing the vocabulary knows); the caller counts it.

References are returned as written (``Patient/123``, ``urn:uuid:...``); resolving them is
the caller's business. Dates are the local calendar day the resource gives (the first ten
characters of a FHIR date or dateTime); times keep their offset.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from opspor.interop import codings as cs

Resource = dict[str, Any]
Coding = dict[str, str]

# Opspor's own definitions, for what FHIR R4 has no element for. They are Opspor's and are
# read back by Opspor; another system may ignore them.
OPSPOR = "https://opspor.dk/fhir/StructureDefinition/"
EXT_PERSISTENT = f"{OPSPOR}symptom-persistent"
EXT_RECURRENT = f"{OPSPOR}symptom-recurrent"
EXT_RECORDED_ON = f"{OPSPOR}symptom-recorded-on"
EXT_CHRONIC = f"{OPSPOR}condition-chronic"

# Tobacco smoking status, and its answers (the codes of US Core's smoking-status value set,
# which synthetic-patient generators use too).
SMOKING_STATUS = {(cs.LOINC, "72166-2")}
_SMOKING_ANSWERS = {
    "266919005": "never",  # Never smoked tobacco
    "8517006": "former",  # Ex-smoker
    "449868002": "current",  # Smokes tobacco daily
    "428041000124106": "current",  # Occasional tobacco smoker
    "77176002": "current",  # Smoker
    "428071000124103": "current",  # Current heavy tobacco smoker
    "428061000124105": "current",  # Current light tobacco smoker
    "266927001": "unknown",  # Tobacco smoking consumption unknown
}

# FamilyMemberHistory.relationship (v3 RoleCode) → the record's relation.
V3_ROLE_CODE = "http://terminology.hl7.org/CodeSystem/v3-RoleCode"
_RELATIONS = {
    "MTH": "mother",
    "NMTH": "mother",
    "FTH": "father",
    "NFTH": "father",
    "SIS": "sister",
    "NSIS": "sister",
    "BRO": "brother",
    "NBRO": "brother",
    "DAU": "daughter",
    "DAUC": "daughter",
    "SON": "son",
    "SONC": "son",
    "GRMTH": "grandparent",
    "GRFTH": "grandparent",
    "GRPRN": "grandparent",
    "MGRMTH": "grandparent",
    "MGRFTH": "grandparent",
    "PGRMTH": "grandparent",
    "PGRFTH": "grandparent",
    "AUNT": "aunt_uncle",
    "UNCLE": "aunt_uncle",
    "MAUNT": "aunt_uncle",
    "PAUNT": "aunt_uncle",
    "MUNCLE": "aunt_uncle",
    "PUNCLE": "aunt_uncle",
    "COUSN": "cousin",
    "MCOUSN": "cousin",
    "PCOUSN": "cousin",
}
RELATION_CODES = {
    "mother": "MTH",
    "father": "FTH",
    "sister": "SIS",
    "brother": "BRO",
    "daughter": "DAU",
    "son": "SON",
    "grandparent": "GRPRN",
    "aunt_uncle": "AUNT",
    "cousin": "COUSN",
}


class Unreadable(ValueError):
    """A resource that is valid FHIR but lacks what its row cannot be without (a subject,
    a date); the message names the field."""

    def __init__(self, field_path: str, message: str) -> None:
        super().__init__(f"{field_path}: {message}")
        self.field_path = field_path


@dataclass(frozen=True)
class PatientItem:
    identifiers: tuple[tuple[str, str], ...]
    cpr: str | None
    name: str
    birth_date: date | None
    sex: str | None
    died_on: date | None
    language: str | None
    # References to the patient's practice or GP, as written (Organization or Practitioner).
    general_practitioner: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True)
class PartyItem:
    """A Practitioner, PractitionerRole or Organization: who it is, not what it did."""

    resource_type: str
    identifiers: tuple[tuple[str, str], ...]
    name: str
    organization: str | None = None  # PractitionerRole.organization reference
    practitioner: str | None = None  # PractitionerRole.practitioner reference


@dataclass(frozen=True)
class ContactItem:
    subject: str
    kind: str
    at: datetime
    clinician: str | None
    reason_codes: tuple[str, ...]
    original_coding: tuple[Coding, ...]


@dataclass(frozen=True)
class ConditionItem:
    subject: str
    system: str  # Condition.System value
    code: str
    label: str
    onset: date | None
    resolved: date | None
    chronic: bool
    cancer_site: str | None  # set for a malignant neoplasm
    icd10: str
    original_coding: tuple[Coding, ...]


@dataclass(frozen=True)
class LabItem:
    subject: str
    code: str
    value: float
    unit: str
    taken_on: date
    npu: str
    reference_low: float | None
    reference_high: float | None
    original_coding: tuple[Coding, ...]


@dataclass(frozen=True)
class SymptomItem:
    subject: str
    code: str
    onset: date
    recorded_on: date
    persistent: bool
    recurrent: bool
    patient_words: str
    original_coding: tuple[Coding, ...]


@dataclass(frozen=True)
class FindingItem:
    subject: str
    code: str
    found_on: date
    note: str
    original_coding: tuple[Coding, ...]


@dataclass(frozen=True)
class SmokingItem:
    subject: str
    status: str
    on: date


@dataclass(frozen=True)
class ExposureItem:
    subject: str
    code: str
    years: int | None
    note: str
    original_coding: tuple[Coding, ...]


@dataclass(frozen=True)
class MedicationItem:
    subject: str
    atc: str
    name: str
    start: date
    stop: date | None
    original_coding: tuple[Coding, ...]


@dataclass(frozen=True)
class FamilyItem:
    subject: str
    relation: str
    cancer_site: str
    age_at_diagnosis: int | None
    original_coding: tuple[Coding, ...] = field(default=())


Item = (
    PatientItem
    | PartyItem
    | ContactItem
    | ConditionItem
    | LabItem
    | SymptomItem
    | FindingItem
    | SmokingItem
    | ExposureItem
    | MedicationItem
    | FamilyItem
)


def _day(value: Any) -> date | None:
    if not isinstance(value, str) or len(value) < 10:
        return None  # a year or a month alone is no day
    return date.fromisoformat(value[:10])


def _moment(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    if len(value) == 10:
        return datetime.fromisoformat(value + "T12:00:00+00:00")  # a day with no time: noon
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _reference(resource: Resource, name: str, *, required: bool = True) -> str | None:
    ref = (resource.get(name) or {}).get("reference")
    if required and not ref:
        raise Unreadable(f"{resource['resourceType']}.{name}", "a reference is required")
    return ref


def _subject(resource: Resource) -> str:
    name = "patient" if resource["resourceType"] == "FamilyMemberHistory" else "subject"
    ref = _reference(resource, name)
    assert ref is not None
    return ref


def identifiers(resource: Resource) -> tuple[tuple[str, str], ...]:
    return tuple(
        (str(i.get("system", "")), str(i["value"]))
        for i in resource.get("identifier", []) or []
        if i.get("value")
    )


def _flag(resource: Resource, url: str) -> bool:
    return any(
        e.get("url") == url and e.get("valueBoolean") is True
        for e in resource.get("extension", []) or []
    )


def _extension_day(resource: Resource, url: str) -> date | None:
    for e in resource.get("extension", []) or []:
        if e.get("url") == url:
            return _day(e.get("valueDate") or e.get("valueDateTime"))
    return None


def _name(resource: Resource) -> str:
    if isinstance(resource.get("name"), str):  # Organization
        return str(resource["name"])
    names = resource.get("name") or []
    if not names:
        return ""
    first = next((n for n in names if n.get("use") == "official"), names[0])
    if first.get("text"):
        return str(first["text"])
    return " ".join([*first.get("given", []), first.get("family", "")]).strip()


def read_patient(resource: Resource) -> PatientItem:
    ids = identifiers(resource)
    cpr = next((value for system, value in ids if system == cs.CPR), None)
    died = resource.get("deceasedDateTime")
    language = None
    for comm in resource.get("communication", []) or []:
        codes = cs.codings(comm.get("language"))
        if codes and (comm.get("preferred") or language is None):
            language = codes[0]["code"].lower()
    sex = {"female": "female", "male": "male"}.get(str(resource.get("gender", "")))
    return PatientItem(
        identifiers=ids,
        cpr=cpr,
        name=_name(resource),
        birth_date=_day(resource.get("birthDate")),
        sex=sex,
        died_on=_day(died) if died else None,
        language=language,
        general_practitioner=tuple(resource.get("generalPractitioner", []) or []),
    )


def read_party(resource: Resource) -> PartyItem:
    return PartyItem(
        resource_type=resource["resourceType"],
        identifiers=identifiers(resource),
        name=_name(resource),
        organization=_reference(resource, "organization", required=False),
        practitioner=_reference(resource, "practitioner", required=False),
    )


def read_encounter(resource: Resource) -> ContactItem | None:
    kind = cs.contact_kind(resource.get("class"))
    if kind is not None:
        # v3 ActCode has one class for every remote contact; Opspor's own type tells an
        # e-mail consultation from a phone call.
        for concept in resource.get("type", []) or []:
            for coding in cs.codings(concept):
                if coding.get("system") == cs.CONTACT_KIND_SYSTEM and coding["code"] in (
                    cs.CONTACT_KINDS
                ):
                    kind = coding["code"]
    if kind is None:
        return None
    period = resource.get("period") or {}
    at = _moment(period.get("start"))
    if at is None:
        raise Unreadable("Encounter.period.start", "a contact needs the moment it began")
    clinician = None
    for participant in resource.get("participant", []) or []:
        ref = (participant.get("individual") or {}).get("reference")
        if ref:
            clinician = ref
            break
    reasons: list[str] = []
    original: list[Coding] = []
    for concept in resource.get("reasonCode", []) or []:
        for coding in cs.codings(concept):
            original.append(coding)
            if coding.get("system") in (cs.ICPC2, cs.ICPC2_OID):
                reasons.append(coding["code"])
    return ContactItem(
        subject=_subject(resource),
        kind=kind,
        at=at,
        clinician=clinician,
        reason_codes=tuple(reasons),
        original_coding=tuple(original),
    )


def _status_code(resource: Resource, name: str) -> str:
    concept = resource.get(name) or {}
    codes = cs.codings(concept)
    return codes[0]["code"] if codes else ""


def read_condition(resource: Resource) -> ConditionItem:
    original = cs.codings(resource.get("code"))
    if not original:
        raise Unreadable("Condition.code", "a condition needs a coded diagnosis")
    # An ICD-10 (or SKS) code first: it is what the engine's rules and the cancer sites read.
    chosen = next(
        (c for c in original if cs.icd10_category(c.get("system", ""), c["code"])),
        next((c for c in original if c.get("system") in (cs.ICPC2, cs.ICPC2_OID)), original[0]),
    )
    system = chosen.get("system", "")
    icd = cs.icd10_category(system, chosen["code"]) or ""
    onset = _day(resource.get("onsetDateTime") or (resource.get("onsetPeriod") or {}).get("start"))
    abated = _day(
        resource.get("abatementDateTime") or (resource.get("abatementPeriod") or {}).get("end")
    )
    status = _status_code(resource, "clinicalStatus")
    if abated is None and status in {"resolved", "inactive", "remission"}:
        abated = _day(resource.get("recordedDate")) or onset
    return ConditionItem(
        subject=_subject(resource),
        system=cs.condition_system(system),
        code=icd or chosen["code"],
        label=(resource.get("code") or {}).get("text") or chosen.get("display", ""),
        onset=onset or _day(resource.get("recordedDate")),
        resolved=abated,
        chronic=_flag(resource, EXT_CHRONIC),
        cancer_site=cs.cancer_site(system, chosen["code"]),
        icd10=icd,
        original_coding=tuple(original),
    )


def _effective_day(resource: Resource) -> date | None:
    return _day(
        resource.get("effectiveDateTime")
        or (resource.get("effectivePeriod") or {}).get("start")
        or resource.get("effectiveInstant")
        or resource.get("issued")
    )


def read_observation(
    resource: Resource,
) -> LabItem | SymptomItem | FindingItem | SmokingItem | ExposureItem | None:
    original = cs.codings(resource.get("code"))
    subject = _subject(resource)
    exposure = cs.exposure_code(original)
    if exposure is not None:
        years = (resource.get("valueQuantity") or {}).get("value")
        return ExposureItem(
            subject=subject,
            code=exposure,
            years=int(years) if years is not None else None,
            note=" ".join(str(n.get("text", "")) for n in resource.get("note", []) or []).strip(),
            original_coding=tuple(original),
        )
    if {(c.get("system"), c["code"]) for c in original} & SMOKING_STATUS:
        answers = cs.codings(resource.get("valueCodeableConcept"))
        status = next(
            (_SMOKING_ANSWERS[a["code"]] for a in answers if a["code"] in _SMOKING_ANSWERS), None
        )
        day = _effective_day(resource)
        if status is None or day is None:
            return None
        return SmokingItem(subject=subject, status=status, on=day)
    mapped = cs.observation_code(original)
    if mapped is None:
        return None
    kind, code = mapped
    day = _effective_day(resource)
    if day is None:
        raise Unreadable(f"{resource['resourceType']}.effective[x]", "an observation needs its day")
    if kind == "lab":
        quantity = resource.get("valueQuantity") or {}
        if quantity.get("value") is None:
            raise Unreadable("Observation.valueQuantity", "a lab result needs a value")
        ranges = (resource.get("referenceRange") or [{}])[0]
        npu = next((c["code"] for c in original if c.get("system") == cs.NPU), "")
        return LabItem(
            subject=subject,
            code=code,
            value=float(quantity["value"]),
            unit=str(quantity.get("unit") or quantity.get("code") or ""),
            taken_on=day,
            npu=npu,
            reference_low=(ranges.get("low") or {}).get("value"),
            reference_high=(ranges.get("high") or {}).get("value"),
            original_coding=tuple(original),
        )
    note = " ".join(str(n.get("text", "")) for n in resource.get("note", []) or []).strip()
    if kind == "symptom":
        return SymptomItem(
            subject=subject,
            code=code,
            onset=day,
            recorded_on=_extension_day(resource, EXT_RECORDED_ON)
            or _day(resource.get("issued"))
            or day,
            persistent=_flag(resource, EXT_PERSISTENT),
            recurrent=_flag(resource, EXT_RECURRENT),
            patient_words=str(resource.get("valueString") or note),
            original_coding=tuple(original),
        )
    return FindingItem(
        subject=subject,
        code=code,
        found_on=day,
        note=str(resource.get("valueString") or note),
        original_coding=tuple(original),
    )


def read_medication(
    resource: Resource, medications: dict[str, Resource] | None = None
) -> MedicationItem | None:
    """A MedicationStatement or MedicationRequest. `medications` resolves a
    `medicationReference` to the Medication resource it names, where the caller has it."""
    concept = resource.get("medicationCodeableConcept")
    if concept is None:
        ref = (resource.get("medicationReference") or {}).get("reference", "")
        concept = ((medications or {}).get(ref) or {}).get("code")
    original = cs.codings(concept)
    if not original:
        return None
    atc = next((c["code"] for c in original if c.get("system") == cs.ATC), "")
    if resource["resourceType"] == "MedicationRequest":
        period = (resource.get("dispenseRequest") or {}).get("validityPeriod") or {}
        start = _day(resource.get("authoredOn")) or _day(period.get("start"))
        stop = _day(period.get("end"))
    else:
        period = resource.get("effectivePeriod") or {}
        start = _day(resource.get("effectiveDateTime") or period.get("start")) or _day(
            resource.get("dateAsserted")
        )
        stop = _day(period.get("end"))
    if start is None:
        raise Unreadable(f"{resource['resourceType']}.effective[x]", "a medicine needs its start")
    if stop is not None and stop < start:
        stop = start
    name = (concept or {}).get("text") or next((c.get("display", "") for c in original), "")
    return MedicationItem(
        subject=_subject(resource),
        atc=atc if len(atc) <= 8 else "",
        name=str(name)[:120],
        start=start,
        stop=stop,
        original_coding=tuple(original),
    )


def read_family_history(resource: Resource) -> list[FamilyItem]:
    """One item per cancer among the relative's conditions; other conditions say nothing to
    the engine and are counted by the caller."""
    relation_codes = [c["code"] for c in cs.codings(resource.get("relationship"))]
    relation = next((_RELATIONS[c] for c in relation_codes if c in _RELATIONS), None)
    if relation is None:
        return []
    out = []
    for condition in resource.get("condition", []) or []:
        original = cs.codings(condition.get("code"))
        site = next(
            (s for c in original if (s := cs.cancer_site(c.get("system", ""), c["code"]))), None
        )
        if site is None:
            continue
        age = (condition.get("onsetAge") or {}).get("value")
        out.append(
            FamilyItem(
                subject=_subject(resource),
                relation=relation,
                cancer_site=site,
                age_at_diagnosis=int(age) if age is not None else None,
                original_coding=tuple(original),
            )
        )
    return out
