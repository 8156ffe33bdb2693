"""Sweeps over several JAX processes (``jax.distributed`` on 127.0.0.1, CPU devices).

Every process runs in a subprocess with a timeout, so a hang fails the test instead of
blocking CI.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import frg

REPO = Path(__file__).resolve().parents[1]


def _env(**extra):
    env = dict(os.environ, **extra)
    env.pop("XLA_FLAGS", None)  # one CPU device per process
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    return env


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _chunks(out: Path) -> dict[int, tuple[int, int, int]]:
    """chunk index → (process that wrote it, inode, mtime_ns) of every chunk file."""
    found = {}
    for path in out.glob("chunk-*.npz"):
        with np.load(path, allow_pickle=False) as z:
            meta = json.loads(str(z["__meta__"]))
        st = path.stat()
        found[meta["chunk"]] = (meta["process"], st.st_ino, st.st_mtime_ns)
    return found


def _group(nproc, out, kill=None, timeout=150, other=()):
    """Run ``nproc`` worker processes; ``kill=(victim, after)``: SIGKILL process
    ``victim`` once it has written ``after`` new chunks; processes in ``other`` get
    another sweep. Returns [(rc, report, stderr)]."""
    port = _port()
    before = set(_chunks(out)) if out.exists() else set()
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "tests._sweep_worker", str(i), str(nproc), str(port), str(out)]
            + (["other"] if i in other else []),
            cwd=REPO,
            env=_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(nproc)
    ]
    t_end = time.monotonic() + timeout
    try:
        if kill is not None:
            victim, after = kill
            while time.monotonic() < t_end:
                new = [c for c, m in _chunks(out).items() if c not in before and m[0] == victim]
                if len(new) >= after or procs[victim].poll() is not None:
                    break
                time.sleep(0.02)
            procs[victim].send_signal(signal.SIGKILL)
        runs = []
        for p in procs:
            so, se = p.communicate(timeout=max(1.0, t_end - time.monotonic()))
            lines = so.strip().splitlines()
            runs.append((p.returncode, json.loads(lines[-1]) if lines else None, se))
        return runs
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()


@pytest.mark.slow
def test_killed_process_stops_the_others_and_resume_completes_identically(tmp_path, monkeypatch):
    import jax

    from tests import _sweep_worker as worker

    monkeypatch.setattr(worker, "DELAY", 0.0)  # the same function here, without the wait
    one = jax.devices()[:1]
    ref = frg.sweep(worker.slow, worker.params(), chunk_size=1, progress=False, devices=one)
    ref_y = [float(v).hex() for v in ref.outputs["y"]]
    out = tmp_path / "sweep"

    # a worker (process 1) killed in the middle: process 0 stops with a clear message
    (rc0, rep0, err0), (rc1, _, _) = _group(2, out, kill=(1, 1))
    assert rc1 == -signal.SIGKILL
    assert rc0 == 3 and "process 1 of 2 stopped" in rep0["aborted"], err0[-2000:]
    first = _chunks(out)
    assert {m[0] for m in first.values()} == {0, 1} and len(first) < 60

    # resumed with the same P, the coordinator (process 0) killed: JAX terminates the
    # other process at once (its runtime's fatal error), no hang
    (rc0, _, _), (rc1, rep1, err1) = _group(2, out, kill=(0, 1))
    assert rc0 == -signal.SIGKILL and rc1 != 0, (rc1, rep1)
    second = _chunks(out)
    assert all(second[c] == m for c, m in first.items())  # nothing rewritten

    # resumed with another P: completes, each missing chunk computed by one process
    runs = _group(3, out)
    assert [r[0] for r in runs] == [0, 0, 0], [r[2][-2000:] for r in runs]
    computed = [r[1]["computed"] for r in runs]
    flat = [c for cs in computed for c in cs]
    assert len(flat) == len(set(flat)) and set(flat) == set(range(60)) - set(second)
    final = _chunks(out)
    assert set(final) == set(range(60))
    assert all(final[c] == m for c, m in second.items())  # no chunk written twice
    for _, rep, _ in runs:  # every process returns the merged result: bit for bit
        assert rep["processes"] == 3
        assert rep["y"] == ref_y and rep["failed"] == ref.failed.tolist()


@pytest.mark.slow
def test_process_started_with_another_sweep_stops_every_process(tmp_path):
    (rc0, rep0, err0), (rc1, rep1, err1) = _group(2, tmp_path / "sweep", other=(1,))
    assert rc1 == 1 and rep1 is None and "different sweep than process 0" in err1
    assert rc0 == 3, err0[-2000:]
    assert "process 1 of 2 failed (started with a different sweep" in rep0["aborted"]
    assert len(_chunks(tmp_path / "sweep")) < 60  # stopped early, not at the end
