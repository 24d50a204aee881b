"""Build rule scenarios from synthetic claims and run them through the real screener.

A scenario writes real 837 files with the project's generator, real authorization and
provider CSVs, and screens them with ``Screening`` exactly as the CLI does; tests then
assert on the verdicts by claim id.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from edi837.feeds import AUTH_COLUMNS, AuthorizationFeed, ProviderFeed
from edi837.npi import make_npi
from edi837.policy import load_policy
from edi837.rules.context import RunContext
from edi837.screening import Screening
from edi837.store.base import HistoryStore
from edi837.synth.spec import ClaimSpec, LineSpec
from edi837.synth.writer import write_837_file
from edi837.verdicts import Verdict

ORDERING_NPI = make_npi("123450001")
OTHER_NPI = make_npi("123450002")
OUT_NPI = make_npi("123450003")
BILLING_NPI = make_npi("123450004")
MEMBER = "MBR0001"
ORDER = "ORD1001"
DAY0 = date(2026, 3, 2)


def s_line(procedure: str = "S0354", day: date = DAY0, **kw) -> LineSpec:
    kw.setdefault("ordering_npi", ORDERING_NPI)
    return LineSpec(procedure=procedure, service_date=day, **kw)


def s_claim(
    claim_id: str,
    procedure: str = "S0354",
    day: date = DAY0,
    *,
    form: str = "837P",
    member: str = MEMBER,
    order: str | None = ORDER,
    lines: list[LineSpec] | None = None,
    line_kw: dict | None = None,
    **kw,
) -> ClaimSpec:
    """An S-code claim that passes every rule under the default scenario feeds."""
    kw.setdefault("billing_npi", BILLING_NPI)
    if form == "837I":
        kw.setdefault("attending_npi", ORDERING_NPI)
    line = s_line(procedure, day, **(line_kw or {}))
    return ClaimSpec(
        claim_id=claim_id, member_id=member, form=form, ref_g1=order, lines=lines or [line], **kw
    )


def days(n: int) -> date:
    return DAY0 + timedelta(days=n)


@dataclass
class Auth:
    order_id: str = ORDER
    member_id: str = MEMBER
    ordering_npi: str = ORDERING_NPI
    valid_from: date = date(2026, 1, 1)
    valid_to: date = date(2026, 12, 31)
    s_codes: str = "S0353|S0354"
    s0354_max_months: str = ""
    pathway_eligible_id: str = "PE1"
    status: str = "authorized"
    regimen: str | None = None  # optional feed column; None: the column is left out


@dataclass
class Scenario:
    """Files of claims plus feeds; ``run()`` screens them and returns verdicts by claim id."""

    tmp: Path
    policy: str = "bcbsma"
    auths: list[Auth] = field(default_factory=lambda: [Auth()])
    providers: list[tuple[str, str, str, str]] = field(
        default_factory=lambda: [
            (ORDERING_NPI, "ORDERING DOC", "in", "MA"),
            (OTHER_NPI, "OTHER DOC", "in", "MA"),
            (OUT_NPI, "OUT DOC", "out", "MA"),
            (BILLING_NPI, "SYNTHETIC ONCOLOGY", "in", "MA"),
        ]
    )
    files: list[list[ClaimSpec]] = field(default_factory=list)
    received: date | None = date(2026, 11, 2)
    use_auths: bool = True
    use_providers: bool = True

    def file(self, *claims: ClaimSpec) -> Scenario:
        self.files.append(list(claims))
        return self

    def _write_feeds(self) -> tuple[Path, Path]:
        self.tmp.mkdir(parents=True, exist_ok=True)
        auth_path = self.tmp / "auths.csv"
        with open(auth_path, "w", newline="") as fh:
            w = csv.writer(fh)
            regimen = any(a.regimen is not None for a in self.auths)
            w.writerow([*AUTH_COLUMNS, *(["regimen"] if regimen else [])])
            for a in self.auths:
                w.writerow(
                    [
                        a.order_id,
                        a.member_id,
                        a.ordering_npi,
                        a.valid_from,
                        a.valid_to,
                        a.s_codes,
                        a.s0354_max_months,
                        a.pathway_eligible_id,
                        a.status,
                    ]
                    + ([a.regimen or ""] if regimen else [])
                )
        prov_path = self.tmp / "providers.csv"
        with open(prov_path, "w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["npi", "name", "network", "state"])
            w.writerows(self.providers)
        return auth_path, prov_path

    def paths(self) -> list[Path]:
        self.tmp.mkdir(parents=True, exist_ok=True)
        out = []
        for i, claims in enumerate(self.files):
            path = self.tmp / f"batch{i:02d}.837"
            write_837_file(path, claims, isa_control=i + 1)
            out.append(path)
        return out

    def run_context(self) -> RunContext:
        auth_path, prov_path = self._write_feeds()
        return RunContext(
            policy=load_policy(self.policy),
            authorizations=AuthorizationFeed.load(auth_path) if self.use_auths else None,
            providers=ProviderFeed.load(prov_path) if self.use_providers else None,
            received=self.received,
        )

    def run(self, history: HistoryStore | None = None) -> dict[str, Verdict]:
        screening = Screening(self.paths(), self.run_context(), history)
        verdicts = list(screening.verdicts())
        by_id = {v.claim.CLM01: v for v in verdicts}
        assert len(by_id) == len(verdicts), "claim ids must be unique in a scenario"
        return by_id


def rules_of(verdict: Verdict, *, rejecting: bool = True) -> set[str]:
    return {f.rule for f in verdict.findings if f.rejects or not rejecting}


def money(value: str) -> Decimal:
    return Decimal(value)
