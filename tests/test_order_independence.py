"""Verdicts do not depend on the order of claims or files in the batch."""

from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.scenario import DAY0, Auth, Scenario, s_claim

pytestmark = pytest.mark.slow  # see README: pytest -m "not slow"

MEMBERS = ["MBR0001", "MBR0002", "MBR0003"]


def claim_pool():
    """Conflicting S-code claims for three members: close dates, both forms, a void."""
    pool = []
    for m, member in enumerate(MEMBERS):
        order = f"ORD{m}"
        for k, (proc, day, form) in enumerate(
            [
                ("S0353", 0, "837P"),
                ("S0354", 20, "837P"),
                ("S0354", 31, "837I"),
                ("S0354", 31, "837P"),
                ("S0354", 45, "837P"),
                ("S0353", 70, "837I"),
                ("S0354", 62, "837P"),
                ("S0354", 95, "837P"),
            ]
        ):
            pool.append(
                s_claim(
                    f"C{m}{k}",
                    proc,
                    DAY0 + timedelta(days=day),
                    form=form,
                    member=member,
                    order=order,
                )
            )
        pool.append(
            s_claim(
                f"C{m}V",
                "S0354",
                DAY0 + timedelta(days=31),
                member=member,
                order=order,
                frequency="8",
                ref_f8=f"C{m}3",
            )
        )
    return pool


AUTHS = [
    Auth(order_id=f"ORD{m}", member_id=member, s0354_max_months="3")
    for m, member in enumerate(MEMBERS)
]


def verdicts(tmp_path, files):
    sc = Scenario(tmp_path, auths=list(AUTHS))
    for claims in files:
        sc.file(*claims)
    return {cid: (v.status, sorted(f.rule for f in v.findings)) for cid, v in sc.run().items()}


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(perm=st.permutations(range(len(claim_pool()))), cuts=st.integers(1, 4))
def test_same_verdicts_whatever_the_order(tmp_path_factory, perm, cuts):
    pool = claim_pool()
    baseline = verdicts(tmp_path_factory.mktemp("base"), [pool])
    shuffled = [pool[i] for i in perm]
    size = -(-len(shuffled) // cuts)
    files = [shuffled[i : i + size] for i in range(0, len(shuffled), size)]
    assert verdicts(tmp_path_factory.mktemp("perm"), files) == baseline
    assert any(status == "rejected" for status, _ in baseline.values())
    assert any(status == "accepted" for status, _ in baseline.values())
