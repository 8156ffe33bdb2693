"""Benchmark: Ising Metropolis kernels (flips/ns), τ_int at T_c, and RBM CD-1 training.

- Kernels, same process, same spins/β/sweeps, every kernel warm: the multi-spin-coded
  kernel (``frg.metropolis(..., algorithm="packed")``'s sweep loop, 32 spins per uint32),
  the int8 checkerboard kernel (``algorithm="checkerboard"``) and the naive full-lattice
  ``jnp.roll`` + mask + ``exp`` kernel. Compile time (first call minus the median warm call)
  is reported apart; warm timings give median and best of ``--repeats`` calls.
- Autocorrelation at T_c: τ_int of E and |m| (Sokal window) for packed Metropolis,
  Swendsen–Wang and Wolff at one L, in units of each algorithm's update, and the figure of
  merit: independent samples per second = chains · updates / (wall · 2 τ_int(|m|)).
- RBM: frg.rbm.train_rbm CD-1 (1600 → 400) vs scikit-learn's BernoulliRBM on 40×40 samples.

Run: ``python benchmarks/bench_ising.py [--L 256 1024 --chains 16 --sweeps 20]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import jax  # noqa: E402
import numpy as np  # noqa: E402
from _harness import block, run_cli, time_jax  # noqa: E402


def _timed(fn, repeats):
    """(compile s, median warm s, best warm s) of a jitted call."""
    t0 = time.perf_counter()
    block(fn())
    first = time.perf_counter() - t0
    ts = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        block(fn())
        ts.append(time.perf_counter() - t0)
    med = statistics.median(ts)
    return max(first - med, 0.0), med, min(ts)


def bench_kernels(L, chains, sweeps, repeats):
    import frg
    from frg._ml import ising as I, ising_packed as P

    spins = np.asarray(jax.random.rademacher(jax.random.PRNGKey(1), (chains, L, L), dtype=np.int8))
    key = jax.random.PRNGKey(0)
    beta = 1.0 / frg.T_C
    thr = P.thresholds(beta)
    flips = L * L * chains * sweeps
    kernels = {
        "packed": lambda: P.packed_sweeps(key, spins, thr, sweeps),
        "checkerboard": lambda: I.metropolis_sweeps(key, spins, np.float32(beta), sweeps),
        "naive": lambda: I.metropolis_naive(key, spins, np.float32(beta), sweeps),
    }
    res = {name: _timed(fn, repeats) for name, fn in kernels.items()}
    print(
        f"Ising Metropolis L={L} chains={chains} sweeps={sweeps} at T_c "
        f"({jax.devices()[0].platform}), {repeats} warm repeats"
    )
    rows = []
    for name, (c, med, best) in res.items():
        print(
            f"  {name:13s}: median {flips / med / 1e9:8.4f} flips/ns, best "
            f"{flips / best / 1e9:8.4f} flips/ns (warm median {med:.3f} s, compile {c:.2f} s)"
        )
        rows.append(
            {
                "task": f"Ising Metropolis L={L}, {chains} chains, {sweeps} sweeps at T_c",
                "kernel": name,
                "compile_s": c,
                "warm_median_s": med,
                "warm_best_s": best,
                "flips_per_ns_median": flips / med / 1e9,
                "flips_per_ns_best": flips / best / 1e9,
            }
        )
    for base in ("checkerboard", "naive"):
        r_med = res[base][1] / res["packed"][1]
        r_best = res[base][2] / res["packed"][2]
        print(f"  packed / {base:12s}: {r_med:.1f}x (median), {r_best:.1f}x (best)")
        rows[0][f"ratio_vs_{base}_median"] = r_med
        rows[0][f"ratio_vs_{base}_best"] = r_best
    return rows


def bench_autocorr(L, chains, updates):
    """τ_int of E and |m| at T_c and independent samples per second, per algorithm."""
    import frg

    algos = {
        "packed Metropolis": lambda **k: frg.metropolis(algorithm="packed", **k),
        "Swendsen-Wang": frg.swendsen_wang,
        "Wolff": frg.wolff,
    }
    print(
        f"Autocorrelation at T_c, L={L}, {chains} chains (one update = sweep / SW update / "
        "cluster flip)"
    )
    rows = []
    for name, fn in algos.items():
        n = updates[name]
        kw = dict(L=L, T=frg.T_C, chains=chains, burn_in=n // 5, save_every=n, seed=0)
        fn(sweeps=n, **kw)  # compile (same shapes)
        t0 = time.perf_counter()
        r = fn(sweeps=n, **kw)
        wall = time.perf_counter() - t0
        per_sweep = 1.0
        if name == "Wolff":  # ⟨|C|⟩ = L²⟨m²⟩ at T_c: cluster flips per sweep-equivalent
            per_sweep = 1.0 / r.m2
        total = chains * (n + n // 5)  # measured + burn-in updates, all inside the timer
        indep = total / (wall * 2 * r.tau_abs_m)
        print(
            f"  {name:18s}: τ_E = {r.tau_energy:7.2f}, τ_|m| = {r.tau_abs_m:7.2f} updates "
            f"({r.tau_abs_m / per_sweep:6.2f} sweep-equivalents), {total / wall:9.0f} "
            f"updates/s, {indep:8.1f} independent samples/s"
        )
        rows.append(
            {
                "task": f"tau_int at T_c, L={L}, {chains} chains",
                "algorithm": name,
                "updates": n,
                "tau_E": r.tau_energy,
                "tau_abs_m": r.tau_abs_m,
                "tau_abs_m_sweeps": r.tau_abs_m / per_sweep,
                "wall_s": wall,
                "independent_samples_per_s": indep,
            }
        )
    return rows


def bench_rbm(n_samples, batch):
    from sklearn.neural_network import BernoulliRBM

    from frg._ml import ising as I, rbm as R

    cfg = I.sample_configs(40, I.T_C, n_samples, algorithm="metropolis", seed=0)
    v = ((cfg.reshape(n_samples, -1) + 1) / 2).astype(np.float32)
    c_j, t_j, _ = time_jax(
        lambda: R.train_rbm(v, 400, epochs=1, batch_size=batch, k=1, lr=1e-3)[0].W, repeats=2
    )
    sk = BernoulliRBM(
        n_components=400, batch_size=batch, n_iter=1, learning_rate=0.01, random_state=0
    )
    t0 = time.perf_counter()
    sk.fit(v)
    t0_sk = time.perf_counter() - t0
    t_sk = np.inf
    for _ in range(2):
        t0 = time.perf_counter()
        sk.fit(v)
        t_sk = min(t_sk, time.perf_counter() - t0)
    print(f"RBM CD-1 1600→400, {n_samples} samples, batch {batch}")
    print(
        f"  frg.rbm (JAX, f32)  : {n_samples / t_j:.0f} samples/s "
        f"(warm {t_j:.3f} s, first call incl. compile {c_j + t_j:.2f} s)"
    )
    print(
        f"  sklearn BernoulliRBM: {n_samples / t_sk:.0f} samples/s (warm {t_sk:.3f} s, "
        f"first {t0_sk:.2f} s)"
    )
    print(f"  ratio frg/sklearn   : {t_sk / t_j:.2f}x")
    return {
        "task": f"RBM CD-1 1600->400, {n_samples} samples, batch {batch}, 1 epoch",
        "compile_s": c_j,
        "warm_s": t_j,
        "samples_per_s": n_samples / t_j,
        "baseline": "sklearn BernoulliRBM",
        "baseline_warm_s": t_sk,
        "ratio": t_sk / t_j,
    }


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument(
        "--L", type=int, nargs="*", default=[256, 1024], help="kernel sizes (none: skip)"
    )
    ap.add_argument("--chains", type=int, default=16)
    ap.add_argument("--sweeps", type=int, default=20)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--tau-L", type=int, default=32)
    ap.add_argument("--tau-chains", type=int, default=16)
    ap.add_argument("--rbm-samples", type=int, default=2000)
    ap.add_argument("--batch", type=int, default=100)
    ap.add_argument("--skip-rbm", action="store_true")
    ap.add_argument("--skip-tau", action="store_true")
    a = ap.parse_args(argv)
    rows = []
    for L in a.L:
        rows += bench_kernels(L, a.chains, a.sweeps, a.repeats)
    if not a.skip_tau:
        n = {"packed Metropolis": 20000, "Swendsen-Wang": 2000, "Wolff": 4000}
        rows += bench_autocorr(a.tau_L, a.tau_chains, n)
    if not a.skip_rbm:
        rows.append(bench_rbm(a.rbm_samples, a.batch))
    return rows


if __name__ == "__main__":
    run_cli(main)
