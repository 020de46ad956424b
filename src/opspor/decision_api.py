"""`POST /api/v1/assess`: the engine over HTTP, for clinicians' systems."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja.errors import HttpError

from opspor.accounts.guards import require_role
from opspor.accounts.models import Role
from opspor.api_errors import (
    BadRequestOut,
    DetailOut,
    ErrorOut,
    UnauthorizedOut,
    ValidationErrorOut,
)
from opspor.engine.assess import assess
from opspor.engine.assessment import Assessment
from opspor.engine.context import PatientContext
from opspor.engine.rules.loader import DEFAULT_RULESET, RULESETS

router = Router(tags=["decision support"])

# The engine reads only what the caller sends; no record is opened. It is still clinical
# decision support, so only clinicians may call it.
_CLINICAL_ROLES = {Role.GP, Role.UNIT_DOCTOR}


class AssessQuery(Schema):
    ruleset: str = DEFAULT_RULESET


@router.post(
    "/assess",
    response={
        200: Assessment,
        400: BadRequestOut,
        401: UnauthorizedOut,
        403: ErrorOut,
        # The schema's refusal of a malformed context, or an unknown rule set.
        422: ValidationErrorOut | DetailOut,
    },
    summary="Assess one patient context",
    description=(
        "Takes a PatientContext (the schema of `opspor assess --schema`) and returns the "
        f"Assessment. `ruleset` is one of {', '.join(RULESETS)}."
    ),
)
def assess_context(
    request: HttpRequest, context: PatientContext, query: Query[AssessQuery]
) -> Assessment:
    require_role(request.user, *_CLINICAL_ROLES)
    if query.ruleset not in RULESETS:
        raise HttpError(422, f"ruleset must be one of {', '.join(RULESETS)}")
    return assess(context, ruleset=query.ruleset)
