"""`frg sweep TARGET --processes 2` (jax.distributed on 127.0.0.1, CPU) equals one process
bit for bit; every CLI run is a subprocess with a timeout, so a hang fails the test."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from tests.test_sweep_processes import REPO, _chunks, _env


def _cli(argv, timeout=400, **env):
    out = subprocess.run(
        [sys.executable, "-m", "frg.cli", *argv, "--json"],
        cwd=REPO,
        env=_env(**env),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    lines = out.stdout.strip().splitlines()
    assert out.returncode == 0 and len(lines) == 1, out.stderr[-3000:]
    return json.loads(lines[0])


def _chunk_bytes(out: Path) -> dict[str, dict[str, bytes]]:
    found = {}
    for path in sorted(out.rglob("chunk-*.npz")):
        with np.load(path, allow_pickle=False) as z:
            found[str(path.relative_to(out))] = {k: z[k].tobytes() for k in z if k != "__meta__"}
    return found


@pytest.mark.slow
@pytest.mark.parametrize(
    "argv",
    [
        ["flow", "--param", "kappa=0.01:0.07:4", "--grid", "32", "--chunk-size", "1"],
        ["exponents", "--param", "N=1:4:4", "--chunk-size", "2"],
    ],
    ids=["flow", "exponents"],
)
def test_two_processes_equal_one_process_bit_for_bit(tmp_path, argv):
    # a compilation cache of this test's own: process 0 of the two writes the chunk
    # program to it (the local processes run equinox's checks without host callbacks, as
    # `frg` itself; with callbacks JAX caches nothing), and the one-process run reads it
    cache = tmp_path / "cache"
    two = _cli(
        ["sweep", *argv, "--out", str(tmp_path / "two"), "--processes", "2"],
        JAX_COMPILATION_CACHE_DIR=str(cache),
    )
    assert any(p.name.startswith("jit__chunk") for p in cache.iterdir())
    one = _cli(
        ["sweep", *argv, "--out", str(tmp_path / "one")], JAX_COMPILATION_CACHE_DIR=str(cache)
    )
    assert two["processes"] == 2 and one["processes"] == 1
    assert two["status"] == one["status"] == "success" and two["failed"] == one["failed"] == 0
    assert two["results"] == one["results"]  # JSON floats round-trip exactly
    assert _chunk_bytes(tmp_path / "two") == _chunk_bytes(tmp_path / "one")  # bit for bit
    by_process = two["chunks_by_process"]
    flat = [c for cs in by_process for c in cs]
    assert sorted(flat) == one["computed_chunks"] == two["computed_chunks"]
    assert len(flat) == len(set(flat))  # each chunk computed by one process
    written = {c: m[0] for c, m in _chunks(tmp_path / "two").items()}
    assert written == {c: i for i, cs in enumerate(by_process) for c in cs}


def _children(pid: int) -> list[int]:
    return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


@pytest.mark.slow
@pytest.mark.skipif(
    not Path(f"/proc/{os.getpid()}/task/{os.getpid()}/children").exists(),
    reason="finds the launcher's processes in /proc",
)
def test_launcher_reports_a_killed_process_and_resume_completes(tmp_path):
    out = tmp_path / "sweep"
    argv = ["sweep", "flow", "--param", "kappa=0.01:0.07:60", "--grid", "32"]
    argv += ["--chunk-size", "2", "--out", str(out), "--heartbeat-timeout", "3"]
    launcher = subprocess.Popen(
        [sys.executable, "-m", "frg.cli", *argv, "--processes", "2", "--json"],
        cwd=REPO,
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        t_end = time.monotonic() + 300
        while not list(out.glob("chunk-*.npz")) and time.monotonic() < t_end:
            assert launcher.poll() is None, launcher.communicate()[1][-3000:]
            time.sleep(0.02)
        victims = [
            c
            for c in _children(launcher.pid)
            if '"process_id": 1' in Path(f"/proc/{c}/cmdline").read_text()
        ]
        assert len(victims) == 1
        os.kill(victims[0], signal.SIGKILL)  # process 1, in the middle of the sweep
        so, se = launcher.communicate(timeout=max(1.0, t_end - time.monotonic()))
    finally:
        if launcher.poll() is None:
            launcher.kill()
            launcher.wait()
    lines = so.strip().splitlines()
    assert launcher.returncode == 1 and len(lines) == 1, se[-3000:]
    rep = json.loads(lines[0])
    assert rep["status"] == "error" and rep["processes"] == 2
    assert "process 1 of 2 was killed by SIGKILL" in rep["error"]
    assert "process 1 of 2 stopped" in rep["error"]  # process 0 noticed and stopped
    assert "--resume" in rep["error"]
    before = _chunks(out)

    done = _cli([*argv, "--resume"])  # another number of processes: 1
    assert done["status"] == "success" and done["completed"] == 60 and done["failed"] == 0
    assert sorted(done["computed_chunks"]) == sorted(set(range(30)) - set(before))
    after = _chunks(out)
    assert set(after) == set(range(30)) and all(after[c] == m for c, m in before.items())
