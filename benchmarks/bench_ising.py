"""Benchmark: Ising checkerboard Metropolis (flips/ns) and RBM CD-1 training (samples/s).

- Ising: the packed half-lattice kernel (frg.ising.metropolis_sweeps) vs the naive full-lattice
  jnp.roll + mask + exp kernel (frg.ising.metropolis_naive), same process, same shapes.
- RBM: frg.rbm.train_rbm CD-1 (1600 → 400, batch 100, Adam, L1) vs scikit-learn's
  BernoulliRBM (PCD-1, SGD) on the same 40×40 Ising samples.

Compile time is reported separately (first call); timings are best-of-3 warm calls.
Run: ``python benchmarks/bench_ising.py [--L 256 --chains 8 --sweeps 200]``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import jax  # noqa: E402
import numpy as np  # noqa: E402
from _harness import run_cli, time_jax  # noqa: E402


def bench_ising(L, chains, sweeps):
    from frg._ml import ising as I

    spins = np.ones((chains, L, L), np.int8)
    key = jax.random.PRNGKey(0)
    beta = np.float32(1 / I.T_C)
    flips = L * L * chains * sweeps
    c_fast, t_fast, _ = time_jax(lambda: I.metropolis_sweeps(key, spins, beta, sweeps), repeats=3)
    c_naive, t_naive, _ = time_jax(lambda: I.metropolis_naive(key, spins, beta, sweeps), repeats=3)
    print(f"Ising L={L} chains={chains} sweeps={sweeps} ({jax.devices()[0].platform})")
    print(
        f"  packed checkerboard : {flips / t_fast / 1e9:.4f} flips/ns  "
        f"(warm {t_fast:.3f} s, first call incl. compile {c_fast + t_fast:.2f} s)"
    )
    print(
        f"  naive jnp.roll      : {flips / t_naive / 1e9:.4f} flips/ns  "
        f"(warm {t_naive:.3f} s, first call incl. compile {c_naive + t_naive:.2f} s)"
    )
    print(f"  ratio packed/naive  : {t_naive / t_fast:.2f}x")
    return {
        "task": f"Ising Metropolis L={L}, {chains} chains, {sweeps} sweeps at T_c",
        "compile_s": c_fast,
        "warm_s": t_fast,
        "flips_per_ns": flips / t_fast / 1e9,
        "baseline": "naive jnp.roll kernel",
        "baseline_warm_s": t_naive,
        "ratio": t_naive / t_fast,
    }


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
    ap.add_argument("--L", type=int, default=256)
    ap.add_argument("--chains", type=int, default=8)
    ap.add_argument("--sweeps", type=int, default=100)
    ap.add_argument("--rbm-samples", type=int, default=2000)
    ap.add_argument("--batch", type=int, default=100)
    a = ap.parse_args(argv)
    return [bench_ising(a.L, a.chains, a.sweeps), bench_rbm(a.rbm_samples, a.batch)]


if __name__ == "__main__":
    run_cli(main)
