"""Names of the cancer sites the rule sets and the PPV table use, in Danish and English."""

from __future__ import annotations

SITE_NAMES: dict[str, tuple[str, str]] = {
    "anal": ("kræft i endetarmsåbningen", "anal cancer"),
    "bladder": ("blærekræft", "bladder cancer"),
    "brain": ("hjernesvulst", "brain tumour"),
    "breast": ("brystkræft", "breast cancer"),
    "cervical": ("livmoderhalskræft", "cervical cancer"),
    "childhood": ("kræft hos børn", "childhood cancer"),
    "colorectal": ("tarmkræft", "colorectal cancer"),
    "kidney": ("nyrekræft", "kidney cancer"),
    "laryngeal": ("strubekræft", "laryngeal cancer"),
    "leukaemia": ("leukæmi", "leukaemia"),
    "lung": ("lungekræft", "lung cancer"),
    "lymphoma": ("lymfeknudekræft", "lymphoma"),
    "mesothelioma": ("lungehindekræft (mesoteliom)", "mesothelioma"),
    "myeloma": ("knoglemarvskræft (myelomatose)", "myeloma"),
    "oesophageal": ("spiserørskræft", "oesophageal cancer"),
    "ovarian": ("æggestokkræft", "ovarian cancer"),
    "pancreatic": ("bugspytkirtelkræft", "pancreatic cancer"),
    "prostate": ("prostatakræft", "prostate cancer"),
    "stomach": ("mavekræft", "stomach cancer"),
    "testis": ("testikelkræft", "testicular cancer"),
    "uterine": ("livmoderkræft", "uterine cancer"),
    "unspecified": ("alvorlig sygdom, der kan være kræft", "serious illness that could be cancer"),
}


def site_name(code: str, lang: str) -> str:
    da, en = SITE_NAMES.get(code, (code, code))
    return da if lang == "da" else en
