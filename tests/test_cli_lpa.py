"""CLI: `frg flow`, `frg zero-d`: --json prints exactly one JSON object; bad input -> exit 2."""

import json

import numpy as np
import pytest

import frg
from frg.cli import main


def _json(capsys, argv):
    rc = main(argv)
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1, out
    return rc, json.loads(out[0])


def test_flow_json(capsys):
    rc, d = _json(
        capsys,
        [
            "flow",
            "--N",
            "1",
            "--d",
            "3",
            "--regulator",
            "litim",
            "--lam",
            "1",
            "--kappa",
            "0.05",
            "--k-ir",
            "1e-3",
            "--grid",
            "64",
            "--rho-max",
            "0.1",
            "--json",
        ],
    )
    assert rc == 0 and d["status"] == "success"
    for key in ("rho0", "m2R", "m2R_error", "seconds"):
        assert isinstance(d[key], float)
    assert 0.015 < d["rho0"] < 0.025
    # the CLI reports the library's numbers
    sol = frg.solve_flow(frg.RhoPotential(1.0, 0.05), frg.Litim(), grid=64, rho_max=0.1)
    assert d["m2R"] == float(sol.m2R[-1]) and d["rho0"] == float(sol.rho0[-1])


def test_flow_out_round_trips_the_flow(capsys, tmp_path):
    out = tmp_path / "flow"
    argv = ["flow", "--grid", "32", "--k-ir", "0.05", "--saves", "5", "--out", str(out), "--json"]
    rc, d = _json(capsys, argv)
    assert rc == 0 and d["status"] == "success"
    res = frg.load(out)
    assert res.kind == "flow" and res.summary["m2R"] == d["m2R"]
    sol = frg.solve_flow(
        frg.RhoPotential(1.0, 0.05),
        frg.Litim(),
        grid=32,
        k_ir=0.05,
        ks_out=np.geomspace(1.0, 0.05, 5),
    )
    for name in ("k", "rho", "U", "dU", "rho0", "m2R"):
        np.testing.assert_array_equal(res[name], np.asarray(getattr(sol, name)))
    assert res["U"].shape == (5, 32)


@pytest.mark.slow
def test_quickstart_out_round_trips(capsys, tmp_path):
    rc, d = _json(capsys, ["quickstart", "--grid", "32", "--out", str(tmp_path), "--json"])
    assert rc == 0 and d["status"] == "success"
    res = frg.load(tmp_path)
    assert res.kind == "quickstart"
    k, rho0 = res["broken_k"], res["broken_rho0"]
    assert k[0] == 1.0 and abs(k[-1] - 1e-3) < 1e-15 and rho0[-1] == d["phases"][1]["rho0"]
    assert res["symmetric_U"].shape == (k.size, 32)
    # near the fixed point κ̃ = k^{2−d}ρ0 changes little over the middle decade of k
    # (10–90 % range: on 32 cells a few read-outs of the small minimum scatter); the
    # broken flow's κ̃ grows 10-fold over the same decade
    near = res["near-critical_broken_rho0"] / k
    mid = (k > 0.03) & (k < 0.3)
    lo, hi = np.quantile(near[mid], [0.1, 0.9])
    assert hi - lo < 0.25 * np.median(near[mid])
    far = rho0 / k
    assert far[mid][-1] > 5 * far[mid][0]
    for name in ("symmetric", "broken", "dimensionless"):
        assert (tmp_path / f"{name}.png").stat().st_size > 0


def test_zero_d_json(capsys):
    rc, d = _json(
        capsys,
        [
            "zero-d",
            "--N",
            "1",
            "--m2",
            "-1",
            "--lam",
            "1",
            "--g6",
            "0",
            "--rho-max",
            "20",
            "--json",
        ],
    )
    assert rc == 0 and d["status"] == "success"
    assert abs(d["gamma2"] / 0.19950989300987482 - 1) < 1e-6  # exact 0-D integral


def test_flow_bad_input_json(capsys):
    rc, d = _json(capsys, ["flow", "--k-ir", "2.0", "--json"])
    assert rc == 2 and d["status"] == "error" and "k_ir" in d["error"]
    # refused before the "compiling and solving" progress line
    rc = main(["flow", "--d", "5", "--json"])
    captured = capsys.readouterr()
    assert rc == 2 and "d must lie in (0.0, 4.0]" in json.loads(captured.out)["error"]
    assert "compiling" not in captured.err


def test_usage_error_with_json_prints_one_json_object(capsys):
    # argparse errors (bad choice, bad type) keep the --json contract: one object on stdout
    for argv in (["flow", "--stepper", "bad", "--json"], ["flow", "--grid", "abc", "--json"]):
        with pytest.raises(SystemExit) as exc:
            main(argv)
        assert exc.value.code == 2
        out = capsys.readouterr().out.strip().splitlines()
        assert len(out) == 1
        obj = json.loads(out[0])
        assert obj["status"] == "error" and argv[1] in obj["error"]
