"""`frg sweep TARGET --processes 2` (jax.distributed on 127.0.0.1, CPU) equals one process
bit for bit; every CLI run is a subprocess with a timeout, so a hang fails the test."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.test_sweep_processes import REPO, _chunks, _env


def _cli(argv, timeout=400):
    out = subprocess.run(
        [sys.executable, "-m", "frg.cli", *argv, "--json"],
        cwd=REPO,
        env=_env(),
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
    two = _cli(["sweep", *argv, "--out", str(tmp_path / "two"), "--processes", "2"])
    one = _cli(["sweep", *argv, "--out", str(tmp_path / "one")])
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
