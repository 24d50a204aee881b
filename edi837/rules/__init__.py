"""Every rule edi837 applies; importing this package registers them all."""

from edi837.rules import (  # noqa: F401  (imported to register)
    sc001_separate_claim,
    sc002_revenue_code,
    sc003_one_form,
    sc004_s0353_once,
    sc005_gap_after_s0353,
    sc006_s0354_interval,
    sc007_max_months,
    sc008_authorization,
    sc009_ordering_provider,
    sc010_eligible_state,
    sc011_units,
    sc012_timely_filing,
    sc013_effective_date,
    sc014_frequency,
    sc015_allowed_form,
    sc016_duplicate,
    sc017_service_after_receipt,
    sc018_traditional_medicare,
    str001_service_line,
    str002_npi,
    str003_dates,
    str004_balance,
    str005_claim_id_amounts,
    str006_service_date,
    str007_service_segment,
    structure,
)
from edi837.rules.registry import RULES, Rule, rules_of

__all__ = ["RULES", "Rule", "rules_of"]
