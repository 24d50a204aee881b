"""Strict policy reading: the bytes must be UTF-8 TOML and the tables must match the
published policy schema, or the run stops before any claim is screened.

Why strict: a typo in a profile silently changed what was enforced (``defualt = 11``
turned the S0354 month limit off; ``timely_filing_days = -5`` rejected every claim).
Every problem is one line naming the file and ``table.key``, with the nearest known key
for a misspelling.
"""

from __future__ import annotations

import codecs
import math
import re
import tomllib
from collections.abc import Iterator
from typing import Any

from edi837.errors import PolicyError

MAX_ERRORS = 20


def decode_policy(data: bytes, where: str) -> str:
    """UTF-8 text (a UTF-8 BOM is dropped); UTF-16/32 or other encodings are one error."""
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\x00" in data[:200]:
        raise PolicyError(f"{where}: the policy is UTF-16 (or UTF-32) text; save it as UTF-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise PolicyError(
            f"{where}:{line}: not UTF-8 (byte 0x{data[exc.start]:02X} at offset {exc.start}; "
            "Latin-1 or Windows-1252?); save the policy as UTF-8"
        ) from None


def parse_toml(text: str, where: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"{where}: not valid TOML ({exc})") from None


def check_policy(data: dict[str, Any], where: str) -> None:
    """Raise PolicyError listing every schema violation (first MAX_ERRORS, then a count)."""
    problems = sorted(set(_problems(data)))
    if not problems:
        return
    lines = [f"{where}: {p}" for p in problems[:MAX_ERRORS]]
    if len(problems) > MAX_ERRORS:
        lines.append(f"{where}: ... and {len(problems) - MAX_ERRORS} more problem(s)")
    raise PolicyError("\n".join(lines))


def _problems(data: dict[str, Any]) -> Iterator[str]:
    from edi837.schemas import load_schema
    from edi837.schemas.quick import surely_valid

    # jsonschema (a third of a second to import) only for a policy the quick walk
    # cannot prove valid; it finds and words the problems, as it always has.
    if not surely_valid(data, load_schema("policy")):
        from edi837.schemas import validator

        for error in validator("policy").iter_errors(data):
            yield from _describe(error, data)
    fee = data.get("fee")
    if isinstance(fee, dict) and isinstance(fee.get("amount"), float | int):
        amount = fee["amount"]
        if isinstance(amount, float) and not math.isfinite(amount):
            yield f"fee.amount = {amount!r}: must be a finite amount >= 0"


def _path(parts) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _describe(error, data: dict[str, Any]) -> Iterator[str]:
    path = _path(error.absolute_path)
    value = error.instance
    schema = error.schema
    kind = error.validator
    if kind == "additionalProperties":
        known = list(schema.get("properties", {}))
        patterns = schema.get("patternProperties", {})
        for key in value:
            if key in known:
                continue
            if patterns and any(re.search(p, key) for p in patterns):
                continue
            import difflib  # a bad policy only

            hint = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
            more = f" (did you mean {hint[0]!r}?)" if hint else ""
            if not path:
                yield f"unknown table [{key}]{more}"
            elif patterns:
                yield f"{path}.{key}: not a rule code or code prefix (like SC007 or SC00)"
            else:
                yield f"{path}.{key}: unknown key{more}; known: {', '.join(known)}"
    elif kind == "required":
        for key in schema["required"]:
            if isinstance(value, dict) and key not in value:
                yield (f"missing table [{key}]" if not path else f"{path}.{key}: missing")
    elif kind == "type":
        yield f"{path} = {_show(value)}: must be {_article(schema['type'])}"
    elif kind in ("minimum", "maximum"):
        bound = schema[kind]
        word = "at least" if kind == "minimum" else "at most"
        yield f"{path} = {_show(value)}: must be {word} {bound}"
    elif kind == "enum":
        yield f"{path} = {_show(value)}: must be one of {', '.join(map(str, schema['enum']))}"
    elif kind == "oneOf" and path.endswith("fee.amount"):
        yield f'{path} = {_show(value)}: must be a finite amount >= 0 like "300.00"'
    elif kind == "pattern":
        yield f"{path} = {_show(value)}: {_pattern_hint(path)}"
    elif kind in ("minItems", "uniqueItems"):
        yield f"{path} = {_show(value)}: {error.message}"
    else:
        yield f"{path or '(top level)'}: {error.message}"


def _pattern_hint(path: str) -> str:
    if "date" in path:
        return "must be a date YYYY-MM-DD"
    if "revenue" in path:
        return 'must be a 4-digit revenue code like "0960"'
    return "has the wrong form"


def _article(kind: str | list[str]) -> str:
    if isinstance(kind, list):
        return " or ".join(_article(k) for k in kind)
    return {
        "integer": "an integer",
        "object": "a table",
        "array": "a list",
        "boolean": "true or false",
        "string": "a string",
        "number": "a number",
    }.get(kind, kind)


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
