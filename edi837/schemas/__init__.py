"""The published JSON Schemas (draft 2020-12): ``report`` (edi837.report/1, the JSON
report and every JSONL record) and ``policy`` (a policy profile as parsed from TOML).

They ship with the package so a pipeline can validate what edi837 writes, and edi837
validates every policy it loads against the same schema it publishes.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

SCHEMAS = ("report", "policy")


def schema_text(name: str) -> str:
    """The schema file's text, as shipped (``edi837 schema NAME`` prints it)."""
    if name not in SCHEMAS:
        raise ValueError(f"unknown schema {name!r}: one of {', '.join(SCHEMAS)}")
    return shipped_text(__package__, __file__, f"{name}.schema.json")


def shipped_text(package: str, module_file: str, name: str) -> str:
    """A data file shipped beside ``module_file`` in ``package``, as UTF-8 text.

    Read from the folder itself when the package is one (every ordinary install): the
    ``importlib.resources`` machinery (and the zipfile and tempfile it imports) cost a
    run milliseconds for two small files. A package that is not a folder on disk (a
    zip import) is read through ``importlib.resources``, as before.
    """
    try:
        return (Path(module_file).parent / name).read_text(encoding="utf-8")
    except (FileNotFoundError, NotADirectoryError):
        from importlib import resources

        return resources.files(package).joinpath(name).read_text(encoding="utf-8")


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
