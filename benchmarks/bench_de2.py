"""Benchmark: warm time per O(∂²) exponent evaluation vs LPA (frg.de2), d = 3, N = 1 and 2.

Each evaluation is the full user-facing pipeline: LPA start (LM + Newton), DE2 Newton
(skipped for LPA), stability matrix, eigenvalues. Compile (first call minus
warm) is reported separately; warm = best of repeats. Baseline: an in-process NumPy/SciPy
LPA fixed point (finite differences + fsolve + eigenvalues, as in tests/test_de2.py).

Run: ``python benchmarks/bench_de2.py [--grid 24] [--repeat 5]``.
"""

from __future__ import annotations

import argparse
import time

import jax
import numpy as np
from _harness import run_cli, time_jax

import frg


def _scipy_lpa(reg, d, length, n=121):
    from scipy.optimize import fsolve

    rule = frg.threshold_rule(reg, d)
    q, c = np.asarray(rule.q), np.asarray(rule.c)
    x = np.linspace(0.0, length, n)
    h = x[1] - x[0]

    def flow(w):
        w1 = np.gradient(w, h, edge_order=2)
        w2 = np.gradient(w1, h, edge_order=2)
        m = w + 2 * x * w1
        return (
            -2 * w + (d - 2) * x * w1 - np.sum(c / (q + m[:, None]) ** 2, 1) * (3 * w1 + 2 * x * w2)
        )

    w = fsolve(flow, 12.0 * (x - 0.35 * length), xtol=1e-12)
    eps, f0 = 1e-7, flow(w)
    jac = np.stack([(flow(w + eps * e) - f0) / eps for e in np.eye(n)], axis=1)
    return 1.0 / np.max(-np.linalg.eigvals(jac).real)


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--grid", type=int, default=24)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--alpha", type=float, default=2.0)
    args = ap.parse_args(argv)
    reg = frg.Wetterich(a=args.alpha)
    rep = args.repeat
    c_lpa, w_lpa, lpa = time_jax(
        lambda: frg.de2_exponents(reg, d=3.0, grid=args.grid, frozen_z=True), repeats=rep
    )
    c_de2, w_de2, de2 = time_jax(lambda: frg.de2_exponents(reg, d=3.0, grid=args.grid), repeats=rep)
    c_on, w_on, on = time_jax(
        lambda: frg.de2_exponents(reg, N=2, d=3.0, grid=args.grid), repeats=rep
    )
    c_onl, w_onl, onl = time_jax(
        lambda: frg.de2_exponents(reg, N=2, d=3.0, grid=args.grid, frozen_z=True), repeats=rep
    )
    length = float(lpa.fixed_point.rho[-1])
    t0 = time.perf_counter()
    nu_sp = _scipy_lpa(reg, 3.0, length)
    t_sp = time.perf_counter() - t0
    print(f"machine: 2-core CPU sandbox (shared); jax {jax.__version__}; grid {args.grid}")
    print(f"LPA  : compile {c_lpa:7.2f} s, warm {w_lpa * 1e3:8.1f} ms, nu = {float(lpa.nu):.10f}")
    print(
        f"DE2  : compile {c_de2:7.2f} s, warm {w_de2 * 1e3:8.1f} ms, nu = {float(de2.nu):.10f}"
        f", eta = {float(de2.eta):.10f}, omega = {float(de2.omega):.10f}"
    )
    print(f"ratio DE2/LPA (warm): {w_de2 / w_lpa:.2f}")
    print(
        f"O(2) LPA : compile {c_onl:7.2f} s, warm {w_onl * 1e3:8.1f} ms, nu = {float(onl.nu):.10f}"
    )
    print(
        f"O(2) DE2 : compile {c_on:7.2f} s, warm {w_on * 1e3:8.1f} ms, nu = {float(on.nu):.10f}"
        f", eta = {float(on.eta):.10f}, omega = {float(on.omega):.10f}"
    )
    print(f"ratio O(2) DE2/LPA (warm): {w_on / w_onl:.2f}")
    print(f"SciPy FD LPA baseline (121 pts): {t_sp * 1e3:.1f} ms, nu = {nu_sp:.6f}")
    print(f"ratio SciPy-LPA / frg-LPA (warm): {t_sp / w_lpa:.2f}")
    row = lambda name, c, w, ex, base: {
        "task": name,
        "compile_s": c,
        "warm_ms": w * 1e3,
        "nu": float(ex.nu),
        "eta": float(ex.eta),
        "ratio_over_lpa": w / base,
        "status": ex.status,
    }
    rows = [
        row("N=1 LPA (Z frozen)", c_lpa, w_lpa, lpa, w_lpa),
        row("N=1 DE2", c_de2, w_de2, de2, w_lpa),
        row("N=2 LPA (Z, Y frozen)", c_onl, w_onl, onl, w_onl),
        row("N=2 DE2", c_on, w_on, on, w_onl),
    ]
    rows.append({"task": "SciPy FD LPA baseline", "warm_ms": t_sp * 1e3, "nu": nu_sp})
    rows.append({"task": "ratio SciPy LPA / frg LPA", "ratio_over_lpa": t_sp / w_lpa})
    return rows


if __name__ == "__main__":
    with jax.enable_x64(True):
        run_cli(main)
