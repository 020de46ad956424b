"""Every indicator of the dashboard and the mirror, defined once, with what the page shows
about it: what is counted over what, in which period, and where the definition comes from.

The figures themselves are computed elsewhere (`figures/` from the application's tables,
`region/` from a region's Parquet files); both name an indicator by its ``id`` here, and a
test holds them to this list.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

Kind = Literal["count", "share", "per_1000", "days", "hours", "consultations"]
Section = Literal["intervals", "routes", "referrals", "advice", "frailty", "safety_nets", "signals"]

# Where a definition comes from. Opspor's own definitions say so: they are not a guideline.
AARHUS = _(
    "The Aarhus statement: Weller D, Vedsted P, Rubin G, et al. Br J Cancer 2012;106:1262-7, "
    "doi:10.1038/bjc.2012.68."
)
NCDA = _(
    "England's National Cancer Diagnosis Audit: Swann R, McPhail S, Witt J, et al. Diagnosing "
    "cancer in primary care: results from the National Cancer Diagnosis Audit. Br J Gen Pract "
    "2018;68:e63-e72, doi:10.3399/bjgp17X694169; three or more consultations: Lyratzopoulos G, "
    "Neal RD, Barbiere JM, et al. Lancet Oncol 2012;13:353-65."
)
ROUTES = _(
    "Routes to diagnosis after Elliss-Brookes L, McPhail S, Ives A, et al. Br J Cancer "
    "2012;107:1220-6, doi:10.3038/bjc.2012.408, in the Danish pathways: an organ-specific cancer "
    "patient pathway, the diagnostic pathway for non-specific symptoms (Sundhedsstyrelsen, "
    "revised 2022), another referral, an emergency presentation."
)
CONVERSION = _(
    "Conversion and detection rates as NHS England publishes them for urgent suspected cancer "
    "referrals: Meechan D, Gildea C, Hollingworth L, et al. Variation in use of the 2-week "
    "referral pathway for suspected cancer. Br J Gen Pract 2012;62:e590-7, "
    "doi:10.3399/bjgp12X654551. A cancer counts when diagnosed within 183 days of the referral "
    "(Opspor's window; the English figures use the cancer registry's linkage)."
)
OPSPOR = _(
    "Opspor's own definition, from the study's findings (see the design); not a published "
    "indicator."
)
SIGNALS = _(
    "Opspor's signal definitions (the engine's README: pattern break, rise in a previously low "
    "user, return after a long absence, repeated unexplained symptom)."
)


@dataclass(frozen=True)
class Indicator:
    """One indicator: what the page shows about it, and how it is compared."""

    id: str
    section: Section
    kind: Kind
    title: str | Promise
    numerator: str | Promise
    denominator: str | Promise
    period: str | Promise
    source: str | Promise
    # Compared between practices on a funnel plot (a share or a rate with a denominator).
    funnel: bool = False


BY_DIAGNOSIS = _("Cancers diagnosed in the period (date of diagnosis).")
BY_REFERRAL = _("Referrals sent in the period (date sent).")
BY_ADVICE = _("Advice requests sent in the period (date sent).")
BY_EPISODE = _("Safety-net episodes opened in the period.")
BY_SIGNAL = _(
    "On the day of the figures, with the signals as last computed in the period (the "
    "population scan or the practice's own computation)."
)


def _interval(id: str, title: str | Promise, start: str | Promise, end: str | Promise) -> Indicator:
    return Indicator(
        id=id,
        section="intervals",
        kind="days",
        title=title,
        numerator=_("Days from %(start)s to %(end)s (median and quartiles).")
        % {"start": start, "end": end},
        denominator=_("Cancers with both dates known and in order."),
        period=BY_DIAGNOSIS,
        source=AARHUS,
        funnel=False,
    )


def _route(id: str, title: str | Promise, route: str | Promise) -> Indicator:
    return Indicator(
        id=id,
        section="routes",
        kind="share",
        title=title,
        numerator=route,
        denominator=_("All cancers diagnosed in the period."),
        period=BY_DIAGNOSIS,
        source=ROUTES,
        funnel=id == "route_emergency",
    )


INDICATORS: tuple[Indicator, ...] = (
    _interval(
        "interval_patient", _("Patient interval"), _("first symptom"), _("first presentation")
    ),
    _interval(
        "interval_primary_care", _("Primary care interval"), _("first presentation"), _("referral")
    ),
    _interval(
        "interval_secondary_care", _("Secondary care interval"), _("referral"), _("diagnosis")
    ),
    _interval(
        "interval_diagnostic", _("Diagnostic interval"), _("first presentation"), _("diagnosis")
    ),
    _interval("interval_total", _("Total interval"), _("first symptom"), _("diagnosis")),
    Indicator(
        id="consultations_before_referral",
        section="intervals",
        kind="consultations",
        title=_("Consultations before referral"),
        numerator=_("GP consultations from the first presentation up to the referral."),
        denominator=_(
            "Cancers diagnosed after a referral from general practice, with the first "
            "presentation and the referral known and in order."
        ),
        period=BY_DIAGNOSIS,
        source=NCDA,
    ),
    Indicator(
        id="consultations_3_or_more",
        section="intervals",
        kind="share",
        title=_("Three or more consultations before referral"),
        numerator=_("Cancers with three or more GP consultations before the referral."),
        denominator=_(
            "Cancers diagnosed after a referral from general practice, with the first "
            "presentation and the referral known and in order."
        ),
        period=BY_DIAGNOSIS,
        source=NCDA,
        funnel=True,
    ),
    _route(
        "route_cancer_pathway",
        _("Through a cancer patient pathway"),
        _("Cancers diagnosed after a referral to an organ-specific cancer patient pathway."),
    ),
    _route(
        "route_dpf",
        _("Through the diagnostic pathway"),
        _(
            "Cancers diagnosed after a referral to the diagnostic pathway for non-specific "
            "symptoms."
        ),
    ),
    _route(
        "route_other_referral",
        _("After another referral"),
        _(
            "Cancers diagnosed after another referral. From a practice's record: every cancer "
            "without a referral sent through Opspor in the 183 days before its diagnosis, so "
            "another referral, an emergency presentation or a route the record does not hold."
        ),
    ),
    _route(
        "route_emergency",
        _("Emergency presentation"),
        _(
            "Cancers diagnosed after an emergency presentation. From the region's registers "
            "only: a practice's record does not hold emergency presentations."
        ),
    ),
    Indicator(
        id="referrals_sent",
        section="referrals",
        kind="count",
        title=_("Referrals sent"),
        numerator="",
        denominator=_(
            "Referrals sent to a diagnostic unit (a draft never sent is not counted; a "
            "referral withdrawn after sending is)."
        ),
        period=BY_REFERRAL,
        source=OPSPOR,
    ),
    Indicator(
        id="referral_conversion",
        section="referrals",
        kind="share",
        title=_("Conversion rate"),
        numerator=_("Referrals after which the patient was diagnosed with cancer within 183 days."),
        denominator=_("Referrals sent, whose 183 days have passed."),
        period=BY_REFERRAL,
        source=CONVERSION,
        funnel=True,
    ),
    Indicator(
        id="referral_detection",
        section="referrals",
        kind="share",
        title=_("Detection rate"),
        numerator=_("Cancers diagnosed within 183 days of a referral to a pathway."),
        denominator=_("Cancers diagnosed among the practice's patients."),
        period=BY_DIAGNOSIS,
        source=CONVERSION,
        funnel=True,
    ),
    Indicator(
        id="referral_accepted",
        section="referrals",
        kind="share",
        title=_("Accepted"),
        numerator=_("Referrals accepted by the unit."),
        denominator=_(
            "Referrals the unit has decided on: accepted, rejected or returned with advice "
            "(a referral withdrawn before the decision is not decided)."
        ),
        period=BY_REFERRAL,
        source=OPSPOR,
        funnel=True,
    ),
    Indicator(
        id="referral_rejected",
        section="referrals",
        kind="share",
        title=_("Rejected"),
        numerator=_("Referrals rejected."),
        denominator=_(
            "Referrals the unit has decided on: accepted, rejected or returned with advice "
            "(a referral withdrawn before the decision is not decided)."
        ),
        period=BY_REFERRAL,
        source=OPSPOR,
    ),
    Indicator(
        id="rejections_by_reason",
        section="referrals",
        kind="count",
        title=_("Rejections by reason"),
        numerator="",
        denominator=_("Referrals rejected, by the unit's reason."),
        period=BY_REFERRAL,
        source=OPSPOR,
    ),
    Indicator(
        id="rejection_with_plan",
        section="referrals",
        kind="share",
        title=_("Rejections with an alternative from the catalogue"),
        numerator=_(
            "Rejections whose plan names an alternative from the catalogue (its code, with or "
            "without words of the unit's own)."
        ),
        denominator=_(
            "Rejections (every rejection has a plan, from the catalogue or in free text only; "
            "free text alone is counted as less actionable)."
        ),
        period=BY_REFERRAL,
        source=OPSPOR,
    ),
    Indicator(
        id="rejection_unacknowledged",
        section="referrals",
        kind="count",
        title=_("Rejections not acknowledged"),
        numerator="",
        denominator=_(
            "Rejections of referrals sent in the period that no GP of the practice had "
            "acknowledged by the end of the day of the figures."
        ),
        period=_(
            "Referrals sent in the period (date sent), as they stood on the day of the figures."
        ),
        source=OPSPOR,
    ),
    Indicator(
        id="triage_in_time",
        section="referrals",
        kind="share",
        title=_("Triaged in time"),
        numerator=_("Referrals decided by the triage deadline."),
        denominator=_(
            "Referrals decided, or still undecided when their triage deadline passed (one "
            "withdrawn before its deadline is left out)."
        ),
        period=BY_REFERRAL,
        source=OPSPOR,
    ),
    Indicator(
        id="time_to_triage",
        section="referrals",
        kind="hours",
        title=_("Time to triage"),
        numerator=_("Clock hours from sending to the unit's decision (median and quartiles)."),
        denominator=_("Referrals decided."),
        period=BY_REFERRAL,
        source=OPSPOR,
    ),
    Indicator(
        id="first_contact_in_time",
        section="referrals",
        kind="share",
        title=_("Patient contacted in time"),
        numerator=_("Accepted referrals whose patient was contacted by the deadline."),
        denominator=_(
            "Accepted referrals whose patient was contacted, or not yet contacted when the "
            "deadline passed (one withdrawn before its deadline is left out)."
        ),
        period=BY_REFERRAL,
        source=OPSPOR,
    ),
    Indicator(
        id="advice_requests",
        section="advice",
        kind="count",
        title=_("Advice requests"),
        numerator="",
        denominator=_("Advice requests sent to a diagnostic unit."),
        period=BY_ADVICE,
        source=OPSPOR,
    ),
    Indicator(
        id="advice_without_referral",
        section="advice",
        kind="share",
        title=_("Advice requests that ended without a referral"),
        numerator=_(
            "Answered advice requests not followed by a referral of the patient sent from the "
            "request up to 90 days after the answer (a referral made from the request counts "
            "whenever it was sent)."
        ),
        denominator=_("Answered advice requests whose 90 days after the answer have passed."),
        period=BY_ADVICE,
        source=OPSPOR,
    ),
    Indicator(
        id="referrals_75_plus",
        section="frailty",
        kind="count",
        title=_("Referrals of patients aged 75 or more"),
        numerator="",
        denominator=_("Referrals sent for patients aged 75 or more on the day sent."),
        period=BY_REFERRAL,
        source=OPSPOR,
    ),
    Indicator(
        id="frailty_section_75_plus",
        section="frailty",
        kind="share",
        title=_("With the frailty section filled in"),
        numerator=_(
            "Referrals of patients 75+ sent with every field of the frailty section given, as "
            "the check at sending asks: the Clinical Frailty Scale, dementia, the patient's "
            "wish, the relatives' role, and whether surgery and chemotherapy could be tolerated."
        ),
        denominator=_("Referrals sent for patients aged 75 or more."),
        period=BY_REFERRAL,
        source=OPSPOR,
    ),
    Indicator(
        id="safety_nets_open",
        section="safety_nets",
        kind="count",
        title=_("Open safety nets"),
        numerator="",
        denominator=_("Safety-net episodes not closed, whenever they were opened."),
        period=_("On the day of the figures (the same number in every period)."),
        source=OPSPOR,
    ),
    Indicator(
        id="safety_nets_overdue",
        section="safety_nets",
        kind="count",
        title=_("Overdue safety nets"),
        numerator="",
        denominator=_(
            "Open safety-net episodes whose follow-up date is before the day of the figures."
        ),
        period=_("On the day of the figures (the same number in every period)."),
        source=OPSPOR,
    ),
    Indicator(
        id="safety_nets_closed",
        section="safety_nets",
        kind="count",
        title=_("Closed safety nets, by outcome"),
        numerator="",
        denominator=_("Safety-net episodes closed in the period."),
        period=_("Safety-net episodes closed in the period."),
        source=OPSPOR,
    ),
    Indicator(
        id="results_told_late",
        section="safety_nets",
        kind="share",
        title=_("Results not told in time"),
        numerator=_(
            "Results told to the patient more than 5 working days after they came, or not yet "
            "told by then (Opspor's working threshold: no published standard was found)."
        ),
        denominator=_(
            "Results of safety-net investigations that came in the period, told to the "
            "patient or whose 5 working days have passed."
        ),
        period=_("Results that came in the period."),
        source=OPSPOR,
        funnel=True,
    ),
    Indicator(
        id="signal_pattern_break",
        section="signals",
        kind="per_1000",
        title=_("Pattern breaks"),
        numerator=_(
            "Patients with a pattern break (also one in a previously low user, which the "
            "worklist shows as a marked rise in contacts), dismissed or not."
        ),
        denominator=_("Patients listed, in practices whose signals were computed in the period."),
        period=BY_SIGNAL,
        source=SIGNALS,
        funnel=True,
    ),
    Indicator(
        id="signal_any",
        section="signals",
        kind="per_1000",
        title=_("Any worklist signal"),
        numerator=_("Patients with any worklist signal, dismissed or not."),
        denominator=_("Patients listed, in practices whose signals were computed in the period."),
        period=BY_SIGNAL,
        source=SIGNALS,
        funnel=True,
    ),
    Indicator(
        id="signal_followed_up",
        section="signals",
        kind="share",
        title=_("Signals followed by a safety net or a referral within 30 days"),
        numerator=_(
            "Signals after which a safety-net episode was opened or a referral sent for the "
            "patient within 30 days (from the day raised to 30 days after)."
        ),
        denominator=_(
            "Signals raised in the period, whose 30 days have passed: a signal as it held after "
            "one of the patient's contacts, raised on that day, as far as the stored signals "
            "and dismissals tell; one held while a safety net was live never reached the "
            "worklist and is left out."
        ),
        period=_("Signals raised in the period."),
        source=SIGNALS,
        funnel=True,
    ),
)

BY_ID: dict[str, Indicator] = {indicator.id: indicator for indicator in INDICATORS}
