"""Who may act on a case: a GP of its practice, or a doctor of its unit.

The role check that comes first (is this user a GP at all) is `accounts.guards`; this one
decides on the case itself, and raises the refusal the API and the screens both map.
"""

from __future__ import annotations

from typing import Literal, Protocol

from opspor.accounts.models import User
from opspor.casework.errors import WorkflowError
from opspor.records.selectors import practice_of, unit_of

# "gp": a GP of the case's practice acts; "unit": a doctor of the case's unit acts.
Side = Literal["gp", "unit"]


class Case(Protocol):
    """What the guard reads of a case: the practice it belongs to and, where it has one,
    the unit it is addressed to."""

    practice_id: int


def require_gp_of(user: User, practice_id: int) -> None:
    practice = practice_of(user) if user.is_active else None
    if practice is None or practice.pk != practice_id:
        raise WorkflowError("forbidden", "Only a GP of the referring practice may do this.")


def require_doctor_of(user: User, unit_id: int | None) -> None:
    unit = unit_of(user) if user.is_active else None
    if unit is None or unit_id is None or unit.pk != unit_id:
        raise WorkflowError("forbidden", "Only a doctor of the receiving unit may do this.")


def require_side(side: Side, user: User, case: Case) -> None:
    if side == "gp":
        require_gp_of(user, case.practice_id)
    else:
        require_doctor_of(user, getattr(case, "unit_id", None))


def side_of(user: User, case: Case) -> Side | None:
    """Which side of the case `user` is on, or None for anyone else."""
    if not user.is_active:
        return None
    practice = practice_of(user)
    if practice is not None and practice.pk == case.practice_id:
        return "gp"
    unit = unit_of(user)
    if unit is not None and unit.pk == getattr(case, "unit_id", None):
        return "unit"
    return None
