"""Stopping `research build` with signals, as a user (Ctrl-C) or a supervisor (SIGTERM) would.

Each test starts ``research build`` as a process in its own process group, with its own
system temporary directory, on three reports: a tiny one and two that hang (each hanging
kernel writes its process id to a file first). Once the tiny report is built and both
hanging kernels run, the test sends the signal to the build's process or to its whole
group, by process id, and checks: the build exits within seconds with 130 (SIGINT) or 143
(SIGTERM) and one line; every worker and kernel is gone; no temporary file or folder is
left in the output folder or the temporary directory; nothing is written after the stop;
the index lists the report that was built and no other.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RESEARCH = Path(sys.executable).parent / "research"
NB = "tests/fixtures/notebooks"


def alive(pid: int) -> bool:
    """Whether ``pid`` is a process that still runs (a zombie does not)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "\nState:\tZ" not in status


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            found += [int(c) for c in (task / "children").read_text().split()]
    return found


def wait_for(predicate, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {
        str(p.relative_to(folder)): (p.stat().st_mtime_ns, p.stat().st_size)
        for p in sorted(folder.rglob("*"))
    }


def start_build(tmp_path: Path):
    pids = tmp_path / "pids"
    pids.mkdir()
    reports = tmp_path / "reports.toml"
    reports.write_text(
        f'[reports.tiny]\nnotebook = "{NB}/tiny.ipynb"\ntitle = "Tiny"\n'
        + "".join(
            f'\n[reports.{name}]\nnotebook = "{NB}/hangs_in_second_cell.ipynb"\n'
            f'title = "{name}"\nparameters = {{ pid_file = "{pids / name}" }}\n'
            for name in ("hang_a", "hang_b")
        )
    )
    tmp = tmp_path / "systemtmp"
    tmp.mkdir()
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [str(RESEARCH), "build", "--jobs", "2", "--reports", str(reports), "--out", str(out)],
        cwd=ROOT,
        env={**os.environ, "TMPDIR": str(tmp)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a shell job would have
    )
    try:
        wait_for(
            lambda: (
                {p.name for p in pids.iterdir() if p.read_text()} == {"hang_a", "hang_b"}
                or proc.poll() is not None
            ),
            120,
            "both hanging kernels",
        )
    except AssertionError:
        os.killpg(proc.pid, signal.SIGKILL)
        raise
    assert proc.poll() is None, proc.communicate()
    kernels = [int((pids / name).read_text()) for name in ("hang_a", "hang_b")]
    return proc, out, tmp, kernels


@pytest.mark.parametrize(
    ("signum", "target"),
    [
        (signal.SIGINT, "process"),
        (signal.SIGTERM, "process"),
        (signal.SIGINT, "group"),
        (signal.SIGTERM, "group"),
    ],
    ids=["SIGINT-process", "SIGTERM-process", "SIGINT-group", "SIGTERM-group"],
)
def test_signal_stops_every_worker_and_kernel_and_leaves_nothing(tmp_path, signum, target):
    proc, out, tmp, kernels = start_build(tmp_path)
    workers = children(proc.pid)
    assert workers and all(alive(p) for p in workers + kernels)
    sent = time.monotonic()
    if target == "group":  # Ctrl-C in a terminal, or `kill -TERM -PGID`
        os.killpg(proc.pid, signum)
    else:
        os.kill(proc.pid, signum)
    try:
        _, stderr = proc.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        raise
    took = time.monotonic() - sent
    assert proc.returncode == 128 + signum, stderr
    assert took < 5, f"the build took {took:.1f} s to stop"
    wait_for(lambda: not any(alive(p) for p in workers + kernels), 3, "workers and kernels")

    last = stderr.strip().splitlines()[-1]
    assert last.startswith(f"research build: stopped by {signal.Signals(signum).name}: "), stderr
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr, stderr
    assert "1 built" in last and "2 stopped" in last, last

    assert sorted(p.name for p in out.iterdir()) == ["index.html", "tiny.html", "tiny.ipynb"]
    assert list(tmp.iterdir()) == []
    index = (out / "index.html").read_text()
    assert '<a href="tiny.html">' in index
    assert 'href="hang_a.html"' not in index and 'href="hang_b.html"' not in index
    before = snapshot(out)
    time.sleep(1.5)
    assert snapshot(out) == before  # nothing written after the stop


def test_a_killed_build_takes_its_workers_and_kernels_with_it(tmp_path):
    """SIGKILL cannot be caught: the workers notice their build is gone and end their kernels.
    The next build removes the dead build's staging folder."""
    proc, out, tmp, kernels = start_build(tmp_path)
    workers = children(proc.pid)
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=10)
    wait_for(lambda: not any(alive(p) for p in workers + kernels), 5, "workers and kernels")
    assert [p.name for p in out.iterdir() if p.name.startswith(".build-")]
    done = subprocess.run(
        [str(RESEARCH), "build", "--reports", str(tmp_path / "reports.toml"), "--out", str(out)]
        + ["tiny"],
        cwd=ROOT,
        env={**os.environ, "TMPDIR": str(tmp)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert [p.name for p in out.iterdir() if p.name.startswith(".")] == []
    assert list(tmp.iterdir()) == []
