"""``frg exponents`` CLI (in-process: shares the compiled LPA program with other tests)."""

import json

import numpy as np
import pytest

import frg
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
    assert out["M"] == 56  # frg.grid_degree(3)


def test_cli_exponents_bad_input(capsys):
    rc = main(["exponents", "--N", "0.5", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert rc == 2 and out["status"] == "error" and "N must lie" in out["error"]
    rc = main(["exponents", "--d", "4.2", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert rc == 2 and "d must lie" in out["error"]


@pytest.mark.slow
def test_cli_exponents_de2_matches_api(capsys):
    # `frg exponents --truncation de2` goes through frg.critical_exponents with frg.DE2
    import frg

    code = main(
        "exponents --N 1 --d 3 --regulator wetterich --truncation de2 --a 2 --M 16 --json".split()
    )
    out = capsys.readouterr().out.strip().splitlines()
    assert code == 0 and len(out) == 1
    res = json.loads(out[0])
    ex = frg.critical_exponents(frg.Wetterich(a=2.0), N=1, d=3.0, truncation=frg.DE2(grid=16))
    np.testing.assert_allclose(
        [res["nu"], res["eta"], res["omega"]],
        [float(ex.nu), float(ex.eta), float(ex.omega)],
        rtol=1e-12,
    )
    assert res["status"] == "success" and res["a"] == 2.0 and res["pms"] is False
    assert res["M"] == 16 and res["compile_seconds"] > 0 and res["solve_seconds"] > 0


@pytest.mark.slow
def test_sweep_exponents_reproduces_published_lpa_and_resumes(tmp_path, capsys):
    argv = ["sweep", "exponents", "--param", "N=1,2", "--out", str(tmp_path), "--json"]
    assert main(argv) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["completed"] == 2 and out["failed"] == 0
    one, two = out["results"]
    # Litim, LPA, d = 3: nu(N=1) = 0.649561773880, omega = 0.655745939 (Bervillier,
    # Jüttner, Litim, Nucl. Phys. B 783, 213 (2007)); nu(N=2) = 0.7082 (Litim, Nucl.
    # Phys. B 631, 128 (2002), four printed digits).
    np.testing.assert_allclose([one["nu"], one["omega"]], [0.649561773880, 0.655745939], atol=1e-7)
    assert abs(one["nu"] - 0.649561773880) < 5e-11 and round(two["nu"], 4) == 0.7082
    # nu = 1/theta_1 in float64: 1/nu reproduces theta_1 to rounding (1 ulp), not bitwise
    assert abs(one["theta"][0] - 1.0 / one["nu"]) <= 4e-16 * one["theta"][0]
    assert one["status"] == two["status"] == 0
    assert main([*argv, "--resume"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert again["computed_chunks"] == [] and again["results"] == out["results"]


@pytest.mark.slow
def test_sweep_exponents_groups_points_by_grid_degree(tmp_path, capsys, monkeypatch):
    # d = 2.75 and 3 need different default grids (frg.grid_degree: M = 72, 56): one
    # sub-sweep each (here forced: by default only from GROUP_MIN_POINTS points on),
    # checkpointed in --out/M72 and --out/M56, merged in parameter order; each point
    # equals the single-point call on its own default grid
    import frg
    from frg.cli import build_parser, exponents

    argv = ["sweep", "exponents", "--param", "d=3,2.75", "--out", str(tmp_path), "--json"]
    params = {"d": np.array([3.0, 2.75])}
    assert exponents.sweep_groups(build_parser().parse_args(argv), params) is None  # 2 < 1000
    monkeypatch.setattr(exponents, "GROUP_MIN_POINTS", 1)
    assert exponents.sweep_groups(build_parser().parse_args([*argv, "--M", "40"]), params) is None
    assert main(argv) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["groups"] == {"M56": 1, "M72": 1} and out["completed"] == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["M56", "M72"]
    assert [r["d"] for r in out["results"]] == [3.0, 2.75]
    for r in out["results"]:
        ex = frg.critical_exponents(frg.Litim(), N=1.0, d=r["d"])
        assert r["status"] == 0 and ex.result == frg.RESULTS.successful
        assert abs(r["nu"] - float(ex.nu)) < 1e-10 and abs(r["omega"] - float(ex.omega)) < 1e-8
    assert main([*argv, "--resume"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert again["computed_chunks"] == [] and again["results"] == out["results"]


def test_sweep_exponents_bad_input(tmp_path, capsys):
    for spec, match in [
        ("N=0.5,2", "N must lie"),
        ("d=3,4", "d must lie"),
        ("M=8,16", "--param M"),
    ]:
        assert main(["sweep", "exponents", "--param", spec, "--out", str(tmp_path), "--json"]) == 2
        assert match in json.loads(capsys.readouterr().out)["error"]
    argv = ["sweep", "exponents", "--regulator", "wetterich", "--param", "a=-1,2"]
    assert main([*argv, "--out", str(tmp_path), "--json"]) == 2
    assert "a must be finite and > 0" in json.loads(capsys.readouterr().out)["error"]


def test_cli_exponents_out_roundtrip(tmp_path, capsys):
    # the fixed point is kept: summary + u*(rho) read back by frg.load, equal to the JSON
    assert main(["exponents", "--M", "24", "--out", str(tmp_path / "fp"), "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    res = frg.load(tmp_path / "fp")
    assert res.kind == "fixed-point" and res["nu"] == printed["nu"]
    assert res["fixed_point"]["kind"] == "wilson-fisher"
    # u* changes sign once (Wilson-Fisher: one node) on the saved rho grid
    assert np.sum(np.diff(np.sign(res["u"])) != 0) == 1
    np.testing.assert_allclose(res["theta"].real[:2], printed["theta"][:2], rtol=1e-15)


def test_cli_exponents_de4_bad_input(capsys):
    # refused before anything is compiled: O(∂⁴) is the N = 1 truncation, smooth regulators
    rc = main("exponents --N 2 --regulator exponential --a 1 --truncation de4 --json".split())
    out = json.loads(capsys.readouterr().out)
    assert rc == 2 and "N must be 1" in out["error"]
    rc = main("exponents --regulator litim --truncation de4 --a 1 --json".split())
    out = json.loads(capsys.readouterr().out)
    assert rc == 2 and "does not apply" in out["error"]  # litim has no --a
    rc = main("exponents --regulator power --truncation de4 --json".split())  # PMS bracket?
    out = json.loads(capsys.readouterr().out)
    assert rc == 2 and "PMS is defined for ['exponential', 'wetterich']" in out["error"]


@pytest.mark.validation
def test_cli_exponents_de4_orders_and_error_bar(capsys):
    # `frg exponents --truncation de4` (O(∂⁴) compiles for minutes: validation tier):
    # the O(∂⁴) values of frg.critical_exponents, the lower orders at the same regulator,
    # and the error bar of Balog et al. (half the change from O(∂²))
    rc = main("exponents --regulator wetterich --a 2 --truncation de4 --M 12 --json".split())
    res = json.loads(capsys.readouterr().out)
    assert rc == 0 and res["status"] == "success" and res["pms"] is False
    ex = frg.critical_exponents(frg.Wetterich(a=2.0), N=1, d=3.0, truncation=frg.DE4(grid=12))
    np.testing.assert_allclose(res["nu"], float(ex.nu), rtol=1e-12)
    o = res["orders"]
    assert o["de4"]["nu"] == res["nu"] and o["lpa"]["eta"] == 0.0
    for k in ("nu", "eta", "omega"):
        assert res["error_bar"][k] == pytest.approx(0.5 * abs(o["de4"][k] - o["de2"][k]))
    assert abs(res["nu"] - res["bootstrap"]["nu"]) < 2 * res["error_bar"]["nu"]


@pytest.mark.validation
def test_cli_exponents_de4_pms(capsys):
    # without --a: the PMS point of ν at O(∂⁴) (Brent's method on ν(a), plain solves):
    # ν there is stationary, so the solves at a ± 0.05 both lie on the same side of it
    rc = main("exponents --regulator exponential --truncation de4 --M 12 --json".split())
    res = json.loads(capsys.readouterr().out)
    assert rc == 0 and res["status"] == "success" and res["pms"] is True
    a, tr = res["a"], frg.DE4(grid=12)
    assert 0.5 < a < 4.0
    nus = [
        float(frg.critical_exponents(frg.Exponential(a=b), N=1, d=3.0, truncation=tr).nu)
        for b in (a - 0.05, a + 0.05)
    ]
    assert np.sign(nus[0] - res["nu"]) == np.sign(nus[1] - res["nu"])
    assert abs(res["nu"] - res["bootstrap"]["nu"]) < 2 * res["error_bar"]["nu"]


def test_compile_timer_counts_time_spent_not_time_saved():
    # a persistent-cache hit reports the compile time it saved; that is not time spent
    import jax

    from frg.cli.exponents import _CompileTimer

    with _CompileTimer() as timer:
        jax.monitoring.record_event_duration_secs(
            "/jax/compilation_cache/compile_time_saved_sec", 100.0
        )
        jax.monitoring.record_event_duration_secs(
            "/jax/compilation_cache/cache_retrieval_time_sec", 0.25
        )
        jax.monitoring.record_event_duration_secs("/jax/core/compile/backend_compile_duration", 0.5)
    assert 0.5 <= timer.seconds <= 0.75  # the two intervals end together: their union
