"""Shared helpers of the benchmarks: cached inputs, child-process measurement, results.

Every measurement runs in a fresh child process, so peak RSS is that process's own:
``/usr/bin/time -v`` reports it when present, else a small Python wrapper reads
``resource.getrusage(RUSAGE_CHILDREN)`` after the child exits.
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date
from itertools import islice
from pathlib import Path

BENCH = Path(__file__).resolve().parent
DATA = BENCH / "data"  # gitignored
RESULTS = BENCH / "RESULTS.md"
SEED = 7
TIME = "/usr/bin/time" if Path("/usr/bin/time").exists() else None  # GNU time -v

_WRAPPER = (
    "import resource, subprocess, sys\n"
    "code = subprocess.run(sys.argv[1:]).returncode\n"
    "rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
    "print(f'Maximum resident set size (kbytes): {rss}', file=sys.stderr)\n"
    "sys.exit(code)\n"
)


def compile_edi837() -> None:
    """Byte-compile edi837 as an install would (pip compiles what it installs; pyx12's
    modules are compiled so): an editable checkout under ``PYTHONDONTWRITEBYTECODE``
    would otherwise compile every module again in each measured run."""
    import compileall

    import edi837

    compileall.compile_dir(Path(edi837.__file__).parent, quiet=1)


def edi837_exe() -> str:
    """The ``edi837`` console script of the running interpreter's environment."""
    exe = Path(sys.executable).with_name("edi837")
    return str(exe) if exe.exists() else shutil.which("edi837") or "edi837"


def dataset(claims: int, form: str = "837P", seed: int = SEED, prefix_of: int = 0) -> Path:
    """A generated 837 in bench/data/, built once and reused.

    With ``prefix_of`` the file holds the first ``claims`` claims of the ``prefix_of``-claim
    batch (same claims, same order), for timing a slow reader on a prefix.
    """
    from edi837.synth import generate_file, random_claims, write_837

    DATA.mkdir(exist_ok=True)
    name = f"{form}-{seed}-{claims}" + (f"-of-{prefix_of}" if prefix_of else "") + ".837"
    path = DATA / name
    if not path.exists():
        tmp = path.with_suffix(".tmp")
        if prefix_of:
            with open(tmp, "w", encoding="ascii", newline="", buffering=1 << 20) as out:
                stream = random_claims(seed, prefix_of, form=form)
                write_837(out, islice(stream, claims), line_ending="\n")
        else:
            generate_file(tmp, seed=seed, claims=claims, form=form)
        tmp.replace(path)
    return path


def count_segments(path: Path) -> tuple[int, int]:
    """(segments, claims) of a file, by our reader."""
    from edi837.claim.builder import ClaimReader

    reader = ClaimReader(path)
    claims = sum(1 for _ in reader)
    return reader.segments, claims


@dataclass
class Measured:
    seconds: float  # wall clock of the child process
    max_rss_kb: int
    returncode: int
    stdout: str


def measure(cmd: list[str]) -> Measured:
    """Run ``cmd`` in a fresh process; wall seconds and its peak RSS."""
    wrapper = [TIME, "-v"] if TIME else [sys.executable, "-c", _WRAPPER]
    env = {**os.environ, "EDI837_HOME": tempfile.mkdtemp(prefix="edi837-bench-")}
    env.pop("EDI837_HISTORY", None)  # never touch a real history store
    start = time.perf_counter()
    proc = subprocess.run([*wrapper, *cmd], capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - start
    found = re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr)
    if not found:
        raise RuntimeError(f"no RSS reported for {cmd}: {proc.stderr[-2000:]}")
    return Measured(seconds, int(found.group(1)), proc.returncode, proc.stdout)


def worker_json(measured: Measured) -> dict:
    return json.loads(measured.stdout.strip().splitlines()[-1])


def machine() -> str:
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    from importlib.metadata import version

    return (f"{os.cpu_count()} cores ({model}), Python {platform.python_version()}, "
            f"pyx12 {version('pyx12')}, {platform.system()} {platform.release()}; "
            f"run {date.today().isoformat()}; RSS via "
            f"{'/usr/bin/time -v' if TIME else 'getrusage(RUSAGE_CHILDREN)'}")  # fmt: skip


def update_results(section: str, markdown: str) -> None:
    """Replace this benchmark's section of bench/RESULTS.md (between its markers)."""
    begin, end = f"<!-- {section} -->", f"<!-- /{section} -->"
    text = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
    block = f"{begin}\n{markdown.rstrip()}\n{end}"
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        text = head + block + rest.split(end, 1)[1]
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    RESULTS.write_text(text)


def mb(kb: int) -> str:
    return f"{kb / 1024:.0f} MB"
