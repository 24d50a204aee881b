"""edi837: screen X12 837 claims for payer S-code rules before they reach the payer.

Library API (the CLI is a thin layer over it):

* ``read_claims(path)`` streams the claims of one 837P/837I file;
* ``screen(paths, policy=..., authorizations=..., providers=...)`` screens a batch and
  yields one ``Verdict`` per claim;
* ``check(paths, run, report=..., outputs=...)`` is a whole run as the CLI makes it: the
  report, acknowledgments, splits, annotated copies and Parquet tables written in one
  answer pass (``edi837.checking``; outputs of your own are ``edi837.writers.base.Writer``s).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Iterator
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

__version__ = "0.1.0"

__all__ = [
    "Finding",
    "OutputOptions",
    "Policy",
    "RuleSelection",
    "RunContext",
    "Severity",
    "Verdict",
    "Writer",
    "__version__",
    "check",
    "load_policy",
    "read_claims",
    "screen",
]

# The public types, imported on first use so `import edi837` stays cheap.
_LAZY = {
    "Finding": "edi837.verdicts",
    "Severity": "edi837.verdicts",
    "Verdict": "edi837.verdicts",
    "Policy": "edi837.policy",
    "load_policy": "edi837.policy",
    "RunContext": "edi837.rules.context",
    "check": "edi837.checking",
    "OutputOptions": "edi837.outputs",
    "Writer": "edi837.writers.base",
    "RuleSelection": "edi837.rules.selection",
}


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'edi837' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)


if TYPE_CHECKING:
    from edi837.claim.model import Claim
    from edi837.store.base import HistoryStore
    from edi837.verdicts import Verdict


def read_claims(source: str | Path | BinaryIO) -> Iterator[Claim]:
    """Yield the claims of one 837 file (path or binary stream), one at a time.

    Raises ``edi837.errors.X12SyntaxError`` (with file, segment and byte offset) when the
    input cannot be read. Envelope problems do not raise; use ``ClaimReader`` to see them.
    """
    from edi837.claim.builder import ClaimReader

    return iter(ClaimReader(source))


def screen(
    paths: Iterable[str | Path] | str | Path,
    *,
    policy: str = "bcbsma",
    authorizations: str | Path | None = None,
    providers: str | Path | None = None,
    received: date | None = None,
    history: HistoryStore | None = None,
) -> Iterator[Verdict]:
    """Screen a batch of 837 files under a policy profile; one ``Verdict`` per claim.

    ``paths`` is one path (``str`` or ``Path``) or several. A file that cannot be read
    (missing, not X12) yields no verdict and a ``UserWarning`` with its error (use
    ``edi837.screening.Screening`` for its ``files``); a file named twice is screened once.
    """
    from edi837.rules.context import RunContext
    from edi837.screening import Screening

    run = RunContext.build(policy, authorizations, providers, received)
    with Screening(paths, run, history) as screening:
        yield from screening.verdicts()
        for repeated in screening.duplicates:
            warnings.warn(f"{repeated}: given more than once; screened once", stacklevel=2)
        for f in screening.files:
            for error in f.errors:  # a missing or unreadable file has no verdicts to say so
                warnings.warn(error, stacklevel=2)
