"""`frg sweep flow` and the vmapped phase-boundary bisection agree with single solves."""

import io
import json
from contextlib import redirect_stdout

import numpy as np

import frg
from frg.cli import main

GRID = 32


def _single(kappa, lam=1.0):
    sol = frg.solve_flow(frg.RhoPotential(lam=lam, kappa=kappa), frg.Litim(), grid=GRID)
    return float(sol.rho0[-1]), float(sol.m2R[-1]), int(sol.status)


def _run_cli(argv):
    buf = io.StringIO()
    with redirect_stdout(buf):
        code = main(argv)
    lines = buf.getvalue().strip().splitlines()
    assert len(lines) == 1  # exactly one JSON object on stdout
    return code, json.loads(lines[0])


def test_sweep_flow_cli_matches_single_solves_and_resumes(tmp_path, capsys):
    argv = ["sweep", "flow", "--param", "kappa=0.01,0.06", "--grid", str(GRID)]
    argv += ["--out", str(tmp_path), "--chunk-size", "2", "--json"]
    code, out = _run_cli(argv)
    assert code == 0 and out["completed"] == 2 and out["failed"] == 0 and out["processes"] == 1
    assert "sweep flow" not in capsys.readouterr().err  # no progress bar under --json
    for rec, kappa in zip(out["results"], (0.01, 0.06), strict=True):
        rho0, m2r, status = _single(kappa)
        assert rec["kappa"] == kappa and rec["status"] == status == 0
        np.testing.assert_allclose([rec["rho0"], rec["m2R"]], [rho0, m2r], rtol=1e-8, atol=1e-14)
    assert out["results"][0]["rho0"] == 0.0 and out["results"][1]["rho0"] > 0.0
    code, again = _run_cli([*argv, "--resume", "--progress"])
    assert again["computed_chunks"] == [] and again["results"] == out["results"]
    assert "sweep flow" in capsys.readouterr().err  # asked for: a tqdm bar on stderr


def test_sweep_flow_cli_refuses_unknown_parameter(tmp_path):
    argv = ["sweep", "flow", "--param", "grid=16:32:2", "--out", str(tmp_path), "--json"]
    code, out = _run_cli(argv)
    assert code == 2 and "sweepable options" in out["error"]


def test_phase_boundary_bracket_matches_single_solves():
    lams = [0.5, 2.0]
    pb = frg.critical_kappa(lams, grid=GRID, iters=8)
    assert np.all(np.asarray(pb.status) == 0)
    width = np.asarray(pb.kappa_hi) - np.asarray(pb.kappa_lo)
    np.testing.assert_allclose(width, 0.08 / 2**8, rtol=1e-12)
    for lam, lo, hi in zip(lams, np.asarray(pb.kappa_lo), np.asarray(pb.kappa_hi), strict=True):
        assert _single(lo, lam)[0] == 0.0  # symmetric side
        assert _single(hi, lam)[0] > 0.0  # broken side


def test_sweep_process_options_refused_before_anything_starts(tmp_path):
    base = ["sweep", "flow", "--param", "kappa=0.01,0.02", "--out", str(tmp_path), "--json"]
    for extra, words in [
        (["--processes", "0"], "--processes must be an integer >= 1"),
        (["--processes", "2", "--coordinator", "127.0.0.1:1"], "use one way"),
        (["--heartbeat-timeout", "1"], "--heartbeat-timeout must be an integer >= 2"),
        (["--num-processes", "2", "--process-id", "2"], "--process-id must be in [0, 1]"),
        (["--coordinator", "localhost"], "HOST:PORT"),
    ]:
        code, out = _run_cli([*base, *extra])
        assert code == 2 and words in out["error"], (extra, out)
    assert not list(tmp_path.glob("chunk-*"))  # nothing computed
