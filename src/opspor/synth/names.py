"""Fictional names for synthetic people: common first and last names combined at random.

The lists are common given names and surnames in Denmark and among its larger immigrant
groups; a combination is not meant to be, and should not be read as, a real person.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

Origin = Literal["danish", "arabic", "turkish", "somali", "afghan", "polish"]
Sex = Literal["female", "male"]

FIRST_NAMES: dict[Origin, dict[Sex, tuple[str, ...]]] = {
    "danish": {
        "female": (
            "Anne",
            "Kirsten",
            "Mette",
            "Hanne",
            "Helle",
            "Susanne",
            "Lene",
            "Marianne",
            "Camilla",
            "Louise",
            "Charlotte",
            "Pia",
            "Tina",
            "Ida",
            "Emma",
            "Freja",
            "Sofie",
            "Karen",
            "Inge",
            "Birgit",
            "Maja",
            "Julie",
            "Line",
            "Signe",
        ),
        "male": (
            "Peter",
            "Jens",
            "Lars",
            "Michael",
            "Henrik",
            "Søren",
            "Thomas",
            "Jan",
            "Niels",
            "Morten",
            "Anders",
            "Rasmus",
            "Christian",
            "Martin",
            "Jesper",
            "Ole",
            "Frederik",
            "Mads",
            "Emil",
            "William",
            "Bent",
            "Poul",
            "Kasper",
            "Mikkel",
        ),
    },
    "arabic": {
        "female": ("Fatima", "Aisha", "Mariam", "Layla", "Nour", "Huda", "Rania", "Samira"),
        "male": ("Mohammed", "Ahmad", "Ali", "Omar", "Khaled", "Hassan", "Yousef", "Karim"),
    },
    "turkish": {
        "female": ("Ayşe", "Elif", "Zeynep", "Emine", "Hatice", "Fatma", "Merve", "Esra"),
        "male": ("Mehmet", "Mustafa", "Ahmet", "Hüseyin", "İbrahim", "Emre", "Murat", "Can"),
    },
    "somali": {
        "female": ("Hodan", "Amina", "Faadumo", "Sahra", "Hibo", "Ayaan", "Nimco", "Ifrah"),
        "male": ("Abdi", "Abdullahi", "Mahad", "Farah", "Hamza", "Ismail", "Liban", "Yusuf"),
    },
    "afghan": {
        "female": ("Zahra", "Fereshta", "Mahnaz", "Parwana", "Shabnam", "Nargis", "Laila"),
        "male": ("Ahmad Shah", "Farid", "Habib", "Jawad", "Mustafa", "Nasir", "Wahid"),
    },
    "polish": {
        "female": ("Anna", "Katarzyna", "Magdalena", "Agnieszka", "Joanna", "Ewa", "Monika"),
        "male": ("Piotr", "Krzysztof", "Tomasz", "Paweł", "Marcin", "Andrzej", "Michał"),
    },
}

LAST_NAMES: dict[Origin, tuple[str, ...]] = {
    "danish": (
        "Nielsen",
        "Jensen",
        "Hansen",
        "Pedersen",
        "Andersen",
        "Christensen",
        "Larsen",
        "Sørensen",
        "Rasmussen",
        "Jørgensen",
        "Petersen",
        "Madsen",
        "Kristensen",
        "Olsen",
        "Thomsen",
        "Christiansen",
        "Poulsen",
        "Johansen",
        "Møller",
        "Mortensen",
        "Holm",
        "Lund",
        "Bach",
        "Dahl",
        "Skov",
        "Krogh",
        "Vestergaard",
        "Østergaard",
    ),
    "arabic": ("Hussein", "Ali", "Hassan", "Ibrahim", "Khalil", "Saleh", "Abdallah", "Haddad"),
    "turkish": ("Yılmaz", "Kaya", "Demir", "Şahin", "Çelik", "Öztürk", "Aydın", "Arslan"),
    "somali": ("Mohamed", "Ahmed", "Hussein", "Warsame", "Farah", "Abdi", "Omar", "Nur"),
    "afghan": ("Ahmadi", "Rahimi", "Karimi", "Hakimi", "Sultani", "Noori", "Popal"),
    "polish": ("Nowak", "Kowalski", "Wiśniewski", "Wójcik", "Kamiński", "Lewandowski"),
}

# Language code -> name origin, so that a patient's name fits their language.
ORIGIN_BY_LANGUAGE: dict[str, Origin] = {
    "ar": "arabic",
    "tr": "turkish",
    "so": "somali",
    "prs": "afghan",
    "fa": "afghan",
    "ps": "afghan",
    "pl": "polish",
}


def origin_for_language(language: str) -> Origin:
    return ORIGIN_BY_LANGUAGE.get(language, "danish")


def first_name(rng: np.random.Generator, sex: Sex, origin: Origin = "danish") -> str:
    names = FIRST_NAMES[origin][sex]
    return names[int(rng.integers(len(names)))]


def last_name(rng: np.random.Generator, origin: Origin = "danish") -> str:
    names = LAST_NAMES[origin]
    return names[int(rng.integers(len(names)))]


def full_name(rng: np.random.Generator, sex: Sex, origin: Origin = "danish") -> str:
    """A fictional full name; Danish names sometimes get a middle surname, as is common."""
    first = first_name(rng, sex, origin)
    last = last_name(rng, origin)
    if origin == "danish" and rng.random() < 0.25:
        middle = last_name(rng, origin)
        if middle != last:
            return f"{first} {middle} {last}"
    return f"{first} {last}"


def full_names(
    rng: np.random.Generator, sexes: list[Sex], origins: list[Origin] | None = None
) -> list[str]:
    """Names for many people at once (one draw each, in order)."""
    if origins is None:
        origins = ["danish"] * len(sexes)
    return [full_name(rng, s, o) for s, o in zip(sexes, origins, strict=True)]
