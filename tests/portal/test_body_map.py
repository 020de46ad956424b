"""The body map include as HTML: one reachable link per area in the picture and one in the
list, the same target and name for both, the chosen area marked, nothing a strict
Content-Security-Policy would block. The browser checks are in tests/e2e/test_body_map.py."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.template.loader import render_to_string

from opspor.portal import body_map
from opspor.portal.words import LabelledArea, load_words

AREAS = load_words().labelled_areas("da")


class _Links(HTMLParser):
    """Every <a> with its attributes, whether it is in the picture or the list, and its text."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[dict[str, str | None]] = []
        self._where: list[str] = []
        self._open: dict[str, str | None] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        classes = found.get("class") or ""
        if "body-map__picture" in classes:
            self._where.append("picture")
        elif "body-map__list" in classes:
            self._where.append("list")
        if tag == "a":
            self._open = {**found, "where": self._where[-1], "text": ""}
            self.links.append(self._open)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a":
            self._open = None

    def handle_data(self, data: str) -> None:
        if self._open is not None and data.strip():
            self._open["text"] = f"{self._open['text']} {data.strip()}".strip()


def _render(
    selected: str | None = "", areas: tuple[LabelledArea, ...] = AREAS, **extra: str
) -> str:
    context = {"areas": areas, "selected_area": selected, "base_url": "/patients/me/prepare/"}
    return render_to_string("portal/_body_map.html", {**context, **extra})


def _links(html: str) -> list[dict[str, str | None]]:
    parser = _Links()
    parser.feed(html)
    return parser.links


def test_every_area_is_drawn_where_its_side_says() -> None:
    for area in load_words().areas:
        in_front, in_back = area.key in body_map.FRONT, area.key in body_map.BACK
        if area.side == "front":
            assert in_front and not in_back, area.key
        elif area.side == "back":
            assert in_back and not in_front, area.key
        else:  # both: in both views, or no one place (a button)
            assert in_front == in_back, area.key
    assert [a.key for a in body_map.undrawn(AREAS)] == ["whole_body", "skin"]
    assert set(body_map.FRONT) | set(body_map.BACK) <= {a.key for a in AREAS}


def test_each_area_is_one_reachable_link_in_the_picture_and_one_in_the_list() -> None:
    links = _links(_render())
    reachable = [link for link in links if link.get("tabindex") != "-1"]
    picture = [link for link in reachable if link["where"] == "picture"]
    listed = [link for link in reachable if link["where"] == "list"]
    hrefs = [f"/patients/me/prepare/?area={a.key}" for a in AREAS]
    # The same targets in the same order, the keyboard's order.
    assert [link["href"] for link in picture] == hrefs
    assert [link["href"] for link in listed] == hrefs
    # The same names: the region's aria-label (a button's text) and the list item's text.
    assert [link.get("aria-label") or link["text"] for link in picture] == [a.label for a in AREAS]
    assert [link["text"] for link in listed] == [a.label for a in AREAS]


def test_an_area_drawn_in_both_views_is_reached_once_the_other_copy_is_hidden() -> None:
    copies = [link for link in _links(_render()) if link.get("tabindex") == "-1"]
    assert sorted(link["href"].rsplit("=", 1)[1] for link in copies) == sorted(  # type: ignore[union-attr]
        ["head", "neck", "arms", "legs"]
    )
    assert all(link.get("aria-hidden") == "true" for link in copies)
    assert all(link.get("aria-current") is None for link in copies)


@pytest.mark.parametrize("key", ["belly", "whole_body", "legs", "bottom"])
def test_the_chosen_area_is_current_in_the_picture_and_in_the_list(key: str) -> None:
    html = _render(key)
    current = [link for link in _links(html) if link.get("aria-current") == "true"]
    assert [(link["where"], link["href"]) for link in current] == [
        ("picture", f"/patients/me/prepare/?area={key}"),
        ("list", f"/patients/me/prepare/?area={key}"),
    ]
    label = next(a.label for a in AREAS if a.key == key)
    assert re.search(rf"Du har valgt:\s*<strong>{label}</strong>", html)


@pytest.mark.parametrize("selected", ["", None, "spleen", "<script>"])
def test_nothing_is_current_without_a_known_chosen_area(selected: str | None) -> None:
    html = _render(selected)
    assert "aria-current" not in html
    assert "body-map-chosen" not in html
    assert "<script>" not in html


def test_labels_and_keys_are_escaped_and_an_anchor_is_appended() -> None:
    odd = (LabelledArea("belly", "front", 'Maven <b>"ondt"</b>'),)
    html = _render("belly", areas=odd, anchor="symptoms")
    assert "<b>" not in html
    assert 'aria-label="Maven &lt;b&gt;&quot;ondt&quot;&lt;/b&gt;"' in html
    assert all(link["href"].endswith("?area=belly#symptoms") for link in _links(html))  # type: ignore[union-attr]


def test_the_include_has_no_inline_style_or_script() -> None:
    html = _render("belly")
    assert not re.search(r"\sstyle=|<style|<script|\son[a-z]+=", html)


def test_the_page_language_names_the_areas() -> None:
    arabic = load_words().labelled_areas("ar")
    links = _links(_render("", areas=arabic))
    listed = [link["text"] for link in links if link["where"] == "list"]
    assert listed == [a.label for a in arabic]
