"""Rule selection: which rules run, and which only warn, like ruff's --select/--ignore.

Why a table and not flags on each rule: a payer program may not enforce a rule (a plan
without month limits), and a biller may want a rule's findings reported without
rejecting claims while a feed is being fixed. The policy profile's ``[rules]`` table
sets a level per rule code or code prefix (``SC007 = "warning"``, ``SC00 = "off"``);
the command line's ``--select``, ``--ignore`` and ``--warn`` then win over it.

Levels: ``reject`` (the rule as designed: its findings keep their own severities),
``warning`` (its rejecting findings become warnings: the claim is accepted, the finding
reported) and ``off`` (the rule does not run). ENV001 is not selectable: an envelope the
999 rejects cannot be answered as accepted in the 277CA.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

from edi837.errors import Edi837Error
from edi837.rules.registry import RULES
from edi837.verdicts import Finding, Severity

LEVELS = ("reject", "warning", "off")
NOT_SELECTABLE = frozenset({"ENV001"})


class RuleSelectionError(Edi837Error):
    """A rule code or prefix that names no rule, or a level that is not one of LEVELS."""


def selectable_codes() -> list[str]:
    return sorted(code for code in RULES if code not in NOT_SELECTABLE)


def nearest_code(text: str, codes: Iterable[str] | None = None) -> str | None:
    """The registered code closest to ``text`` (difflib), or None when nothing is close."""
    pool = sorted(codes if codes is not None else RULES)
    text = text.strip().upper()
    # A typo in a code is one or two wrong, missing or extra characters (SC0O5, SC08):
    # count them (edit distance), which difflib's ratio does not; ties go to the lower code.
    if pool:
        distance, best = min((_edits(text, c), c) for c in pool)
        if distance <= 2:
            return best
    import difflib  # a mistyped code only

    found = difflib.get_close_matches(text, pool, n=1, cutoff=0.5)
    return found[0] if found else None


def _edits(a: str, b: str) -> int:
    """Levenshtein distance (codes are a few characters long)."""
    row = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, y in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (x != y))
    return row[-1]


def expand(pattern: str, *, where: str = "") -> list[str]:
    """The codes a code or prefix stands for (``SC00`` -> SC001..SC009).

    Raises RuleSelectionError naming ``where`` and the nearest code when none matches.
    """
    text = pattern.strip().upper()
    prefix = f"{where}: " if where else ""
    if text in NOT_SELECTABLE:
        raise RuleSelectionError(
            f"{prefix}{text} cannot be selected or turned off: an envelope error rejects the "
            "transaction set in the 999"
        )
    codes = [c for c in selectable_codes() if text and c.startswith(text)]
    if not codes:
        hint = nearest_code(text, selectable_codes())
        more = f" (did you mean {hint!r}?)" if hint else ""
        raise RuleSelectionError(
            f"{prefix}{pattern!r} names no rule{more}; `edi837 rules` lists them"
        )
    return codes


def split_codes(values: Iterable[str]) -> list[str]:
    """``("SC001,SC002", "SC005")`` -> ``["SC001", "SC002", "SC005"]`` (repeatable options
    that also take comma lists)."""
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


@dataclass(frozen=True, slots=True)
class RuleSelection:
    """The level of every rule that is not at its default, and who set it.

    ``levels`` maps a rule code to ``warning`` or ``off`` (``reject`` is the default and
    is not stored); ``sources`` says where each came from (``policy bcbsma``, ``--warn``).
    """

    levels: Mapping[str, str] = field(default_factory=dict)
    sources: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        policy_rules: Mapping[str, str] | None = None,
        *,
        policy_name: str = "",
        select: Iterable[str] = (),
        ignore: Iterable[str] = (),
        warn: Iterable[str] = (),
    ) -> RuleSelection:
        """Policy table first (in file order, so a code after its prefix refines it), then
        the command line: ``--select`` (only these run), ``--warn``, ``--ignore``."""
        levels: dict[str, str] = {}
        sources: dict[str, str] = {}
        where = f"policy {policy_name} [rules]" if policy_name else "policy [rules]"
        for pattern, level in (policy_rules or {}).items():
            if level not in LEVELS:
                raise RuleSelectionError(
                    f"{where} {pattern}: level {level!r} is not one of {', '.join(LEVELS)}"
                )
            for code in expand(pattern, where=f"{where} {pattern}"):
                levels[code], sources[code] = level, where
        selected = split_codes(select)
        if selected:
            chosen = {c for p in selected for c in expand(p, where="--select")}
            for code in selectable_codes():
                if code not in chosen:
                    levels[code], sources[code] = "off", "--select"
                elif levels.get(code) == "off":  # the command line wins over the policy
                    levels[code], sources[code] = "reject", "--select"
        for code in (c for p in split_codes(warn) for c in expand(p, where="--warn")):
            levels[code], sources[code] = "warning", "--warn"
        for code in (c for p in split_codes(ignore) for c in expand(p, where="--ignore")):
            levels[code], sources[code] = "off", "--ignore"
        changed = {c: lv for c, lv in levels.items() if lv != "reject"}
        return cls(changed, {c: sources[c] for c in changed})

    def level(self, code: str) -> str:
        return self.levels.get(code, "reject")

    def enabled(self, code: str) -> bool:
        return self.levels.get(code) != "off"

    def apply(self, findings: Iterable[Finding]) -> list[Finding]:
        """Drop the findings of rules turned off; turn rejections of warned rules into
        warnings (the claim is accepted, the finding is still reported)."""
        if not self.levels:
            return findings if isinstance(findings, list) else list(findings)
        out = []
        for f in findings:
            level = self.levels.get(f.rule)
            if level == "off":
                continue
            if level == "warning" and f.severity is Severity.REJECT:
                f = replace(f, severity=Severity.WARNING)
            out.append(f)
        return out

    def notes(self) -> list[str]:
        """Run notes for the report: what was turned off or down, and by whom."""
        out = []
        for level, verb in (("off", "turned off"), ("warning", "turned down to warnings")):
            by_source: dict[str, list[str]] = {}
            for code in sorted(c for c, lv in self.levels.items() if lv == level):
                by_source.setdefault(self.sources.get(code, ""), []).append(code)
            for source, codes in by_source.items():
                out.append(f"rules {verb} ({source}): {', '.join(codes)}")
        return out
