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


@pytest.mark.slow
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


def _xi_with_error(cfg, n_blocks=8):
    """ξ and its jackknife error over ``n_blocks`` blocks of configurations."""
    xi = I.correlation_length(cfg)
    parts = np.array_split(np.arange(len(cfg)), n_blocks)
    jk = np.array([I.correlation_length(np.delete(cfg, p, axis=0)) for p in parts])
    return xi, np.sqrt((n_blocks - 1) * np.mean((jk - jk.mean()) ** 2))


@pytest.mark.slow
def test_correlation_length_high_T_small():
    cfg = I.sample_configs(16, 3.5, 160, chains=16, seed=5)
    xi = I.correlation_length(cfg)
    assert 0.3 < xi < 2.0


@pytest.mark.slow
def test_correlation_length_continuous_at_tc():
    # One estimator at every T: ξ(T_c − 1e-4) and ξ(T_c + 1e-4) agree within their errors,
    # and ξ/L at T_c is near its L → ∞ limit 0.9050 (Salas & Sokal, J. Stat. Phys. 98, 551
    # (2000), Table 4; at L = 16 the finite-size shift is below 2%).
    L = 16
    lo = _xi_with_error(I.sample_configs(L, I.T_C - 1e-4, 1024, chains=64, seed=1))
    hi = _xi_with_error(I.sample_configs(L, I.T_C + 1e-4, 1024, chains=64, seed=2))
    assert abs(lo[0] - hi[0]) < 4 * np.hypot(lo[1], hi[1])
    for xi, err in (lo, hi):
        assert abs(xi / L - 0.9050) < 4 * err / L + 0.02


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


@pytest.mark.slow
def test_cli_ising_json(capsys, tmp_path):
    import json

    import frg
    from frg.cli import main

    d = tmp_path / "run"
    argv = ["ising", "--L", "8", "--T", "2.0", "--sweeps", "100", "--chains", "2", "--json"]
    rc = main([*argv, "--out", str(d)])
    out = json.loads(capsys.readouterr().out)
    res = frg.load(d)  # the snapshots and series come back as saved
    assert res.kind == "ising" and res["configs"].shape == (50, 2, 8, 8)
    assert res["energy"].mean() == pytest.approx(out["energy_per_site"], rel=1e-12)
    assert rc == 0 and out["algorithm"] == "packed"
    assert abs(out["energy_per_site"] - out["exact_energy_per_site_finite_L"]) < (
        4 * out["energy_per_site_err"] + 1e-3
    )
    rc = main(["ising", "--L", "7", "--json"])
    err = json.loads(capsys.readouterr().out)
    assert rc == 2 and "L must be" in err["error"]


# --------------------------------------------------------------------------- packed kernel


def test_threefry_matches_jax():
    # Known-answer vectors of Random123 are in the docstring; here: jax's own Threefry-2x32.
    from jax.extend.random import threefry_2x32

    from frg._ml import ising_packed as P

    rng = np.random.default_rng(0)
    key = rng.integers(0, 2**32, 2, dtype=np.uint32)
    cnt = rng.integers(0, 2**32, (2, 64), dtype=np.uint32)
    y0, y1 = P.threefry2x32(key[0], key[1], cnt[0], cnt[1])
    ref = np.asarray(threefry_2x32(key, cnt.reshape(-1))).reshape(2, 64)
    np.testing.assert_array_equal(np.stack([y0, y1]), ref)


