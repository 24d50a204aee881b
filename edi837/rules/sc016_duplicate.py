"""SC016: an S-code claim resent unchanged is a duplicate of the claim already accepted."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from datetime import date
from decimal import Decimal, InvalidOperation

from edi837.claim.model import Position
from edi837.rules.registry import rule
from edi837.store.base import ClaimRecord
from edi837.timeline import Service
from edi837.verdicts import Finding, Severity

CITE = (
    "DOMAIN.md section 4 (277CA claim status code 54: duplicate of a previously "
    "processed claim/line)"
)

# What makes two claims the same claim: billing NPI and, per S-code line, (procedure,
# service date, units, charge, ordering NPI).
# The form is part of it: the same service on the other form is SC003's case.
Content = tuple[str, str, tuple[tuple[str, date, int, str, str], ...]]


def money(value: Decimal | str) -> str:
    """A charge as compared and stored: two decimals ("300" and "300.00" are one charge)."""
    try:
        return f"{Decimal(value):.2f}"
    except (InvalidOperation, ValueError):
        return str(value)


def content_of(services: Iterable[Service]) -> Content:
    services = list(services)
    billing = services[0].billing_npi if services else ""
    form = services[0].form if services else ""
    return (
        billing,
        form,
        tuple(
            sorted(
                (s.procedure, s.service_date, s.units, s.charge, s.ordering_npi) for s in services
            )
        ),
    )


@rule(
    "SC016",
    title="Not a duplicate of an accepted claim",
    kind="duplicate",
    stc="A7:54",
    cite=CITE,
    fix="This claim was already accepted; do not resend it. To correct it, send a "
    "replacement (CLM05-3 7) naming the original in REF*F8.",
)
def duplicate(
    mine: list[Service],
    prior: Iterable[Service],
    claims: Mapping[str, ClaimRecord],
    content_hash: str,
    isa13: str,
    where: Position | None = None,
) -> Iterator[Finding]:
    """An S-code claim whose content equals an accepted claim's -- same patient, and on
    every S-code line the same procedure, service date, units and charge, ordering NPI,
    and the same billing NPI and form -- from another file or another interchange (ISA13) is the
    same claim sent again: it is rejected as a duplicate (status 54), naming the earlier
    claim and where it came from, rather than as a frequency violation. Re-screening the
    very same file is not a duplicate: its claims have the same origin and keep their
    verdicts -- an accepted one stays accepted even when the per-claim rules would now
    reject it (feeds, policy or receipt date changed): it was forwarded, and an info
    note says what they would say. Two such claims within one interchange are left to
    the frequency rules."""
    if not mine or not mine[0].billing_npi:
        return
    target = content_of(mine)
    by_origin: dict[str, list[Service]] = defaultdict(list)
    for s in prior:
        if s.charge:  # imported or migrated services carry no charge: never a match
            by_origin[s.source].append(s)
    for origin, services in sorted(by_origin.items()):
        if origin == mine[0].source or content_of(services) != target:
            continue
        earlier = claims.get(origin)
        if (
            earlier is not None
            and earlier.content_hash == content_hash
            and (earlier.isa13 == isa13)
        ):
            continue  # same file and interchange: not a resend
        name = services[0].claim_id
        came = (
            f"{earlier.source_file} (ISA13 {earlier.isa13})"
            if earlier is not None
            else "the history store"
        )
        yield duplicate.finding(
            f"duplicate of claim {name} accepted from {came}: same patient, procedure, "
            "service date, units, charge, billing and ordering NPI",
            segment=where,
            loop="2300",
            value=name,
        )
        return


def kept(where: Position | None, reasons: tuple[str, ...]) -> Finding:
    """The note on a claim the store already holds accepted from the very same origin
    (file content and CLM ordinal) whose per-claim rules now reject it (the feeds, the
    policy or the receipt date changed since): the claim was forwarded, and re-screening
    an accepted claim never reverses it (DOMAIN.md section 4). The answer step reads
    this note (``is_kept``) and reports those rejections as warnings."""
    return duplicate.finding(
        "accepted in an earlier screening of this very claim (same file and position) and "
        "forwarded; it stays accepted. Judged afresh it would be rejected: " + "; ".join(reasons),
        severity=Severity.INFO,
        segment=where,
        loop="2300",
        fix="",
    )


def is_kept(finding: Finding) -> bool:
    """True for the note ``kept`` writes."""
    return finding.rule == duplicate.code and finding.severity is Severity.INFO
