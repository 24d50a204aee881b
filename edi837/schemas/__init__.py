"""The published JSON Schemas (draft 2020-12): ``report`` (edi837.report/1, the JSON
report and every JSONL record) and ``policy`` (a policy profile as parsed from TOML).

They ship with the package so a pipeline can validate what edi837 writes, and edi837
validates every policy it loads against the same schema it publishes.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

SCHEMAS = ("report", "policy")


def schema_text(name: str) -> str:
    """The schema file's text, as shipped (``edi837 schema NAME`` prints it)."""
    if name not in SCHEMAS:
        raise ValueError(f"unknown schema {name!r}: one of {', '.join(SCHEMAS)}")
    return resources.files(__package__).joinpath(f"{name}.schema.json").read_text("utf-8")


@cache
def load_schema(name: str) -> dict[str, Any]:
    return json.loads(schema_text(name))


def validator(name: str):
    """A jsonschema Draft202012Validator for one shipped schema.

    The schema itself is not checked here: it ships with the package, and
    tests/test_cli_rules.py checks every shipped schema against the metaschema once
    (at run time that check cost more than validating the policy).
    """
    from jsonschema import Draft202012Validator

    return Draft202012Validator(load_schema(name))
