"""The TR3 validator alone, fed exactly the calls ``ClaimReader`` makes (CPU seconds).

Usage::

    python bench/bench_tr3_calls.py FILE [--repeat 5] [--slow]

The reader runs once with a recording validator; the recorded ``begin_set`` and
``segment`` calls are then replayed on fresh validators and timed with
``time.process_time`` (best of ``--repeat``), so tokenizing and claim building are not
in the figure. ``--slow`` times ``TR3Validator(fast=False)``, the reference walk.
"""

from __future__ import annotations

import argparse
import gc
import time

from edi837.claim.builder import ClaimReader
from edi837.x12.tr3.validator import TR3Validator


class _Recorder(TR3Validator):
    """A validator that also keeps every call it gets, in order."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple] = []

    def begin_set(self, form: str, transaction: int) -> None:
        self.calls.append(("begin", form, transaction))
        super().begin_set(form, transaction)

    def segment(self, *args) -> None:  # type: ignore[override]
        self.calls.append(("segment", *args))
        super().segment(*args)


def replay(calls: list[tuple], fast: bool = True) -> TR3Validator:
    """Run the recorded calls on a new validator."""
    validator = TR3Validator(fast=fast)
    begin, segment = validator.begin_set, validator.segment
    for start, segments in _chunks(calls):
        begin(*start)
        for args in segments:
            segment(*args)
    return validator


def _chunks(calls: list[tuple]) -> list[tuple[tuple, list[tuple]]]:
    """The calls as (``begin_set`` arguments, the ``segment`` arguments that follow),
    made once so that the replay loop costs next to nothing."""
    found = _CHUNKS.get(id(calls))
    if found is None or found[0] is not calls:
        chunks: list[tuple[tuple, list[tuple]]] = []
        for call in calls:
            if call[0] == "begin":
                chunks.append((call[1:], []))
            else:
                chunks[-1][1].append(call[1:])
        found = _CHUNKS[id(calls)] = (calls, chunks)
    return found[1]


_CHUNKS: dict[int, tuple[list[tuple], list[tuple[tuple, list[tuple]]]]] = {}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("file")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--slow", action="store_true")
    args = parser.parse_args()
    recorder = _Recorder()
    for _ in ClaimReader(args.file, validator=recorder):
        pass
    calls = recorder.calls
    replay(calls, not args.slow)  # warm: map load, plans, patterns
    best = float("inf")
    errors = 0
    for _ in range(args.repeat):
        gc.collect()
        start = time.process_time()
        validator = replay(calls, not args.slow)
        best = min(best, time.process_time() - start)
        errors = len(validator.errors)
    segments = sum(1 for c in calls if c[0] == "segment")
    print(
        f"{segments} segments, {errors} errors; validator CPU {best:.3f} s (best of {args.repeat})"
    )


if __name__ == "__main__":
    main()
