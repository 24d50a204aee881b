"""SC007: S0354 at most the authorized number of months per authorization."""

from __future__ import annotations

from collections.abc import Iterator

from edi837.digest import LineDigest
from edi837.rules.context import TimelineContext
from edi837.rules.registry import rule
from edi837.timeline import Service
from edi837.verdicts import Finding, Severity


@rule(
    "SC007",
    title="S0354 within the authorized months",
    kind="timeline",
    stc="A7:674",
    cite="s0354_max_months",
    fix="The order's S0354 months are used up: request a new order before billing more.",
)
def max_months(ctx: TimelineContext, line: LineDigest, prior: list[Service]) -> Iterator[Finding]:
    """Counts S0354 units already accepted under the same order id. The limit is the
    authorization's ``s0354_max_months`` if the feed gives one, else the profile default
    (11 bcbsma, 5 "as issued" carelon-ma), never above the profile cap (bcbsma: 11). The
    Medical Oncology Program has no default: without a number on the authorization, a
    warning says no limit could be applied. The feed's optional ``regimen`` column:
    under carelon-ma an ``indefinite`` regimen ("planned until disease progression") is
    limited to six months (``s0354_max_months_indefinite``), a ``fixed`` one to the
    order's months, five when the order gives none."""
    if line.procedure != "S0354":
        return
    order_id, regimen = line.order_id, line.regimen  # the covering order's, else REF*G1
    limit = ctx.policy.max_months(line.s0354_max_months, regimen)
    where = {"line": line.LX01, "segment": line.date_at, "loop": "2400", "value": order_id}
    if limit is None:
        yield max_months.finding(
            f"S0354 under order {order_id or '(none)'}: no month limit on the authorization "
            "and none in the profile; the count was not checked",
            severity=Severity.WARNING,
            policy=ctx.policy,
            fix="Add s0354_max_months to the authorization feed.",
            **where,
        )
        return
    used = sum(s.units for s in prior if s.procedure == "S0354" and s.order_id == order_id)
    units = line.unit_count
    billed = int(units) if units == int(units) else 1
    if used + billed > limit:
        yield max_months.finding(
            f"S0354 on {line.service_date} would be month {used + billed} under order "
            f"{order_id or '(no order id)'}; the limit is {limit}"
            + (f" ({regimen} regimen)" if regimen else ""),
            policy=ctx.policy,
            **where,
        )
