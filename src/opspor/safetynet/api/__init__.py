"""Safety-net episodes over the JSON API, for the GPs of the patient's practice.

The endpoints parse, call one selector or service, and shape the answer, as the referral
API does: a role other than a GP is refused with 403 before anything is read, an episode or
investigation of another practice is 404 and nothing changes, and a service's refusal
(`WorkflowError`) is mapped to its status once, in `opspor.api`. An action has one name:
the path's last segment is the service's verb (`mark-told` is `investigation_mark_told`).
"""

from ninja import Router

from opspor.safetynet.api import dismissals, episodes, investigations, worklist

router = Router()
router.add_router("", episodes.router)
router.add_router("", investigations.router)
router.add_router("", worklist.router)
router.add_router("", dismissals.router)