@pytest.mark.parametrize(
    "chains,L",
    [
        pytest.param(16, 8, marks=pytest.mark.slow),
        (3, 4),
        pytest.param(40, 12, marks=pytest.mark.slow),
        (1, 64),
        (24, 2),
    ],
)
def test_packed_layout_round_trip(chains, L):
    import jax.numpy as jnp

    from frg._ml import ising_packed as P

    R, C, G = P.layout(chains, L)
    assert R * C == 32 and G * C >= chains and (L // R) % 2 == 0
    rng = np.random.default_rng(L)
    s = jnp.asarray(rng.choice(np.array([-1, 1], np.int8), (chains, L, L)))
    b, w = I._split(s)
    pb, pw = P.pack(b, R, C, G), P.pack(w, R, C, G)
    np.testing.assert_array_equal(P.unpack(pb, R, C, chains), b)
    e, m = P._observables((pb, pw), C, R, L)
    e0, m0 = I._observables(b, w)
    np.testing.assert_allclose(e[:chains], e0, atol=1e-6)
    np.testing.assert_allclose(m[:chains], m0, atol=1e-6)


@pytest.mark.slow
@pytest.mark.parametrize("T", [2.0, 2.5])
def test_packed_L64_against_onsager_yang(T):
    # ξ(2.0) ≈ 1, ξ(2.5) ≈ 2 ≪ 64: the finite-L corrections to Yang's m₀ are exponentially
    # small; the energy is compared with Kaufman's exact L = 64 value (= Onsager to 1e-10).
    cold = T < I.T_C
    r = I.metropolis(
        64,
        T,
        chains=16,
        sweeps=300,
        burn_in=100,
        save_every=50,
        seed=7,
        start="cold" if cold else "hot",
        algorithm="packed",
    )
    assert abs(r.energy_per_site - I.exact_energy(T, 64)) < 4 * r.energy_err
    if cold:
        assert abs(r.magnetization_abs - float(I.onsager_magnetization(T))) < (
            4 * r.magnetization_abs_err
        )
    else:  # m₀ = 0; finite-L ⟨|m|⟩ against the int8 checkerboard kernel (two-sample)
        c = I.metropolis(64, T, chains=16, sweeps=300, burn_in=100, save_every=50, seed=8)
        d = abs(r.magnetization_abs - c.magnetization_abs)
        assert d < 4 * np.hypot(r.magnetization_abs_err, c.magnetization_abs_err)


def _state_classes(L):
    """Exact P(E, M) classes of the L×L torus: (class index per state, energies, mags)."""
    s = I.all_spin_states(L * L).reshape(-1, L, L).astype(np.int64)
    e = -np.sum(s * (np.roll(s, 1, 1) + np.roll(s, 1, 2)), axis=(1, 2))
    m = s.sum(axis=(1, 2))
    keys, cls = np.unique(np.stack([e, m], 1), axis=0, return_inverse=True)
    return cls.reshape(-1), keys


def _chi2_pvalue(counts, probs, min_expected=5.0):
    """Pearson χ² of counts against probabilities, pooling bins with < min_expected."""
    from scipy import stats

    n = counts.sum()
    order = np.argsort(probs)
    c, p = counts[order], probs[order]
    bins_c, bins_p, acc_c, acc_p = [], [], 0.0, 0.0
    for ci, pi in zip(c, p, strict=True):
        acc_c, acc_p = acc_c + ci, acc_p + pi
        if acc_p * n >= min_expected:
            bins_c.append(acc_c), bins_p.append(acc_p)
            acc_c = acc_p = 0.0
    bins_c[-1] += acc_c
    bins_p[-1] += acc_p
    bc, bp = np.asarray(bins_c), np.asarray(bins_p)
    return stats.chi2.sf(np.sum((bc - n * bp) ** 2 / (n * bp)), len(bc) - 1)


@pytest.mark.slow
def test_packed_4x4_distribution_chi2():
    # 10 240 snapshots 10 sweeps apart (τ_int ≲ 2 sweeps at T = 2.5 on 4×4) against the
    # exact distribution of (E, M) from all 2^16 states; the same data must reject T = 2.7.
    T, L = 2.5, 4
    r = I.metropolis(
        L, T, chains=256, sweeps=400, burn_in=100, save_every=10, seed=3, algorithm="packed"
    )
    assert r.tau_energy < 2.0
    cls, keys = _state_classes(L)
    s = r.configs.reshape(-1, L * L).astype(np.int64)
    idx = ((s > 0) * (1 << np.arange(L * L))).sum(1)  # state index as in all_spin_states
    counts = np.bincount(cls[idx], minlength=len(keys)).astype(float)

    def probs(T):
        w = np.bincount(cls, weights=np.exp(-(keys[cls, 0] - keys[:, 0].min()) / T))
        return w / w.sum()

    assert _chi2_pvalue(counts, probs(T)) > 1e-3
    assert _chi2_pvalue(counts, probs(2.7)) < 1e-6


def _detailed_balance_chi2(thr, T, groups=512, seed=0):
    """χ² of N(a→b) against N(b→a) for one half sweep of 2×2 lattices drawn from exact π.

    Every chain contributes one independent pair (x, x'), x ~ π, so N(a→b) and N(b→a)
    are multinomial counts with equal means when the half sweep satisfies detailed balance.
    """
    import jax
    from scipy import stats

    from frg._ml import ising_packed as P

    L, chains = 2, 32 * groups
    s = I.all_spin_states(4).reshape(-1, L, L)
    e = -np.sum(s * (np.roll(s, 1, 1) + np.roll(s, 1, 2)), axis=(1, 2)).astype(float)
    pi = np.exp(-(e - e.min()) / T)
    rng = np.random.default_rng(seed)
    R, C, G = P.layout(chains, L)

    def index(st):
        sp = I._merge(P.unpack(st[0], R, C, chains), P.unpack(st[1], R, C, chains))
        return ((sp.reshape(chains, 4) > 0) * (1 << np.arange(4))).sum(1)

    chi2, dof = 0.0, 0
    for color in (0, 1):
        start = s[rng.choice(16, chains, p=pi / pi.sum())]
        b, w = I._split(start)
        st = (P.pack(b, R, C, G), P.pack(w, R, C, G))
        new = P._half_sweep(st, jax.random.PRNGKey(seed + color), color, thr, C, R)
        n = np.zeros((16, 16))
        np.add.at(n, (np.asarray(index(st)), np.asarray(index(new))), 1)
        iu = np.triu_indices(16, 1)
        tot = n[iu] + n.T[iu]
        ok = tot > 0
        chi2 += np.sum((n[iu] - n.T[iu])[ok] ** 2 / tot[ok])
        dof += int(ok.sum())
    return stats.chi2.sf(chi2, dof), dof


def test_packed_detailed_balance_2x2():
    # Each colour's half sweep is reversible w.r.t. π: in stationarity N(a→b) = N(b→a).
    # Swapping the two acceptance thresholds (a wrong kernel) must be detected.
    from frg._ml import ising_packed as P

    T = 2.0
    thr = P.thresholds(1 / T)
    p, dof = _detailed_balance_chi2(thr, T)
    assert dof > 20 and p > 1e-3
    p_bad, _ = _detailed_balance_chi2(thr[::-1].copy(), T)
    assert p_bad < 1e-6


def test_wolff_4x4_against_enumeration():
    for T in (2.0, 3.0):
        ex = I.enumerate_exact(T, 4)
        r = I.wolff(4, T, chains=16, sweeps=1000, burn_in=50, seed=2)
        assert abs(r.energy_per_site - ex["energy_per_site"][0]) < 4 * r.energy_err
        assert abs(r.m2 - ex["m2"][0]) < 4 * r.m2_err
