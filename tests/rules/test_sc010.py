"""SC010: carelon-ma pays only providers in its listed states."""

import pytest

from tests.scenario import Scenario, rules_of, s_claim


@pytest.mark.parametrize(
    ("state", "accepted"), [("NY", True), ("CA", True), ("WI", True), ("MA", False), ("TX", False)]
)
def test_carelon_states(tmp_path, state, accepted):
    v = Scenario(tmp_path, policy="carelon-ma").file(s_claim("X", billing_state=state)).run()
    assert v["X"].accepted is accepted
    if not accepted:
        assert rules_of(v["X"]) == {"SC010"} and state in v["X"].rejections[0].message


def test_bcbsma_has_no_state_list(tmp_path):
    assert Scenario(tmp_path).file(s_claim("X", billing_state="TX")).run()["X"].accepted
