"""``frg exponents`` CLI (in-process: shares the compiled LPA program with other tests)."""

import json

import numpy as np

from frg.cli import main


def test_cli_exponents_json(capsys):
    rc = main(["exponents", "--N", "1", "--d", "3", "--regulator", "litim", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert rc == 0 and out["status"] == "success"
    np.testing.assert_allclose(out["nu"], 0.649561773880, atol=5e-11)
    np.testing.assert_allclose(out["omega"], 0.655745939, atol=1e-7)
    assert out["eta"] == 0.0
    assert len(out["theta"]) >= 4 and out["theta"][0] > 0 > out["theta"][1]
    assert out["solve_seconds"] > 0 and out["compile_seconds"] >= 0
    fp = out["fixed_point"]
    assert fp["kind"] == "wilson-fisher" and fp["n_relevant"] == 1 and fp["nodes"] == 1


def test_cli_exponents_bad_input(capsys):
    rc = main(["exponents", "--N", "0.5", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert rc == 2 and out["status"] == "error" and "N must lie" in out["error"]
    rc = main(["exponents", "--d", "4.2", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert rc == 2 and "d must lie" in out["error"]


def test_cli_exponents_de2_matches_api(capsys):
    # `frg exponents --truncation de2` (issue 7) reports what frg.de2_exponents computes.
    import frg

    code = main(
        "exponents --N 1 --d 3 --regulator exponential --truncation de2 --a 2 --M 16 --json".split()
    )
    out = capsys.readouterr().out.strip().splitlines()
    assert code == 0 and len(out) == 1
    res = json.loads(out[0])
    ex = frg.de2_exponents(frg.Exponential(a=2.0), N=1, d=3.0, grid=16)
    np.testing.assert_allclose([res["nu"], res["eta"]], [float(ex.nu), float(ex.eta)], rtol=1e-12)
    assert res["status"] == "success" and res["alpha"] == 2.0
    # O(∂²) η is positive and near 0.044 (Balog et al., PRL 123, 240604 (2019): η = 0.0443)
    assert abs(res["eta"] - 0.0443) < 5e-4
