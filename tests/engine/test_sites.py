from __future__ import annotations

from opspor.engine.ppv import load_ppv_table
from opspor.engine.rules.loader import RULESETS, load_ruleset
from opspor.engine.sites import SITE_NAMES


def test_every_site_in_the_rules_and_the_ppv_table_has_a_name() -> None:
    used = {rule.cancer_site for name in RULESETS for rule in load_ruleset(name).rules}
    used |= {row.cancer_site for row in load_ppv_table().rows}
    assert used <= set(SITE_NAMES)
