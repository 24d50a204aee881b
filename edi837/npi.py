"""NPI check digits (Luhn over the ``80840`` prefix, as CMS defines for the NPI).

One place for the arithmetic, because both the reader (a structural check on every
NPI it sees) and the synthetic generator (which must only invent valid NPIs) need it.
"""

from __future__ import annotations

_PREFIX_SUM = 24  # Luhn contribution of the constant prefix "80840", precomputed by CMS.


def _luhn_sum(digits: str) -> int:
    total = _PREFIX_SUM
    # Double every second digit starting from the rightmost of the 9-digit base.
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total


def check_digit(base9: str) -> str:
    """Return the check digit that completes a 9-digit NPI base."""
    if len(base9) != 9 or not base9.isdigit():
        raise ValueError(f"NPI base must be 9 digits, got {base9!r}")
    return str((10 - _luhn_sum(base9) % 10) % 10)


def is_valid_npi(npi: str) -> bool:
    """True when ``npi`` is 10 digits whose last digit is the Luhn check digit."""
    return len(npi) == 10 and npi.isdigit() and npi[0] in "12" and check_digit(npi[:9]) == npi[9]


def make_npi(base9: str) -> str:
    """Append the check digit to a 9-digit base (which should start with 1 or 2)."""
    return base9 + check_digit(base9)
