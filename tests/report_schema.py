"""Every JSON/JSONL report the suite writes is checked against the shipped schema.

``validate_report(text)`` checks one JSON report or a JSON Lines report (each record, and
that a ``summary`` record comes last). ``tee_reports`` (an autouse fixture in conftest)
wraps the JSON and JSONL writers so that every report written in the test process --
through CliRunner, the drop folder or the library -- is validated when it finishes.
"""

from __future__ import annotations

import io
import json
from typing import Any

from jsonschema.exceptions import best_match

from edi837.schemas import validator

_VALIDATOR = validator("report")


def _check(doc: Any, where: str) -> None:
    error = best_match(_VALIDATOR.iter_errors(doc))
    if error is not None:
        path = "/".join(map(str, error.absolute_path))
        raise AssertionError(
            f"{where} does not match report.schema.json at /{path}: {error.message[:500]}"
        )


def validate_report(text: str) -> int:
    """Validate a JSON report or a JSON Lines report; the number of documents checked."""
    stripped = text.strip()
    lines = stripped.splitlines()
    if len(lines) > 1 and lines[0].startswith('{"type"'):
        records = [json.loads(line) for line in lines]
        for n, record in enumerate(records, 1):
            _check(record, f"JSONL record {n} ({record.get('type')})")
        assert records[-1]["type"] == "summary", "the summary record must come last"
        return len(records)
    _check(json.loads(stripped), "JSON report")
    return 1


class _Tee:
    """Writes through to the report's stream and keeps a copy to validate (not an
    io.IOBase: its finalizer would flush a stream the writer has already closed)."""

    def __init__(self, out) -> None:
        self._out = out
        self.copy = io.StringIO()

    def write(self, text: str) -> int:
        self.copy.write(text)
        return self._out.write(text)

    def flush(self) -> None:
        self._out.flush()

    def __getattr__(self, name: str):
        return getattr(self._out, name)


def install(monkeypatch) -> None:
    """Wrap JsonReport and JsonLinesReport: validate each report when it finishes."""
    from edi837.writers import report as report_module

    for cls in (report_module.JsonReport, report_module.JsonLinesReport):
        original_init, original_finish = cls.__init__, cls.finish

        def init(self, out, *args, _init=original_init, **kwargs):
            _init(self, _Tee(out), *args, **kwargs)

        def finish(self, *args, _finish=original_finish, **kwargs):
            result = _finish(self, *args, **kwargs)
            validate_report(self.out.copy.getvalue())
            return result

        monkeypatch.setattr(cls, "__init__", init)
        monkeypatch.setattr(cls, "finish", finish)
