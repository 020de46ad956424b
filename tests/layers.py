"""The stack of apps, as data, and the check that every import goes down it.

Each module of `src/opspor` belongs to one layer; a module may import from its own app and
from the layers below its own, never from a layer above (README, "Architecture"). Every
`import` statement counts, also one inside a function or under `TYPE_CHECKING`: a lazy
import is still a dependency. The pure layer imports no Django at all.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

# Lowest first. A name is a package (every module in it) or one module.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("engine", ("opspor.engine",)),
    ("synth", ("opspor.synth",)),
    ("clock", ("opspor.casework.clock",)),
    # The population scan's expressions and runner: pure, above the engine whose
    # definitions it computes and the generator whose files it reads.
    ("population_scan", ("opspor.population.scan",)),
    (
        "base",
        (
            "opspor.config",
            "opspor.formats",
            "opspor.htmx",
            "opspor.languages",
            "opspor.api_errors",
            "opspor.api_requests",
            "opspor.headers",
            "opspor.readonly_admin",
            "opspor.request_ids",
            # Backing up and restoring the database: Django's connection, no app of ours.
            "opspor.backups",
        ),
    ),
    ("accounts", ("opspor.accounts",)),
    ("records", ("opspor.records",)),
    ("casework", ("opspor.casework",)),
    ("referrals", ("opspor.referrals",)),
    # A safety-net episode follows the patient's referrals (a referral sent links to it).
    ("safetynet", ("opspor.safetynet",)),
    # The scan's results become the practices' worklist signals (safetynet's).
    ("population", ("opspor.population",)),
    ("portal", ("opspor.portal",)),
    # The quality unit's figures read every case-work app; beside the portal, below interop.
    ("quality", ("opspor.quality",)),
    # Reads and writes the record, referrals and safety nets in FHIR; answers CDS Hooks.
    ("interop", ("opspor.interop",)),
    ("demo", ("opspor.demo",)),
    (
        "project",
        (
            "opspor.api",
            "opspor.decision_api",
            "opspor.urls",
            "opspor.cli",
            "opspor.settings",
            "opspor.logconfig",
            "opspor.wsgi",
            "opspor.health",
            "opspor.gunicorn_conf",
            "opspor.warmup",
            "opspor",
        ),
    ),
)
# No Django in these: the decision-support core, the generator and the working-day clock.
PURE = frozenset({"engine", "synth", "clock", "population_scan"})
# Layers whose modules may use each other: small shared helpers at the bottom, and the
# project's wiring (settings, URLs, the API object) at the top.
SHARED = frozenset({"base", "project"})


@dataclass(frozen=True)
class Violation:
    module: str
    line: int
    imported: str
    why: str

    def __str__(self) -> str:
        return f"{self.module}:{self.line} imports {self.imported}: {self.why}"


def owner(module: str) -> tuple[int, str, str] | None:
    """(layer index, layer name, the app or module it belongs to) of an opspor module."""
    best: tuple[int, str, str] | None = None
    for index, (layer, names) in enumerate(LAYERS):
        for name in names:
            # `opspor` itself is the project's package file, not everything below it.
            inside = module == name or (name != "opspor" and module.startswith(name + "."))
            if inside and (best is None or len(name) > len(best[2])):
                best = (index, layer, name)
    return best


def module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports(path: Path, module: str) -> Iterator[tuple[int, str]]:
    """Every module `path` imports, with the line, relative imports resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            if base == "opspor":  # `from opspor import referrals` names a package
                for alias in node.names:
                    yield node.lineno, f"{base}.{alias.name}"
            else:
                yield node.lineno, base


def violations(root: Path) -> list[Violation]:
    """Every import in the package at `root` (the `opspor` folder) that breaks the stack."""
    found: list[Violation] = []
    for path in sorted(root.rglob("*.py")):
        module = module_name(root, path)
        mine = owner(module)
        if mine is None:
            found.append(Violation(module, 0, "-", "belongs to no layer; add it to LAYERS"))
            continue
        for line, imported in imports(path, module):
            top = imported.split(".")[0]
            if mine[1] in PURE and top == "django":
                found.append(Violation(module, line, imported, "the pure layer uses no Django"))
            if top != "opspor":
                continue
            theirs = owner(imported)
            if theirs is None or theirs[2] == mine[2] or _parent_package(imported, module):
                continue
            if theirs[0] > mine[0] or (theirs[0] == mine[0] and mine[1] not in SHARED):
                found.append(
                    Violation(
                        module,
                        line,
                        imported,
                        f"layer {mine[1]!r} may not import from layer {theirs[1]!r}",
                    )
                )
    return found


def _parent_package(imported: str, module: str) -> bool:
    # A module's own parent packages (`opspor`, `opspor.casework` for the clock) come with it.
    return module.startswith(imported + ".")
