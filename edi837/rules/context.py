"""What rules can see: the run's policy and feeds, and per-claim facts rules share."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date

from edi837.claim.loop2300 import parse_d8
from edi837.claim.model import FORM_837I, Claim, Provider, ServiceLine
from edi837.digest import Digest
from edi837.feeds import Authorization, AuthorizationFeed, ProviderFeed
from edi837.policy import Policy
from edi837.rules.authorization import AuthMatch, match_authorizations
from edi837.rules.selection import RuleSelection


@dataclass(slots=True)
class RunContext:
    """Run-wide inputs: the policy profile, the reference feeds, the receipt date."""

    policy: Policy
    authorizations: AuthorizationFeed | None = None
    providers: ProviderFeed | None = None
    received: date | None = None  # --received; else each file's GS04
    validate: bool = False  # --validate: also run pyx12's full TR3 validation (slow)
    # Which rules run and which only warn: the policy's [rules] table unless given
    # (RuleSelection.build adds --select/--ignore/--warn).
    rules: RuleSelection | None = None
    envelope: str = "strict"  # --envelope lenient: trailer/label mismatches are warnings
    tr3: bool = True  # our own TR3 validation in the reading pass (--no-validate: off)

    def __post_init__(self) -> None:
        if self.rules is None:
            self.rules = RuleSelection.build(self.policy.rules, policy_name=self.policy.source_path)

    @classmethod
    def build(
        cls,
        policy: str | Policy = "bcbsma",
        authorizations: str | os.PathLike[str] | AuthorizationFeed | None = None,
        providers: str | os.PathLike[str] | ProviderFeed | None = None,
        received: date | None = None,
        *,
        validate: bool = False,
        select: tuple[str, ...] = (),
        ignore: tuple[str, ...] = (),
        warn: tuple[str, ...] = (),
        envelope: str = "strict",
        tr3: bool = True,
    ) -> RunContext:
        """The one place a run's context is made (CLI, drop folder, Spark, library): the
        policy by name or path, the feeds by path (or already loaded), the rule selection
        from the policy's [rules] table plus --select/--ignore/--warn. Raises
        ``Edi837Error`` naming the file when a policy or feed cannot be loaded."""
        from edi837.policy import load_policy

        profile = load_policy(policy) if isinstance(policy, str) else policy
        if isinstance(authorizations, str | os.PathLike):
            authorizations = AuthorizationFeed.load(authorizations)
        if isinstance(providers, str | os.PathLike):
            providers = ProviderFeed.load(providers)
        rules = RuleSelection.build(
            profile.rules, policy_name=profile.source_path, select=select, ignore=ignore, warn=warn
        )
        return cls(
            policy=profile,
            authorizations=authorizations,
            providers=providers,
            received=received,
            validate=validate,
            rules=rules,
            envelope=envelope,
            tr3=tr3,
        )

    @property
    def selection(self) -> RuleSelection:
        """``rules``, typed as set (``__post_init__`` fills it)."""
        assert self.rules is not None
        return self.rules


@dataclass(slots=True)
class ClaimContext:
    """One claim under the claim rules, with the facts several rules share, each worked
    out once on first use (so no rule depends on another having run first)."""

    run: RunContext
    claim: Claim
    _authorizations: dict[int, AuthMatch] | None = field(default=None, init=False, repr=False)

    @property
    def policy(self) -> Policy:
        return self.run.policy

    @property
    def authorizations(self) -> dict[int, AuthMatch]:
        """Each S-code line's authorization answer by LX01 (empty without a feed):
        SC008 reports the refusals, SC007 and SC009 read the covering order."""
        found = self._authorizations
        if found is None:
            feed = self.run.authorizations
            claim = self.claim
            found = self._authorizations = (
                match_authorizations(
                    feed, claim, lambda ln: {p.npi for _, p in ordering_candidates(claim, ln)}
                )
                if feed is not None
                else {}
            )
        return found

    @property
    def line_auth(self) -> dict[int, Authorization]:
        """The authorization covering each S-code line that has one, by LX01."""
        return {lx: m.auth for lx, m in self.authorizations.items() if m.auth is not None}

    @property
    def received(self) -> date | None:
        """Receipt date: --received if given, else the GS04 date of the claim's group."""
        if self.run.received is not None:
            return self.run.received
        try:
            return parse_d8(self.claim.envelope.GS04)
        except ValueError:
            return None

    def order_id(self, line: ServiceLine) -> str:
        """The order id for a line: line REF*G1 (837P), else claim REF*G1 (2300)."""
        return line.REF_G1 or self.claim.REF_G1


@dataclass(frozen=True, slots=True)
class TimelineContext:
    """One claim under the timeline rules: its digest (the claim was read in step 1;
    only the digest reached the judge) and the run's policy."""

    run: RunContext
    claim: Digest

    @property
    def policy(self) -> Policy:
        return self.run.policy


# 277CA entity identifier (STC01-3) of each provider role ``ordering_candidates`` names:
# status codes about an entity (96 no agreement, 252 authorization, 562 NPI) need it.
ROLE_ENTITY: dict[str, str] = {
    "ordering provider 2420E": "DK",
    "rendering provider 2420A": "82",
    "rendering provider 2310B": "82",
    "attending provider 2310A": "71",
    "referring provider 2310F": "DN",
    "billing provider 2010AA": "85",
}


def role_entity(role: str) -> str:
    """The entity code of a provider role (``ordering provider 2420E`` -> ``DK``)."""
    return ROLE_ENTITY[role]


def ordering_candidates(claim: Claim, line: ServiceLine) -> list[tuple[str, Provider]]:
    """Who ordered the service, as the guides let an 837 say it, best source first.

    837P: the line's ordering provider (2420E NM1*DK); else the line's rendering
    provider (2420A), the claim's rendering provider (2310B), then the billing provider.
    837I has no ordering loop: the attending (2310A) and referring (2310F) providers are
    both candidates, then the billing provider.
    """
    found: list[tuple[str, Provider | None]]
    if claim.form == FORM_837I:
        found = [
            ("attending provider 2310A", claim.attending),
            ("referring provider 2310F", claim.referring),
        ]
    else:
        found = [
            ("ordering provider 2420E", line.ordering),
            ("rendering provider 2420A", line.rendering),
            ("rendering provider 2310B", claim.rendering),
        ]
        first = next(((role, p) for role, p in found if p is not None and p.npi), None)
        found = [first] if first else []
    out = [(role, p) for role, p in found if p is not None and p.npi]
    return out or [("billing provider 2010AA", claim.billing)]
