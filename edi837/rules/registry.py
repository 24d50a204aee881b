"""The rule registry: every rule edi837 applies, with its stable code and 277CA mapping.

Rules are small units. A *claim rule* looks at one claim (and the reference feeds); a
*timeline rule* looks at one claim against the patient's accepted S-code services (this
run's earlier claims and the history store). Both yield ``Finding`` objects and never
print, write or raise. Codes never change once released.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from edi837.claim.model import Position
from edi837.verdicts import Finding, Severity


@dataclass(frozen=True, slots=True)
class Stc:
    """One 277CA answer: STC01 ``category:status[:entity]`` and, for a status code whose
    usage note asks for "at least one other status code" (21, 732), the specific code
    sent beside it in STC10 (``detail``, itself ``category:status[:entity]``).

    Why declared data and not a lookup in the writer: what a rule means is the rule's
    business (which entity's NPI, which field is inconsistent), and ``docs/rules.md`` and
    ``edi837 rules CODE`` show exactly what the 277CA will say.
    """

    category: str
    status: str
    entity: str = ""  # STC01-3 entity identifier code (85 billing, DK ordering, ...)
    detail: str = ""  # STC10: the specific code a 21/732 needs

    @classmethod
    def parse(cls, text: str, detail: str = "") -> Stc:
        """``A7:562:85`` -> Stc("A7", "562", "85")."""
        category, _, rest = text.partition(":")
        status, _, entity = rest.partition(":")
        return cls(category, status, entity, detail)

    @property
    def code(self) -> str:
        """STC01 as text: ``A7:562:85`` (``A7:84`` without an entity)."""
        return ":".join(p for p in (self.category, self.status, self.entity) if p)

    def __str__(self) -> str:
        return f"{self.code} + STC10 {self.detail}" if self.detail else self.code


# Status codes whose usage note (code source 508) requires an entity code in STC01-3
# (or STC10-3) and those that require a second, specific status code.
NEEDS_ENTITY = frozenset({"16", "19", "96", "252", "562", "677"})
NEEDS_DETAIL = frozenset({"21", "732"})


def _no_branches() -> Mapping[str, Stc]:
    return MappingProxyType({})


@dataclass(frozen=True, slots=True)
class Rule:
    """A rule's identity and answer format; ``check`` does the work.

    ``category``/``status_code`` (with ``entity`` and ``detail``) are the rule's usual
    277CA answer; ``branches`` names the other answers some of its findings give (SC008:
    a missing order id is ``A6:252``, an order of another member ``A8:252``), each
    finding choosing one with ``branch=``.
    """

    code: str
    title: str
    kind: str  # "claim", "timeline", "structure" or "envelope"
    category: str  # 277CA STC01-1
    status_code: str  # 277CA STC01-2
    cite: str  # policy parameter name whose citation applies, or a literal citation
    fix: str
    severity: Severity = Severity.REJECT
    check: Callable[..., Iterator[Finding]] | None = field(default=None, compare=False)
    entity: str = ""  # 277CA STC01-3, when the status code is about an entity
    detail: str = ""  # 277CA STC10, when the status code needs a second code (21, 732)
    branches: Mapping[str, Stc] = field(default_factory=_no_branches, compare=False)

    @property
    def stc(self) -> Stc:
        """The rule's usual 277CA answer."""
        return Stc(self.category, self.status_code, self.entity, self.detail)

    def answers(self) -> list[tuple[str, Stc]]:
        """Every answer the rule can give: ``("", usual)`` first, then each branch."""
        return [("", self.stc), *self.branches.items()]

    @property
    def rationale(self) -> str:
        """The check's docstring, dedented: Python 3.13 strips docstring indentation at
        compile time and 3.11/3.12 do not, so the raw ``__doc__`` differs by version."""
        return inspect.cleandoc(self.check.__doc__ or "") if self.check else ""

    def finding(
        self,
        message: str,
        *,
        policy: Any = None,
        line: int | None = None,
        segment: Position | None = None,
        loop: str = "",
        value: str = "",
        fix: str | None = None,
        severity: Severity | None = None,
        category: str | None = None,
        status_code: str | None = None,
        branch: str = "",
        entity: str | None = None,
    ) -> Finding:
        """A finding of this rule. ``branch`` picks one of the declared ``branches``
        (KeyError for an undeclared one: every answer is declared); ``entity`` sets
        STC01-3 for a finding whose entity depends on the claim (which provider role).
        ``category``/``status_code`` remain for callers that predate ``branches``."""
        citation = policy.cite(self.cite) if policy is not None else ""
        stc = self.branches[branch] if branch else self.stc
        if category or status_code:
            stc = Stc(category or stc.category, status_code or stc.status, stc.entity)
        return Finding(
            rule=self.code,
            severity=severity or self.severity,
            message=message,
            fix=fix if fix is not None else self.fix,
            citation=citation or self.cite,
            category=stc.category,
            status_code=stc.status,
            line=line,
            segment=segment,
            loop=loop,
            value=value,
            entity=stc.entity if entity is None else entity,
            detail=stc.detail,
        )


RULES: dict[str, Rule] = {}


def register(rule: Rule) -> Rule:
    if rule.code in RULES:
        raise ValueError(f"rule code {rule.code} registered twice")
    RULES[rule.code] = rule
    return rule


def rule(
    code: str,
    *,
    title: str,
    kind: str,
    stc: str,
    cite: str,
    fix: str,
    severity: Severity = Severity.REJECT,
    detail: str = "",
    branches: Mapping[str, str | tuple[str, str]] | None = None,
) -> Callable[[Callable[..., Iterator[Finding]]], Rule]:
    """Decorator: register a check function as a rule. ``stc`` is
    ``CATEGORY:STATUS[:ENTITY]``, ``detail`` its STC10 code; ``branches`` maps a branch
    name to its ``CATEGORY:STATUS[:ENTITY]`` (or ``(stc, detail)``)."""
    usual = Stc.parse(stc, detail)
    table = {
        name: Stc.parse(*((value,) if isinstance(value, str) else value))
        for name, value in (branches or {}).items()
    }

    def wrap(check: Callable[..., Iterator[Finding]]) -> Rule:
        return register(
            Rule(
                code, title, kind, usual.category, usual.status, cite, fix, severity, check,
                entity=usual.entity, detail=usual.detail, branches=MappingProxyType(table),
            )
        )  # fmt: skip

    return wrap


def rules_of(kind: str) -> list[Rule]:
    """Rules of one kind in code order (the order findings are reported in)."""
    return sorted((r for r in RULES.values() if r.kind == kind), key=lambda r: r.code)
