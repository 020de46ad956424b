"""Names of the cancer sites the rule sets and the PPV table use, in Danish and English."""

from __future__ import annotations

SITE_NAMES: dict[str, tuple[str, str]] = {
    "anal": ("kræft i endetarmsåbningen", "anal cancer"),
    "bladder": ("blærekræft", "bladder cancer"),
    "bone_sarcoma": ("knoglesarkom", "bone sarcoma"),
    "brain_cns": (
        "kræft i hjerne eller centralnervesystem",
        "brain or central nervous system cancer",
    ),
    "breast": ("brystkræft", "breast cancer"),
    "cervical": ("livmoderhalskræft", "cervical cancer"),
    "childhood_cancer": ("kræft hos børn", "childhood cancer"),
    "colorectal": ("tarmkræft", "colorectal cancer"),
    "endometrial": ("kræft i livmoderslimhinden", "endometrial cancer"),
    "gall_bladder": ("galdeblærekræft", "gall bladder cancer"),
    "head_and_neck": ("hoved-halskræft", "head and neck cancer"),
    "kidney": ("nyrekræft", "kidney cancer"),
    "laryngeal": ("strubekræft", "laryngeal cancer"),
    "leukaemia": ("leukæmi", "leukaemia"),
    "liver": ("leverkræft", "liver cancer"),
    "lung": ("lungekræft", "lung cancer"),
    "lymphoma": ("lymfeknudekræft", "lymphoma"),
    "melanoma": ("modermærkekræft (melanom)", "melanoma"),
    "mesothelioma": ("lungehindekræft (mesoteliom)", "mesothelioma"),
    "myeloma": ("knoglemarvskræft (myelomatose)", "myeloma"),
    "neuroblastoma": ("neuroblastom", "neuroblastoma"),
    "oesophageal": ("spiserørskræft", "oesophageal cancer"),
    "oral": ("mundhulekræft", "oral cancer"),
    "ovarian": ("æggestokkræft", "ovarian cancer"),
    "pancreatic": ("bugspytkirtelkræft", "pancreatic cancer"),
    "penile": ("peniskræft", "penile cancer"),
    "prostate": ("prostatakræft", "prostate cancer"),
    "retinoblastoma": ("retinoblastom", "retinoblastoma"),
    "sarcoma": ("sarkom i knogle eller bløddele", "sarcoma of bone or soft tissue"),
    "skin_bcc": ("basalcellekræft i huden", "basal cell carcinoma of the skin"),
    "skin_scc": ("pladecellekræft i huden", "squamous cell carcinoma of the skin"),
    "soft_tissue_sarcoma": ("bløddelssarkom", "soft tissue sarcoma"),
    "stomach": ("mavekræft", "stomach cancer"),
    "testis": ("testikelkræft", "testicular cancer"),
    "thyroid": ("skjoldbruskkirtelkræft", "thyroid cancer"),
    "unspecified": ("alvorlig sygdom, der kan være kræft", "serious illness that could be cancer"),
    "uterine": ("kræft i livmoderen", "cancer of the uterus"),
    "vaginal": ("kræft i skeden", "vaginal cancer"),
    "vulval": ("kræft i de ydre kønsorganer (vulva)", "vulval cancer"),
    "wilms": ("Wilms' tumor", "Wilms' tumour"),
}


def site_name(code: str, lang: str) -> str:
    da, en = SITE_NAMES.get(code, (code, code))
    return da if lang == "da" else en
