"""SC011: one unit per S-code line."""

from decimal import Decimal

import pytest

from tests.scenario import Scenario, rules_of, s_claim


@pytest.mark.parametrize(("units", "accepted"), [("1", True), ("2", False), ("0.5", False)])
def test_units(tmp_path, units, accepted):
    v = Scenario(tmp_path).file(s_claim("X", line_kw={"units": Decimal(units)})).run()["X"]
    assert v.accepted is accepted
    if not accepted:
        assert "SC011" in rules_of(v)
