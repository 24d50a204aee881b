"""TR3 validation benchmark: CPU seconds of our validator, of ``check`` with and without
it, and of pyx12's X12ContextReader, on one generated 837P.

Usage::

    python bench/bench_validate.py [--claims 4000] [--pyx12-claims N]

Everything runs in this process and is timed with ``time.process_time`` (CPU seconds);
``check`` is the library's screening (read, rules, judge, answer), as the CLI runs it,
without interpreter start-up. ``--pyx12-claims`` times pyx12 on the first N claims and
scales by segment count (pyx12 is linear in segments).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path


def _cpu(fn) -> float:
    start = time.process_time()
    fn()
    return time.process_time() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--claims", type=int, default=4000)
    parser.add_argument("--pyx12-claims", type=int, default=0)
    args = parser.parse_args()
    from edi837.policy import load_policy
    from edi837.rules.context import RunContext
    from edi837.screening import Screening
    from edi837.store import HistoryStore
    from edi837.synth import generate_file
    from edi837.x12.pyx12_adapter import pyx12_claims
    from edi837.x12.tr3 import validate_path
    from edi837.x12.tr3.compile import load_map

    tmp = Path(tempfile.mkdtemp(prefix="edi837-bench-"))
    path = tmp / "bench.837"
    generate_file(path, claims=args.claims, seed=7, form="837P")
    segments = path.read_text().count("~")
    load_map("837P")

    def check(tr3: bool) -> None:
        run = RunContext(policy=load_policy("bcbsma"), tr3=tr3)
        with Screening([str(path)], run, HistoryStore()) as screening:
            for _ in screening.verdicts():
                pass

    ours = min(_cpu(lambda: validate_path(path)) for _ in range(3))
    with_v = min(_cpu(lambda: check(True)) for _ in range(3))
    without = min(_cpu(lambda: check(False)) for _ in range(3))
    if args.pyx12_claims:
        small = tmp / "small.837"
        generate_file(small, claims=args.pyx12_claims, seed=7, form="837P")
        pyx = _cpu(lambda: pyx12_claims(small)) * segments / small.read_text().count("~")
    else:
        pyx = _cpu(lambda: pyx12_claims(path))
    print(f"837P, {args.claims} claims, {segments} segments; CPU seconds (best of 3)")
    print(f"validator alone        {ours:7.3f}  pyx12/ours {pyx / ours:6.1f}x")
    print(f"check with validation  {with_v:7.3f}  pyx12/ours {pyx / with_v:6.1f}x")
    print(f"check --no-validate    {without:7.3f}  pyx12/ours {pyx / without:6.1f}x")
    print(f"pyx12 X12ContextReader {pyx:7.3f}")


if __name__ == "__main__":
    main()
