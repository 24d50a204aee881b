"""Deterministic multi-file batches of S-code claims for the store tests."""

from __future__ import annotations

import random
from pathlib import Path

from tests.scenario import Auth, Scenario, days, s_claim


def member(i: int) -> str:
    return f"M{i:04d}"


def batch(tmp: Path, *, members: int, files: int, seed: int = 7) -> Scenario:
    """``files`` files of one claim per member each, on random days within 200 days:
    S0354 mostly, some S0353, a fifth on 837I, so verdicts depend on other files."""
    rng = random.Random(seed)
    ids = [member(i) for i in range(members)]
    tmp.mkdir(parents=True, exist_ok=True)
    sc = Scenario(tmp, auths=[Auth(order_id=f"O{m}", member_id=m) for m in ids])
    for f in range(files):
        sc.file(
            *[
                s_claim(
                    f"F{f}{m}",
                    "S0353" if rng.random() < 0.1 else "S0354",
                    days(rng.randrange(200)),
                    member=m,
                    order=f"O{m}",
                    form="837I" if rng.random() < 0.2 else "837P",
                )
                for m in ids
            ]
        )
    return sc


def write(sc: Scenario) -> tuple[list[str], str]:
    """Write the files and the feeds; (file paths, feed directory)."""
    paths = [str(p) for p in sc.paths()]
    sc.run_context()  # writes auths.csv and providers.csv into sc.tmp
    return paths, str(sc.tmp)
