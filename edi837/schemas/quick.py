"""A quick, conservative JSON Schema check: proves an instance valid, or says "not sure".

Why: jsonschema costs a run about a third of a second before the first segment is read
(its import, its reference machinery), and nearly every policy a run loads is valid:
the shipped profiles always, a user's copy almost always. ``surely_valid`` walks the
schema's few keywords in plain Python; only when it cannot prove the policy valid does
``edi837.policy.strict`` ask jsonschema, which then finds and words every problem as
before (the messages come from jsonschema's errors, never from here).

The walk is one-sided by design: True means jsonschema (draft 2020-12) finds no error;
False means nothing. A keyword it does not know, a value of a type it does not model
(a float where an integer belongs, a TOML date), anything unusual answers False.
tests/test_policy_strict.py checks it against jsonschema on many broken policies.
"""

from __future__ import annotations

import re
from typing import Any

# Keywords that never fail an instance: annotations only.
_ANNOTATIONS = frozenset(
    ("$schema", "$id", "$comment", "title", "description", "default", "examples")
)


def _is_type(value: Any, kind: str) -> bool:
    """jsonschema's type check, narrowed where it is wider (an integral float is an
    ``integer`` to jsonschema; here it is "not sure", answered by jsonschema)."""
    if kind == "string":
        return isinstance(value, str)
    if kind == "object":
        return isinstance(value, dict)
    if kind == "array":
        return isinstance(value, list)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "integer":
        return type(value) is int
    if kind == "number":
        return type(value) in (int, float)
    if kind == "null":
        return value is None
    return False


def _surely_not_type(value: Any, kind: str) -> bool:
    """True only when jsonschema would surely say ``value`` is not of type ``kind``."""
    if kind == "string":
        return not isinstance(value, str)
    if kind == "object":
        return not isinstance(value, dict)
    if kind == "array":
        return not isinstance(value, list)
    if kind == "boolean":
        return not isinstance(value, bool)
    if kind in ("integer", "number"):  # any bool, str, dict, list, None is no number
        return isinstance(value, bool | str | dict | list) or value is None
    if kind == "null":
        return value is not None
    return False


def _surely_invalid(value: Any, schema: Any) -> bool:
    """True only when ``value`` surely fails ``schema`` (used for ``oneOf``): its
    ``type`` keyword rules it out."""
    if not isinstance(schema, dict) or "type" not in schema:
        return False
    kinds = schema["type"]
    kinds = [kinds] if isinstance(kinds, str) else kinds
    return isinstance(kinds, list) and all(_surely_not_type(value, k) for k in kinds)


def _same(a: Any, b: Any) -> bool:
    """Equal as jsonschema's ``enum`` sees it, for plain scalars of one type only."""
    return type(a) is type(b) and type(a) in (str, int, bool) and a == b


def surely_valid(value: Any, schema: Any) -> bool:
    """Does ``value`` surely satisfy ``schema`` (draft 2020-12)? False: not sure."""
    if schema is True:
        return True
    if not isinstance(schema, dict):
        return False
    for key, arg in schema.items():
        if key in _ANNOTATIONS:
            continue
        check = _KEYWORDS.get(key)
        if check is None or not check(value, arg, schema):
            return False
    return True


def _type(value: Any, arg: Any, schema: dict) -> bool:
    if isinstance(arg, str):
        return _is_type(value, arg)
    return isinstance(arg, list) and any(_is_type(value, k) for k in arg)


def _enum(value: Any, arg: Any, schema: dict) -> bool:
    return isinstance(arg, list) and any(_same(value, each) for each in arg)


def _required(value: Any, arg: Any, schema: dict) -> bool:
    return not isinstance(value, dict) or all(key in value for key in arg)


def _properties(value: Any, arg: Any, schema: dict) -> bool:
    if not isinstance(value, dict):
        return True
    return all(surely_valid(value[key], sub) for key, sub in arg.items() if key in value)


def _pattern_properties(value: Any, arg: Any, schema: dict) -> bool:
    if not isinstance(value, dict):
        return True
    return all(
        surely_valid(item, sub)
        for pattern, sub in arg.items()
        for key, item in value.items()
        if re.search(pattern, key)
    )


def _additional_properties(value: Any, arg: Any, schema: dict) -> bool:
    if not isinstance(value, dict) or arg is True:
        return True
    known = schema.get("properties", {})
    patterns = schema.get("patternProperties", {})
    extra = [
        item
        for key, item in value.items()
        if key not in known and not any(re.search(p, key) for p in patterns)
    ]
    return all(surely_valid(item, arg) for item in extra) if arg is not False else not extra


def _items(value: Any, arg: Any, schema: dict) -> bool:
    if "prefixItems" in schema:
        return False
    return not isinstance(value, list) or all(surely_valid(item, arg) for item in value)


def _min_items(value: Any, arg: Any, schema: dict) -> bool:
    return not isinstance(value, list) or len(value) >= arg


def _max_items(value: Any, arg: Any, schema: dict) -> bool:
    return not isinstance(value, list) or len(value) <= arg


def _unique_items(value: Any, arg: Any, schema: dict) -> bool:
    if not arg or not isinstance(value, list):
        return True
    return all(type(v) is str for v in value) and len(set(value)) == len(value)


def _number(value: Any) -> bool:
    return type(value) in (int, float)


def _minimum(value: Any, arg: Any, schema: dict) -> bool:
    if _number(value):
        return value >= arg  # NaN compares False: "not sure"
    return _surely_not_type(value, "number")  # the keyword applies to numbers only


def _maximum(value: Any, arg: Any, schema: dict) -> bool:
    if _number(value):
        return value <= arg
    return _surely_not_type(value, "number")


def _min_length(value: Any, arg: Any, schema: dict) -> bool:
    return not isinstance(value, str) or len(value) >= arg


def _max_length(value: Any, arg: Any, schema: dict) -> bool:
    return not isinstance(value, str) or len(value) <= arg


def _pattern(value: Any, arg: Any, schema: dict) -> bool:
    return not isinstance(value, str) or re.search(arg, value) is not None


def _one_of(value: Any, arg: Any, schema: dict) -> bool:
    """Exactly one branch: one proven valid, every other surely ruled out by type."""
    if not isinstance(arg, list):
        return False
    valid = [i for i, sub in enumerate(arg) if surely_valid(value, sub)]
    return len(valid) == 1 and all(
        _surely_invalid(value, sub) for i, sub in enumerate(arg) if i != valid[0]
    )


_KEYWORDS = {
    "type": _type,
    "enum": _enum,
    "required": _required,
    "properties": _properties,
    "patternProperties": _pattern_properties,
    "additionalProperties": _additional_properties,
    "items": _items,
    "minItems": _min_items,
    "maxItems": _max_items,
    "uniqueItems": _unique_items,
    "minimum": _minimum,
    "maximum": _maximum,
    "minLength": _min_length,
    "maxLength": _max_length,
    "pattern": _pattern,
    "oneOf": _one_of,
}
