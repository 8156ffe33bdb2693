"""CLI: `frg flow`, `frg zero-d`: --json prints exactly one JSON object; bad input -> exit 2."""

import json

import pytest

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
    for key in ("rho0", "m2R", "solve_seconds", "compile_seconds"):
        assert isinstance(d[key], float)
    assert 0.015 < d["rho0"] < 0.025


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
    assert abs(d["gamma2"] / 0.19950989300987482 - 1) < 1e-6


def test_flow_bad_input_json(capsys):
    rc, d = _json(capsys, ["flow", "--k-ir", "2.0", "--json"])
    assert rc == 2 and d["status"] == "error" and "k_ir" in d["error"]


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
