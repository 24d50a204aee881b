"""Trust at the edges: one regression test per crash class, and the error-line rules.

Each test names the crash it guards against; each would fail (a traceback, exit 1 or
a lost claim) on the code before the fix.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pytest
from click.testing import CliRunner

import edi837
from edi837 import cli_guard
from edi837.cli import main
from edi837.runtmp import PREFIX, sweep_stale
from edi837.safetext import MAX_LINE, UNREADABLE_ID
from edi837.synth.random_batch import generate_file
from tests.fuzz_edges import answered_in_277ca

EXE = Path(sys.executable).with_name("edi837")
HEADER = (
    "order_id,member_id,ordering_npi,valid_from,valid_to,s_codes,s0354_max_months,"
    "pathway_eligible_id,status\n"
)
GOOD_ROW = "ORD1,M1,1310000017,2026-01-01,2026-12-31,S0353|S0354,,PE1,authorized\n"


@pytest.fixture(scope="module")
def batch(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("edges") / "claims.837"
    generate_file(path, seed=5, claims=6)
    return path


def check(*args: str):
    return CliRunner().invoke(main, ["check", "-q", "--no-history", *args])


def lines_of(text: str) -> list[str]:
    return [line for line in text.splitlines() if line]


# -- the top-level handler ----------------------------------------------------------
def _explode(*args, **kwargs):
    raise ValueError("kaboom " + "x" * 1000)


def test_internal_error_is_one_line_exit_3(batch, monkeypatch) -> None:
    monkeypatch.setattr("edi837.outputs.output_writers", _explode)
    result = check("-o", "-", "--277ca", "x.277", str(batch))
    assert result.exit_code == 3
    (line,) = lines_of(result.stderr)
    assert line.startswith("edi837: internal error: ValueError: kaboom")
    assert line.endswith("(--debug shows the traceback)") and len(line) <= MAX_LINE


def test_debug_flag_shows_the_traceback(batch, monkeypatch) -> None:
    monkeypatch.setattr("edi837.outputs.output_writers", _explode)
    try:
        result = CliRunner().invoke(
            main,
            ["--debug", "check", "-q", "--no-history", "-o", "-", "--277ca", "x.277", str(batch)],
        )
    finally:
        cli_guard.set_debug(False)
    assert result.exit_code == 3
    assert "Traceback (most recent call last)" in result.stderr


@pytest.mark.slow
def test_closed_pipe_exits_quietly(tmp_path) -> None:
    big = tmp_path / "big.837"
    generate_file(big, seed=3, claims=1500)
    proc = subprocess.run(
        f"'{EXE}' check --no-history -v '{big}' | head -1; echo \"rc=${{PIPESTATUS[0]}}\"",
        shell=True,
        executable="/bin/bash",
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.stderr == ""
    assert proc.stdout.splitlines()[-1] == "rc=141"


@pytest.mark.slow
def test_ctrl_c_exits_130_quietly(tmp_path) -> None:
    """Interrupted mid-run, whatever the machine's speed: the input comes through a pipe,
    and the signal is sent once the child has read half of it and waits for the rest."""
    big = tmp_path / "big.837"
    generate_file(big, seed=4, claims=2000)
    data = big.read_bytes()
    proc = subprocess.Popen(
        [str(EXE), "check", "--no-history", "-q", "-o", str(tmp_path / "r.txt"), "-"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        # A suite started in the background (`make test &`, a CI runner without job
        # control) ignores SIGINT, and a child inherits that: Python then installs no
        # KeyboardInterrupt handler. The child gets the default back, as a terminal's has.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    assert proc.stdin is not None
    proc.stdin.write(data[: len(data) // 2])  # returns once the child has taken it in
    proc.stdin.flush()
    time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    text = err.decode()
    assert proc.returncode == 130, text
    assert "Traceback" not in text and "Aborted" not in text
    assert not (tmp_path / "r.txt").exists()


# -- crash classes, each at its cause -------------------------------------------------
# Ids one character wider than ISA06/ISA08's 15: read (the ISA's width is only a warning)
# and copied as received. (A wrong-width date or time is a real ISA09/ISA10 error, answered
# with a TA1 014/015 and tested in test_ack_ta1.py.)
@pytest.mark.parametrize(
    "isa_edit",
    [("*SUBMITTER01    *", "*SUBMITTER012345*"), ("*RECEIVER01     *", "*RECEIVER0123456*")],
)
def test_split_writes_the_wide_isa_the_reader_accepted(tmp_path, batch, isa_edit) -> None:
    text = batch.read_text()
    first, rest = text.split("\n", 1)
    odd = tmp_path / "odd.837"
    odd.write_text(first.replace(*isa_edit, 1) + "\n" + rest)
    result = check(
        "-o",
        "-",
        "--accepted",
        str(tmp_path / "a.837"),
        "--rejected",
        str(tmp_path / "r.837"),
        "--control-number",
        "1",
        str(odd),
    )
    assert result.exit_code in (0, 1), result.output
    written = [p for p in (tmp_path / "a.837", tmp_path / "r.837") if p.exists()]
    assert written and all(isa_edit[1] in p.read_text().split("~")[0] for p in written)


@pytest.mark.parametrize("value", ["9" * 5000, "\u00b2"])
def test_huge_or_unicode_lx01_is_not_a_crash(tmp_path, batch, value) -> None:
    odd = tmp_path / "lx.837"
    odd.write_text(batch.read_text().replace("LX*1~", f"LX*{value}~", 1))
    result = check("--format", "json", "-o", "-", str(odd))
    assert result.exit_code in (0, 1, 2), result.output
    assert len(json.loads(result.stdout)["claims"]) == 6


@pytest.mark.parametrize("value", ["9" * 5000, "1E999999"])
def test_huge_amount_is_a_finding(tmp_path, batch, value) -> None:
    text = batch.read_text()
    start = text.index("CLM*")
    parts = text[start:].split("~", 1)[0].split("*")
    odd = tmp_path / "amount.837"
    odd.write_text(text.replace("*".join(parts), "*".join([*parts[:2], value, *parts[3:]]), 1))
    # The TR3 check names the element (CLM02 too long or not a number); without it the
    # claim builder's own bound does (STR005). Either way one finding, never a crash.
    for options, rule in (((), "TR3002"), (("--no-validate",), "STR005")):
        result = check("--format", "json", "-o", "-", *options, str(odd))
        assert result.exit_code == 1, result.output
        claims = json.loads(result.stdout)["claims"]
        assert [f["rule"] for f in claims[0]["findings"]] == [rule]


def test_feed_field_over_csv_limit_is_reported(tmp_path, batch) -> None:
    feed = tmp_path / "auths.csv"
    feed.write_text(
        HEADER
        + GOOD_ROW
        + "ORD2,M2,,2026-01-01,2026-12-31,S0353,,"
        + "P" * 2_000_000
        + ",authorized\n"
    )
    result = check("--authorizations", str(feed), "-o", "-", str(batch))
    assert result.exit_code == 2
    (line,) = lines_of(result.stderr)
    assert line.startswith(f"edi837: error: {feed}:3: ") and len(line) <= MAX_LINE


def test_history_import_field_over_csv_limit_is_reported(tmp_path) -> None:
    paid = tmp_path / "paid.csv"
    paid.write_text(
        "member_id,procedure,service_date,order_id,form,claim_id\n"
        "M1,S0353,2026-01-05,ORD1,837P," + "C" * 2_000_000 + "\n"
    )
    result = CliRunner().invoke(
        main, ["history", "import", str(paid), "--history", f"sqlite:///{tmp_path / 'h.db'}"]
    )
    assert result.exit_code == 2, result.output
    assert "unreadable CSV row" in result.stderr and "Traceback" not in result.output


@pytest.mark.parametrize("units", ["\u00b2", "9" * 5000])
def test_history_import_units_must_be_ascii_digits(tmp_path, units) -> None:
    paid = tmp_path / "paid.csv"
    paid.write_text(
        "member_id,procedure,service_date,order_id,form,claim_id,units\n"
        f"M1,S0353,2026-01-05,ORD1,837P,C1,{units}\n"
    )
    result = CliRunner().invoke(
        main, ["history", "import", str(paid), "--history", f"sqlite:///{tmp_path / 'h.db'}"]
    )
    assert result.exit_code == 2, result.output
    assert "units" in result.stderr and "is not a whole number" in result.stderr


@pytest.mark.parametrize("months", ["\u00b2", "9" * 5000, "0"])
def test_feed_months_must_be_ascii_digits(tmp_path, batch, months) -> None:
    feed = tmp_path / "auths.csv"
    feed.write_text(HEADER + GOOD_ROW.replace(",,PE1", f",{months},PE1"))
    result = check("--authorizations", str(feed), "-o", "-", str(batch))
    assert result.exit_code == 2
    assert "s0354_max_months" in result.stderr and len(result.stderr) < 400


def test_parquet_without_pyarrow_writes_nothing(tmp_path, batch, monkeypatch) -> None:
    real = edi837.cli.importlib.util.find_spec
    monkeypatch.setattr(
        edi837.cli.importlib.util,
        "find_spec",
        lambda name, *a: None if name == "pyarrow" else real(name, *a),
    )
    history = tmp_path / "h.db"
    result = CliRunner().invoke(
        main,
        [
            "check",
            "-q",
            "--history",
            f"sqlite:///{history}",
            "-o",
            str(tmp_path / "r.txt"),
            "--277ca",
            str(tmp_path / "x.277"),
            "--parquet",
            str(tmp_path / "pq"),
            str(batch),
        ],
    )
    assert result.exit_code == 2
    assert lines_of(result.stderr) == [
        "edi837: error: --parquet needs pyarrow: pip install 'edi837[parquet]'"
    ]
    assert os.listdir(tmp_path) == []


def test_run_outbox_that_cannot_be_written(tmp_path, batch) -> None:
    inbox = tmp_path / "in"
    inbox.mkdir()
    (inbox / "a.837").write_bytes(batch.read_bytes())
    (tmp_path / "file").write_text("")
    result = CliRunner().invoke(
        main,
        [
            "run",
            "--inbox",
            str(inbox),
            "--outbox",
            str(tmp_path / "file" / "out"),
            "--history",
            "none",
        ],
    )
    assert result.exit_code == 2
    (line,) = lines_of(result.stderr)
    assert line.startswith("edi837: error: cannot create outbox folder")


# -- conservation ---------------------------------------------------------------------
def _without(text: str, segment: str) -> str:
    return "~".join(s for s in text.split("~") if not s.strip().startswith(segment))


@pytest.mark.slow
@pytest.mark.parametrize("broken", ["no GS", "early GE", "no SE", "no IEA", "second ISA", "glued"])
def test_every_claim_in_a_broken_envelope_is_answered_once(tmp_path, batch, broken) -> None:
    text = batch.read_text()
    isa = text.split("~", 1)[0] + "~"
    mutant = {
        "no GS": _without(text, "GS*"),
        "early GE": text.replace("~\nST*", "~\nGE*1*1~\nST*", 1),
        "no SE": _without(text, "SE*"),
        "no IEA": _without(text, "IEA*"),
        "second ISA": text.replace("~\nHL*2*", f"~\n{isa}\nHL*2*", 1),
        "glued": text + text,
    }[broken]
    odd = tmp_path / "odd.837"
    odd.write_text(mutant)
    expected = 12 if broken == "glued" else 6
    ack = tmp_path / "x.277"
    result = check(
        "--format",
        "json",
        "-o",
        "-",
        "--277ca",
        str(ack),
        "--accepted",
        str(tmp_path / "a.837"),
        "--rejected",
        str(tmp_path / "r.837"),
        "--control-number",
        "1",
        str(odd),
    )
    assert result.exit_code in (1, 2), result.output
    claims = json.loads(result.stdout)["claims"]
    assert len(claims) == expected
    assert answered_in_277ca(ack) == expected
    if broken in ("no GS", "early GE"):
        assert all(any(f["rule"] == "ENV001" for f in c["findings"]) for c in claims)
        env = next(f for f in claims[0]["findings"] if f["rule"] == "ENV001")
        assert "ST outside a functional group" in env["message"]


# -- error lines: no PHI, bounded, escaped ----------------------------------------------
def test_mis_separated_segment_is_not_echoed(tmp_path, batch) -> None:
    text = batch.read_text()
    start = text.index("NM1*IL*")
    nm1 = text[start : text.index("~", start)]
    odd = tmp_path / "sep.837"
    odd.write_text(text.replace(nm1, nm1.replace("*", "|") + "|" + "Z" * 1_000_000, 1))
    result = check("-o", "-", str(odd))
    assert result.exit_code == 2
    member = nm1.split("*")[3]
    assert member not in result.stderr
    assert UNREADABLE_ID in result.stderr
    assert all(len(line) <= MAX_LINE for line in result.stderr.splitlines())


def test_bad_birth_date_is_not_echoed(tmp_path, batch) -> None:
    text = batch.read_text()
    start = text.index("DMG*D8*")
    dmg = text[start : text.index("~", start)]
    birth = dmg.split("*")[2]
    odd = tmp_path / "dmg.837"
    odd.write_text(text.replace(dmg, dmg.replace(birth, birth[:4] + "1399"), 1))
    result = check("-o", "-", str(odd))
    assert result.exit_code == 2
    assert "DMG02" in result.stderr and birth[:4] + "1399" not in result.stderr


def test_file_names_are_escaped(tmp_path) -> None:
    odd = tmp_path / "evil\nedi837: forged\x1b[2J.837"
    odd.write_bytes(b"not x12 at all")
    result = check("-o", "-", str(odd))
    assert result.exit_code == 2
    (line,) = lines_of(result.stderr)
    assert "\\n" in line and "\\x1b" in line


# -- feeds --------------------------------------------------------------------------------
def test_feed_reports_every_bad_row_first_20(tmp_path, batch) -> None:
    feed = tmp_path / "auths.csv"
    bad = "ORD{n},M{n},1310000017,2026-13-01,2026-12-31,S0353,,PE,authorized\n"
    feed.write_text(HEADER + "".join(bad.format(n=n) for n in range(25)))
    result = check("--authorizations", str(feed), "-o", "-", str(batch))
    assert result.exit_code == 2
    out = lines_of(result.stderr)
    assert len(out) == 21 and out[0].startswith(f"edi837: error: {feed}:2: valid_from")
    assert out[19].startswith(f"edi837: error: {feed}:21:")
    assert out[20] == f"edi837: error: {feed}: ... and 5 more bad row(s)"


def test_feed_encoding_error_names_its_line(tmp_path, batch) -> None:
    feed = tmp_path / "auths.csv"
    feed.write_bytes(
        (HEADER + GOOD_ROW).encode() + b"ORD9,M\xe9,,2026-01-01,2026-12-31,S0353,,PE,authorized\n"
    )
    result = check("--authorizations", str(feed), "-o", "-", str(batch))
    assert result.exit_code == 2
    (line,) = lines_of(result.stderr)
    assert line.startswith(f"edi837: error: {feed}:3: not UTF-8")


def test_conflicting_duplicates_name_both_lines(tmp_path, batch) -> None:
    feed = tmp_path / "auths.csv"
    feed.write_text(HEADER + GOOD_ROW + GOOD_ROW + GOOD_ROW.replace("authorized", "cancelled"))
    providers = tmp_path / "providers.csv"
    providers.write_text("npi,name,network,state\n1310000017,A,in,MA\n1310000017,A,out,MA\n")
    result = check("--authorizations", str(feed), "-o", "-", str(batch))
    assert result.exit_code == 2
    assert lines_of(result.stderr) == [
        f"edi837: error: {feed}:4: order_id 'ORD1' has different status here but not on line 2"
    ]
    result = check("--providers", str(providers), "-o", "-", str(batch))
    assert result.exit_code == 2
    assert "npi 1310000017 has network out" in result.stderr and "on line 2" in result.stderr


def test_feed_extra_columns_are_allowed(tmp_path, batch) -> None:
    feed = tmp_path / "auths.csv"
    feed.write_text(HEADER.rstrip("\n") + ",comment\n" + GOOD_ROW.rstrip("\n") + ",faxed order\n")
    result = check("--authorizations", str(feed), "-o", "-", str(batch))
    assert result.exit_code in (0, 1), result.output


# -- library hygiene --------------------------------------------------------------------
def test_screen_takes_one_path_as_one_path(batch, monkeypatch) -> None:
    monkeypatch.chdir(batch.parent)
    assert len(list(edi837.screen(str(batch)))) == 6
    assert len(list(edi837.screen(batch))) == 6
    assert len(list(edi837.read_claims(str(batch)))) == 6


def test_screen_warns_about_a_missing_path(tmp_path) -> None:
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        assert list(edi837.screen([tmp_path / "missing.837"])) == []
    assert any("missing.837" in str(w.message) and "cannot read" in str(w.message) for w in seen)


def test_a_path_given_twice_is_screened_once(batch) -> None:
    once = check("--format", "json", "-o", "-", str(batch))
    twice = check("--format", "json", "-o", "-", str(batch), str(batch))
    assert twice.exit_code == once.exit_code
    assert json.loads(twice.stdout)["claims"] == json.loads(once.stdout)["claims"]
    assert "given more than once; screened once" in twice.stderr


# -- temporary files ----------------------------------------------------------------------
def _run_dirs(folder: Path) -> list[Path]:
    return [p for p in folder.iterdir() if p.name.startswith(PREFIX)]


@pytest.mark.slow
def test_sigterm_leaves_no_temporary_files(tmp_path) -> None:
    big = tmp_path / "big.837"
    generate_file(big, seed=6, claims=20000)
    temp = tmp_path / "tmp"
    temp.mkdir()
    proc = subprocess.Popen(
        [
            str(EXE),
            "check",
            "--no-history",
            "-q",
            "--format",
            "json",
            "-o",
            str(tmp_path / "r.json"),
            str(big),
        ],
        env={**os.environ, "TMPDIR": str(temp)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.time() + 60
    while not any(p.iterdir() for p in _run_dirs(temp)) and time.time() < deadline:
        time.sleep(0.05)
    assert _run_dirs(temp), "the run made no temporary folder"
    assert oct(_run_dirs(temp)[0].stat().st_mode & 0o777) == "0o700"
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 128 + signal.SIGTERM, err
    assert list(temp.iterdir()) == []
    assert not (tmp_path / "r.json").exists()


def test_stale_folders_of_dead_runs_are_swept(tmp_path) -> None:
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    ).stdout.strip()
    stale = tmp_path / f"{PREFIX}{dead}-abc"
    fresh = tmp_path / f"{PREFIX}{dead}-new"
    alive = tmp_path / f"{PREFIX}{os.getppid()}-xyz"
    for folder in (stale, fresh, alive):
        folder.mkdir()
        (folder / "edi837-spool-1.db").write_text("claims")
    hour_ago = time.time() - 7200
    for folder in (stale, alive):
        os.utime(folder, (hour_ago, hour_ago))
    assert sweep_stale(str(tmp_path)) == [str(stale)]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([fresh.name, alive.name])


def test_history_file_is_private(tmp_path, batch) -> None:
    history = tmp_path / "h.db"
    result = CliRunner().invoke(
        main, ["check", "-q", "--history", f"sqlite:///{history}", "-o", "-", str(batch)]
    )
    assert result.exit_code in (0, 1), result.output
    assert history.stat().st_mode & 0o777 == 0o600


def test_annotate_notes_are_bounded(tmp_path, batch) -> None:
    from edi837.writers.annotate import MARK, MAX_NOTE

    text = batch.read_text()
    start = text.index("NM1*IL*")
    nm1 = text[start : text.index("~", start)]
    odd = tmp_path / "sep.837"
    odd.write_text(text.replace(nm1, nm1.replace("*", "|") + "|" + "Z" * 1_000_000, 1))
    notes_path = tmp_path / "notes.txt"
    result = check("-o", "-", "--annotate", str(notes_path), str(odd))
    assert result.exit_code == 2, result.output
    notes = [line for line in notes_path.read_text().splitlines() if line.startswith(MARK)]
    assert notes and all(len(line) <= len(MARK) + MAX_NOTE for line in notes)
    assert not any("Z" * 400 in line for line in notes)
