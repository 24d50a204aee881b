"""The rule registry: every rule edi837 applies, with its stable code and 277CA mapping.

Rules are small units. A *claim rule* looks at one claim (and the reference feeds); a
*timeline rule* looks at one claim against the patient's accepted S-code services (this
run's earlier claims and the history store). Both yield ``Finding`` objects and never
print, write or raise. Codes never change once released.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from edi837.claim.model import Position
from edi837.verdicts import Finding, Severity


@dataclass(frozen=True, slots=True)
class Rule:
    """A rule's identity and answer format; ``check`` does the work."""

    code: str
    title: str
    kind: str  # "claim", "timeline", "structure" or "envelope"
    category: str  # 277CA STC01-1
    status_code: str  # 277CA STC01-2
    cite: str  # policy parameter name whose citation applies, or a literal citation
    fix: str
    severity: Severity = Severity.REJECT
    check: Callable[..., Iterator[Finding]] | None = field(default=None, compare=False)

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
    ) -> Finding:
        citation = policy.cite(self.cite) if policy is not None else ""
        return Finding(
            rule=self.code,
            severity=severity or self.severity,
            message=message,
            fix=fix if fix is not None else self.fix,
            citation=citation or self.cite,
            category=category or self.category,
            status_code=status_code or self.status_code,
            line=line,
            segment=segment,
            loop=loop,
            value=value,
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
) -> Callable[[Callable[..., Iterator[Finding]]], Rule]:
    """Decorator: register a check function as a rule. ``stc`` is ``CATEGORY:STATUS``."""
    category, _, status = stc.partition(":")

    def wrap(check: Callable[..., Iterator[Finding]]) -> Rule:
        return register(Rule(code, title, kind, category, status, cite, fix, severity, check))

    return wrap


def rules_of(kind: str) -> list[Rule]:
    """Rules of one kind in code order (the order findings are reported in)."""
    return sorted((r for r in RULES.values() if r.kind == kind), key=lambda r: r.code)
