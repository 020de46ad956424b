"""axe-core in a Playwright page: run the WCAG 2.0, 2.1 and 2.2 A and AA rules and fail on
every serious or critical violation, naming each one so that it can be found and fixed.

axe-core comes from npm (package.json, a development dependency pinned to one version) and is
injected from node_modules, so the check runs without a network.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
# WCAG 2.0, 2.1 and 2.2 at levels A and AA (axe has no 2.2 level A rule of its own).
WCAG_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa")
FAILING_IMPACTS = frozenset({"serious", "critical"})


@dataclass(frozen=True)
class Violation:
    id: str
    impact: str
    help: str
    help_url: str
    targets: tuple[str, ...]
    summary: str  # axe's "fix any of / all of" text for the first node

    def describe(self) -> str:
        where = "\n      ".join(self.targets[:8])
        more = f" (and {len(self.targets) - 8} more)" if len(self.targets) > 8 else ""
        return (
            f"- {self.id} [{self.impact}]: {self.help}\n"
            f"    {self.help_url}\n"
            f"    where{more}:\n      {where}\n"
            f"    {self.summary}"
        )


def _violation(raw: dict[str, Any]) -> Violation:
    nodes = raw.get("nodes") or []
    targets = tuple(" ".join(str(part) for part in node.get("target", [])) for node in nodes)
    summary = " ".join(str(nodes[0].get("failureSummary", "")).split()) if nodes else ""
    return Violation(
        id=str(raw["id"]),
        impact=str(raw.get("impact") or "unknown"),
        help=str(raw.get("help", "")),
        help_url=str(raw.get("helpUrl", "")),
        targets=targets,
        summary=summary,
    )


def axe_violations(page: Page, *, tags: tuple[str, ...] = WCAG_TAGS) -> list[Violation]:
    """Every violation axe finds on the page as it is now, of any impact."""
    if not AXE.exists():
        pytest.skip("axe-core is not installed: run `npm ci` (or `make static`)")
    # Run through the DevTools protocol, which the page's Content-Security-Policy does not
    # govern; a <script> tag with axe inlined would be refused (and fail the test).
    page.evaluate("() => {\n" + AXE.read_text() + "\n}")
    results = page.evaluate(
        """async (tags) => await axe.run(document, {
            runOnly: {type: "tag", values: tags},
            resultTypes: ["violations"],
        })""",
        list(tags),
    )
    return [_violation(raw) for raw in results["violations"]]


def assert_accessible(page: Page, *, what: str = "") -> list[Violation]:
    """Fail on every serious or critical violation; return the lesser ones (moderate,
    minor) for the caller to look at."""
    found = axe_violations(page)
    failing = [v for v in found if v.impact in FAILING_IMPACTS]
    if failing:
        listing = "\n".join(v.describe() for v in failing)
        pytest.fail(
            f"axe-core found {len(failing)} serious or critical WCAG violation(s) on "
            f"{what or page.url}:\n{listing}",
            pytrace=False,
        )
    return [v for v in found if v.impact not in FAILING_IMPACTS]


# Links and buttons a person can see, with their size; a link inside a sentence (shown
# inline, and not a phone number) is WCAG 2.5.8's inline exception.
_SMALL_TARGETS = """(minimum) => [...document.querySelectorAll(
    'a[href], button, summary, input:not([type=hidden]), select, textarea')]
  .filter((e) => e.offsetParent !== null)
  .filter((e) => !(e.tagName === 'A' && getComputedStyle(e).display === 'inline'
                   && !e.getAttribute('href').startsWith('tel:')))
  .map((e) => {
    const box = e.getBoundingClientRect();
    const name = (e.innerText || e.value || e.getAttribute('aria-label') || '').trim();
    return {what: `${e.tagName.toLowerCase()} "${name.slice(0, 40)}"`,
            width: Math.round(box.width), height: Math.round(box.height)};
  })
  .filter((t) => t.width < minimum || t.height < minimum)"""


def assert_target_size(page: Page, *, minimum: int = 24, what: str = "") -> None:
    """WCAG 2.2, 2.5.8: every link and button that stands on its own is at least 24 by 24
    CSS pixels (axe's own rule lets a small target pass when it has room around it)."""
    small = page.evaluate(_SMALL_TARGETS, minimum)
    if small:
        listing = "\n".join(f"- {t['what']}: {t['width']}x{t['height']}" for t in small)
        pytest.fail(
            f"targets smaller than {minimum}x{minimum} CSS px on {what or page.url}:\n{listing}",
            pytrace=False,
        )
