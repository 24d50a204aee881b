"""Payer policy profiles: the rule parameters of one payer program, as data.

A profile is a TOML file (three ship inside this package). Every parameter is a table
with its value and the seed ``source`` (file, heading) and ``quote`` it comes from, so
``edi837 policies show NAME`` can print the citation next to each number. A user copies
a profile, edits values and passes the path with ``--policy``: no code changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from edi837.errors import PolicyError
from edi837.policy.strict import check_policy, decode_policy, parse_toml

SHIPPED = ("bcbsma", "mop", "carelon-ma")
DEFAULT_POLICY = "bcbsma"


@dataclass(frozen=True, slots=True)
class Citation:
    source: str
    quote: str = ""
    note: str = ""

    def __str__(self) -> str:
        return self.source


@dataclass(frozen=True, slots=True)
class Policy:
    """The parameters the rules read; ``citations`` maps parameter name to its seed."""

    name: str
    title: str
    payer: str
    separate_claim: bool
    allowed_forms: tuple[str, ...]
    one_form: bool
    required_revenue_code: str
    retired_revenue_codes: tuple[str, ...]
    fee_method: str  # "flat" or "lesser_of_billed"
    fee_amount: Decimal
    s0353_once_per_patient: bool
    s0354_min_interval_days: int
    s0354_gap_after_s0353_days: int
    s0354_max_months_default: int | None
    s0354_max_months_cap: int | None
    s0354_max_months_indefinite: int | None
    eligible_states: tuple[str, ...]
    in_network_required: bool
    units_per_line: int
    timely_filing_days: int
    code_effective_date: date
    source_path: str = ""
    citations: dict[str, Citation] = field(default_factory=dict)
    rules: dict[str, str] = field(default_factory=dict)  # [rules]: code/prefix -> level
    # Optional in a profile (a copied older profile keeps working with these defaults):
    service_after_receipt: bool = True  # SC017: reject a service dated after receipt
    traditional_medicare: str = "warning"  # SC018: "reject", "warning" or "off"

    def cite(self, parameter: str) -> str:
        """``source -- "quote"`` for a parameter, for a finding's citation field."""
        c = self.citations.get(parameter)
        if c is None:
            return ""
        return f'{c.source}: "{c.quote}"' if c.quote else c.source

    def value_text(self, parameter: str) -> str:
        """A parameter's value as a person reads it (``policies show``, ``rules CODE``)."""
        if parameter == "fee":
            return f"{self.fee_method} ${self.fee_amount}"
        if parameter == "s0354_max_months":
            return (
                f"default {self.s0354_max_months_default}, cap "
                f"{self.s0354_max_months_cap}, indefinite regimen "
                f"{self.s0354_max_months_indefinite}"
            )
        value = getattr(self, parameter, "")
        if isinstance(value, tuple):
            return ", ".join(value) or "(none)"
        return str(value)

    def reimbursement(self, billed: Decimal) -> Decimal:
        """Expected payment for one accepted S-code line under this program's fee rule."""
        if self.fee_method == "lesser_of_billed":
            return min(billed, self.fee_amount)
        return self.fee_amount

    def max_months(self, from_authorization: int | None, regimen: str = "") -> int | None:
        """The S0354 month limit for one authorization (None: no limit can be applied).

        ``regimen`` is the feed's optional column: an ``indefinite`` regimen is limited
        to ``s0354_max_months_indefinite`` months where the profile sets it (carelon-ma:
        6), whatever the order says; a ``fixed`` one (or none said) gets the order's
        months, else the default."""
        months = (
            from_authorization
            if from_authorization is not None
            else (self.s0354_max_months_default)
        )
        if regimen == "indefinite" and self.s0354_max_months_indefinite is not None:
            months = min(
                from_authorization or self.s0354_max_months_indefinite,
                self.s0354_max_months_indefinite,
            )
        if months is not None and self.s0354_max_months_cap is not None:
            months = min(months, self.s0354_max_months_cap)
        return months


def _table(data: dict[str, Any], key: str, where: str) -> dict[str, Any]:
    value = data.get(key)
    if not isinstance(value, dict):
        raise PolicyError(f"{where}: missing table [{key}]")
    return value


