"""SC016: a claim resent unchanged in another interchange is a duplicate (A7:54)."""

from decimal import Decimal

from edi837.screening import Screening
from edi837.store.base import MemoryHistory
from edi837.synth.writer import render_837
from tests.scenario import OTHER_NPI, Scenario, rules_of, s_claim, s_line


def screen_twice(tmp_path, first, second, *, same_isa=False):
    """``first`` and ``second`` in one file, as two interchanges (or one, twice)."""
    one = render_837([first], isa_control=1)
    two = render_837([second], isa_control=1 if same_isa else 2)
    path = tmp_path / "twice.837"
    path.write_text(one + two)
    sc = Scenario(tmp_path)
    return list(Screening([path], sc.run_context(), MemoryHistory()).verdicts())


def test_the_same_claim_in_a_new_interchange_is_a_duplicate(tmp_path):
    a, b = screen_twice(tmp_path, s_claim("A"), s_claim("A2"))
    assert a.accepted and rules_of(b) == {"SC016"}
    assert b.rejections[0].status_code == "54" and "claim A " in b.rejections[0].message


def test_the_same_interchange_repeated_is_left_to_the_frequency_rules(tmp_path):
    _, b = screen_twice(tmp_path, s_claim("A"), s_claim("A2"), same_isa=True)
    assert rules_of(b) == {"SC006"}


def test_another_charge_is_not_a_duplicate(tmp_path):
    changed = s_claim("A2", lines=[s_line(charge=Decimal("299.99"))])
    _, b = screen_twice(tmp_path, s_claim("A"), changed)
    assert rules_of(b) == {"SC006"}


def test_another_ordering_npi_is_not_a_duplicate(tmp_path):
    changed = s_claim("A2", lines=[s_line(ordering_npi=OTHER_NPI)])
    _, b = screen_twice(tmp_path, s_claim("A"), changed)
    assert "SC016" not in rules_of(b)


def test_another_form_is_the_one_form_rule(tmp_path):
    _, b = screen_twice(tmp_path, s_claim("A"), s_claim("A2", form="837I"))
    assert "SC016" not in rules_of(b) and "SC003" in rules_of(b)


def test_the_277ca_answers_the_duplicate_with_status_54(tmp_path):
    from click.testing import CliRunner

    from edi837.cli import main

    one = render_837([s_claim("A")], isa_control=1)
    two = render_837([s_claim("A2")], isa_control=2)
    path = tmp_path / "twice.837"
    path.write_text(one + two)
    sc = Scenario(tmp_path)
    sc.run_context()  # writes the feeds
    ack = tmp_path / "out.277"
    result = CliRunner().invoke(
        main,
        [
            "check",
            "-q",
            "--no-history",
            "--authorizations",
            str(tmp_path / "auths.csv"),
            "--providers",
            str(tmp_path / "providers.csv"),
            "--received",
            "2026-11-02",
            "--277ca",
            str(ack),
            "-o",
            str(tmp_path / "report.txt"),
            str(path),
        ],
    )
    assert result.exit_code == 1, result.output
    text = ack.read_text()
    assert "STC*A7:54" in text
    assert text.count("STC*A7:54") == 1
