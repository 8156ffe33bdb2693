"""Benchmark: critical exponents of the O(N) model in LPA (Litim regulator).

Every timed call is warm (one untimed call first; its time minus the warm median is
reported as compile time), blocked with ``block_until_ready``, repeated the same
number of times on both sides, and reported as median and best. A ratio is printed
only between two solutions of the *same* problem at the *same* accuracy:

- frg: ``frg.critical_exponents(frg.Litim(), N=1, d=3)`` (M = 56 Chebyshev grid, the
  search from built-in guesses, stability matrix, ``eig``; ν to ~1e-12);
- SciPy: the same discretised equations (same grid, same boundary row) at (N, d) =
  (1, 3) only, ``scipy.optimize.root`` (hybr) from the profile 0.2(x − 0.6)(1 + x/10),
  stability matrix from the closed-form Jacobian diag(a) + diag(b)D₁ + diag(c)D₂ and
  ``numpy.linalg.eigvals`` (ν to ~1e-12, as frg). The forward-difference variant
  (ν ~3e-6 off) is timed too but not compared (different accuracy).

Other figures, each on its own (no ratio): N = 4, d = 3.5; the exponential regulator;
a vmapped 10 × 10 (N, d) table (default grids by d, ``frg.grid_degree``).

Run: ``python benchmarks/bench_exponents.py [--repeat 20] [--quick]`` from the
repository root.
"""

from __future__ import annotations

import jax
import numpy as np

jax.config.update("jax_enable_x64", True)

import scipy.optimize  # noqa: E402
from _harness import run_cli, stats  # noqa: E402

import frg  # noqa: E402
from frg._fixed_point._cheb import cheb  # noqa: E402


def scipy_baseline(N=1.0, d=3.0, M=56, L=12.0, jac="fd"):
    """Same equations in NumPy; returns (nu, success).

    ``jac="fd"``: stability matrix by forward differences (h = 1e-7; ν ~3e-6 off);
    ``jac="exact"``: closed-form Jacobian of the collocation equations (ν to ~1e-12).
    """
    from scipy.special import gamma

    c = 4.0 / d / (2 ** (d + 1) * np.pi ** (d / 2) * gamma(d / 2))  # Litim l_n(0)
    t, D = cheb(M)
    x = 0.5 * L * (t + 1.0)
    D1 = D * (2.0 / L)
    D2 = D1 @ D1
    S = (N + 2.0) * c / (d - 2.0)
    rho = S * x
    p = 2.0 / (d - 2.0)

    def flow(u):
        du = D1 @ u / S
        ddu = D2 @ u / S**2
        ddu[-1] = (p - 1.0) * du[-1] / rho[-1]
        w = u + 2 * rho * du
        l2u = c / (1 + u) ** 2
        l2w = c / (1 + w) ** 2
        return -2 * u + (d - 2) * rho * du - (N - 1) * l2u * du - l2w * (3 * du + 2 * rho * ddu)

    scale = 1.0 + x**p
    u0 = 0.2 * (x - 0.6) * (1.0 + 0.1 * x)
    sol = scipy.optimize.root(lambda u: flow(u) / scale, u0, method="hybr", tol=1e-13)
    u = sol.x
    if jac == "exact":
        # F = -2u + (d-2)ρu' - (N-1)ℓ₂(u)u' - ℓ₂(w)(3u' + 2ρu''), w = u + 2ρu', ℓ₂ = c/(1+·)²
        du = D1 @ u / S
        Dd = D2 / S**2
        Dd[-1] = (p - 1.0) * D1[-1] / S / rho[-1]
        ddu = Dd @ u
        w = u + 2 * rho * du
        l2u, l2w = c / (1 + u) ** 2, c / (1 + w) ** 2
        dl2u, dl2w = -2 * c / (1 + u) ** 3, -2 * c / (1 + w) ** 3
        bw = 3 * du + 2 * rho * ddu
        a = -2.0 - (N - 1) * dl2u * du - dl2w * bw
        b = (d - 2) * rho - (N - 1) * l2u - 2 * rho * dl2w * bw - 3 * l2w
        cc = -2 * rho * l2w
        J = np.diag(a) + b[:, None] * D1 / S + cc[:, None] * Dd
    else:
        h = 1e-7
        J = np.empty((M + 1, M + 1))
        f0 = flow(u)
        for j in range(M + 1):
            e = u.copy()
            e[j] += h
            J[:, j] = (flow(e) - f0) / h
    th = -np.linalg.eigvals(J)
    return 1.0 / np.max(th.real), sol.success


def main(argv=None):
    import argparse

    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--quick", action="store_true", help="2 repeats, a 3 x 3 table")
    args = ap.parse_args(argv)
    rep = 2 if args.quick else args.repeat
    print(f"device: {jax.devices()[0]}; {rep} warm repeats each, median / best")
    reg = frg.Litim()
    rows = []

    def row(task, first, med, best, **extra):
        print(
            f"{task}: compile ~ {max(first - med, 0):.2f} s, warm {med * 1e3:.2f} / "
            f"{best * 1e3:.2f} ms " + " ".join(f"{k}={v}" for k, v in extra.items())
        )
        rows.append(
            {
                "task": task,
                "compile_s": max(first - med, 0.0),
                "median_ms": med * 1e3,
                "best_ms": best * 1e3,
                **extra,
            }
        )

    f, med, best, ex = stats(lambda: frg.critical_exponents(reg, N=1.0, d=3.0), rep)
    row("frg LPA N=1 d=3 (Litim, M=56)", f, med, best, nu=float(ex.nu))
    fs, meds, bests, (nu_e, ok) = stats(lambda: scipy_baseline(jac="exact"), rep)
    row("SciPy same equations, closed-form J", fs, meds, bests, nu=float(nu_e), success=ok)
    print(f"  |nu_frg - nu_scipy| = {abs(float(ex.nu) - nu_e):.1e} (same problem, same accuracy)")
    print(f"  speed-up frg vs SciPy: median {meds / med:.1f}x, best {bests / best:.1f}x")
    rows.append(
        {
            "task": "speed-up frg vs SciPy (same problem)",
            "median_x": meds / med,
            "best_x": bests / best,
        }
    )
    ff, medf, bestf, (nu_f, _) = stats(lambda: scipy_baseline(jac="fd"), rep)
    row("SciPy, forward-difference J (nu ~3e-6 off: not compared)", ff, medf, bestf, nu=float(nu_f))
    f, med, best, ex2 = stats(lambda: frg.critical_exponents(reg, N=4.0, d=3.5), rep)
    row("frg LPA N=4 d=3.5", f, med, best, nu=float(ex2.nu))
    expo = frg.Exponential(a=1.0)
    f, med, best, ex3 = stats(lambda: frg.critical_exponents(expo, N=1.0, d=3.0), rep)
    row("frg LPA exponential a=1, N=1 d=3", f, med, best, nu=float(ex3.nu))
    n = 3 if args.quick else 10
    Ns, ds = np.geomspace(1.0, 1000.0, n), np.linspace(2.6, 3.9, n)
    f, med, best, tab = stats(lambda: frg.exponents_table(reg, Ns, ds), max(1, rep // 5))
    ok = int(np.sum(np.asarray(tab.result == frg.RESULTS.successful)))
    row(f"frg {n}x{n} (N, d) table, vmapped", f, med, best, wilson_fisher=f"{ok}/{n * n}")
    return rows


if __name__ == "__main__":
    run_cli(main)
