"""The discovery response: the one service Opspor offers, and the data it asks for."""

from __future__ import annotations

from typing import Any

from opspor.interop.cds_hooks.prefetch import PREFETCH

SERVICE_ID = "opspor-patient-view"
HOOK = "patient-view"
TITLE = "Opspor: early signs of cancer in general practice"
DESCRIPTION = (
    "When a patient's chart is opened, reads the record sent as prefetch (conditions, "
    "observations, encounters, medicines, family history) and answers with the guideline "
    "criteria for a suspected-cancer referral that the recorded data meet, signals in the "
    "pattern of contacts, and the tests missing before a diagnostic pathway referral, each "
    "with its source. It supports the GP's judgement and does not decide."
)


def discovery() -> dict[str, Any]:
    return {
        "services": [
            {
                "hook": HOOK,
                "title": TITLE,
                "description": DESCRIPTION,
                "id": SERVICE_ID,
                "prefetch": {spec.key: spec.template for spec in PREFETCH},
            }
        ]
    }
