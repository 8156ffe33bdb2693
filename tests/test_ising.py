"""2D Ising samplers against exact results (fixed seeds, 4σ autocorrelation-corrected bounds)."""

import numpy as np
import pytest

from frg._ml import ising as I


def test_kaufman_matches_enumeration():
    for T in (1.5, 2.0, I.T_C, 3.0):
        ex = I.enumerate_exact(T, 4)["energy_per_site"][0]
        assert abs(I.exact_energy(T, 4) - ex) < 1e-12


def test_kaufman_large_L_is_onsager():
    assert abs(I.exact_energy(I.T_C, 512) + np.sqrt(2)) < 2e-3
    assert abs(I.exact_energy(2.0, 256) - I.onsager_energy(2.0)) < 1e-10
    assert float(I.onsager_energy(I.T_C)) == pytest.approx(-np.sqrt(2))


@pytest.mark.parametrize("algo", ["metropolis", "sw"])
def test_4x4_against_enumeration(algo):
    for T in (1.8, 2.5, 3.5):
        ex = I.enumerate_exact(T, 4)
        if algo == "metropolis":
            r = I.metropolis(4, T, chains=16, sweeps=2000, burn_in=100, seed=1)
        else:
            r = I.swendsen_wang(4, T, chains=16, sweeps=600, burn_in=20, seed=2)
        assert abs(r.energy_per_site - ex["energy_per_site"][0]) < 4 * r.energy_err + 1e-3
        assert abs(r.magnetization_abs - ex["magnetization_abs"][0]) < (
            4 * r.magnetization_abs_err + 1e-3
        )
        assert abs(r.m2 - ex["m2"][0]) < 4 * r.m2_err + 1e-3


def test_energy_at_tc_swendsen_wang():
    L = 16
    r = I.swendsen_wang(L, I.T_C, chains=8, sweeps=300, burn_in=30, seed=3)
    exact = I.exact_energy(I.T_C, L)
    assert r.tau_energy >= 0.5
    assert abs(r.energy_per_site - exact) < 4 * r.energy_err


def test_spontaneous_magnetization_metropolis():
    # ξ(T=2) ≈ 1 ≪ L = 32: finite-size corrections are exponentially small (< 1e-4).
    r = I.metropolis(32, 2.0, chains=8, sweeps=800, burn_in=200, seed=4, start="cold")
    m0 = float(I.onsager_magnetization(2.0))
    assert abs(r.magnetization_abs - m0) < 4 * r.magnetization_abs_err + 1e-4
    assert abs(r.energy_per_site - I.exact_energy(2.0, 32)) < 4 * r.energy_err + 1e-4


def test_naive_and_fast_kernels_agree_in_distribution():
    import jax

    s0 = np.ones((64, 8, 8), np.int8)
    a = I.metropolis_sweeps(jax.random.PRNGKey(0), s0, 1 / 2.5, 200)
    b = I.metropolis_naive(jax.random.PRNGKey(1), s0, 1 / 2.5, 200)
    ma, mb = np.abs(np.asarray(a, float).mean((1, 2))), np.abs(np.asarray(b, float).mean((1, 2)))
    assert abs(ma.mean() - mb.mean()) < 4 * np.hypot(ma.std(), mb.std()) / 8


def test_autocorr_time_ar1():
    rng = np.random.default_rng(0)
    a, n = 0.8, 100_000
    x = np.empty(n)
    x[0] = 0
    eps = rng.normal(size=n)
    for t in range(1, n):
        x[t] = a * x[t - 1] + eps[t]
    tau = I.integrated_autocorr_time(x)
    assert tau == pytest.approx((1 + a) / (2 * (1 - a)), rel=0.1)


def test_correlation_length_high_T_small():
    cfg = I.sample_configs(16, 3.5, 160, chains=16, seed=5)
    xi = I.correlation_length(cfg)
    assert 0.3 < xi < 2.0


@pytest.mark.parametrize(
    "kw,name",
    [
        (dict(L=5, T=2.0), "L"),
        (dict(L=8, T=-1.0), "T"),
        (dict(L=8, T=2.0, chains=0), "chains"),
        (dict(L=8, T=2.0, sweeps=0), "sweeps"),
        (dict(L=8, T=2.0, start="warm"), "start"),
    ],
)
def test_bad_input(kw, name):
    with pytest.raises(ValueError, match=name):
        I.metropolis(**kw)
    with pytest.raises(ValueError, match=name):
        I.swendsen_wang(**kw)


def test_cli_ising_json(capsys):
    import json

    from frg.cli import main

    rc = main(["ising", "--L", "8", "--T", "2.0", "--sweeps", "100", "--chains", "2", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert rc == 0 and {"energy_per_site", "magnetization_abs"} <= set(out)
    rc = main(["ising", "--L", "7", "--json"])
    err = json.loads(capsys.readouterr().out)
    assert rc == 2 and "L must be" in err["error"]