def _value(data: dict[str, Any], key: str, where: str, kind: type | tuple[type, ...]) -> Any:
    table = _table(data, key, where)
    if "value" not in table:
        raise PolicyError(f"{where}: [{key}] has no 'value'")
    value = table["value"]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise PolicyError(f"{where}: [{key}] value {value!r} has the wrong type")
    return value


def parse_policy(text: str, *, where: str) -> Policy:
    """Build a Policy from TOML text; errors name the file and ``table.key``.

    The tables are checked against the published policy schema first (unknown tables
    and keys, types, ranges), so every problem is reported before anything is screened.
    """
    data = parse_toml(text, where)
    check_policy(data, where)
    profile = _table(data, "profile", where)
    citations = {
        key: Citation(str(t.get("source", "")), str(t.get("quote", "")), str(t.get("note", "")))
        for key, t in data.items()
        if isinstance(t, dict) and key not in ("profile", "rules")
    }
    fee = _table(data, "fee", where)
    months = _table(data, "s0354_max_months", where)
    if fee.get("method") not in ("flat", "lesser_of_billed"):
        raise PolicyError(f"{where}: [fee] method must be 'flat' or 'lesser_of_billed'")
    try:
        fee_amount = Decimal(str(fee.get("amount", "0")))
        effective = date.fromisoformat(_value(data, "code_effective_date", where, str))
    except (ArithmeticError, ValueError) as exc:
        raise PolicyError(f"{where}: bad value ({exc})") from None
    return Policy(
        name=str(profile.get("name", Path(where).stem)),
        title=str(profile.get("title", "")),
        payer=str(profile.get("payer", "")),
        separate_claim=_value(data, "separate_claim", where, bool),
        allowed_forms=tuple(_value(data, "allowed_forms", where, list)),
        one_form=_value(data, "one_form", where, bool),
        required_revenue_code=_value(data, "required_revenue_code", where, str),
        retired_revenue_codes=tuple(_value(data, "retired_revenue_codes", where, list)),
        fee_method=fee["method"],
        fee_amount=fee_amount,
        s0353_once_per_patient=_value(data, "s0353_once_per_patient", where, bool),
        s0354_min_interval_days=_value(data, "s0354_min_interval_days", where, int),
        s0354_gap_after_s0353_days=_value(data, "s0354_gap_after_s0353_days", where, int),
        s0354_max_months_default=months.get("default"),
        s0354_max_months_cap=months.get("cap"),
        s0354_max_months_indefinite=months.get("indefinite"),
        eligible_states=tuple(_value(data, "eligible_states", where, list)),
        in_network_required=_value(data, "in_network_required", where, bool),
        units_per_line=_value(data, "units_per_line", where, int),
        timely_filing_days=_value(data, "timely_filing_days", where, int),
        code_effective_date=effective,
        source_path=where,
        citations=citations,
        rules=dict(data.get("rules", {})),
        **_optional(data, where),
    )


def _optional(data: dict[str, Any], where: str) -> dict[str, Any]:
    """Parameters a profile may leave out (added after profiles were first copied)."""
    out: dict[str, Any] = {}
    if "service_after_receipt" in data:
        out["service_after_receipt"] = _value(data, "service_after_receipt", where, bool)
    if "traditional_medicare" in data:
        value = _value(data, "traditional_medicare", where, str)
        if value not in ("reject", "warning", "off"):
            raise PolicyError(
                f"{where}: [traditional_medicare] value must be 'reject', 'warning' or 'off'"
            )
        out["traditional_medicare"] = value
    return out


def policy_text(name_or_path: str) -> tuple[str, str]:
    """The TOML text of a shipped profile name or a file path, and where it came from."""
    if name_or_path in SHIPPED:
        from edi837.schemas import shipped_text

        text = shipped_text(__package__, __file__, f"{name_or_path}.toml")
        return text, f"{name_or_path} (shipped)"
    path = Path(name_or_path)
    if not path.is_file():
        raise PolicyError(
            f"unknown policy {name_or_path!r}: not one of {', '.join(SHIPPED)} and not a file"
        )
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise PolicyError(f"{path}: cannot read: {exc.strerror}") from None
    return decode_policy(data, str(path)), str(path)


def load_policy(name_or_path: str = DEFAULT_POLICY) -> Policy:
    """Load a shipped profile by name (bcbsma, mop, carelon-ma) or a TOML file by path."""
    text, where = policy_text(name_or_path)
    return parse_policy(text, where=where)
