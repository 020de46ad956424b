"""No patient in a page's title: a title ends up in the browser's history, its tab list and
a shared screen. The name is in the page's heading only."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from tests.records.worlds import make_practices

TEMPLATES = Path(__file__).resolve().parents[1] / "src/opspor"
TITLE_BLOCK = re.compile(r"{%\s*block title\s*%}(.*?){%\s*endblock", re.DOTALL)
TITLE = re.compile(r"<title>(.*?)</title>", re.DOTALL)


def _title_blocks() -> list[tuple[str, str]]:
    return [
        (str(path.relative_to(TEMPLATES)), block)
        for path in sorted(TEMPLATES.glob("**/templates/**/*.html"))
        for block in TITLE_BLOCK.findall(path.read_text(encoding="utf-8"))
    ]


def test_every_title_is_fixed_words_only() -> None:
    blocks = _title_blocks()
    assert len(blocks) >= 20
    with_values = [(path, block) for path, block in blocks if "{{" in block]
    assert with_values == [], "a title shows a value (a patient's name?); put it in the heading"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "page", ["records:patient_overview", "referrals:new", "referrals:advice_new"]
)
def test_a_patients_page_has_the_name_in_the_heading_not_the_title(page: str) -> None:
    practices = make_practices()
    client = Client()
    client.force_login(practices.user)
    response = client.get(reverse(page, args=[practices.mine.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    (title,) = TITLE.findall(html)
    assert "Karen Holm" not in title and practices.mine.cpr not in title
    assert "Karen Holm" in html[html.index("<h1") :]
