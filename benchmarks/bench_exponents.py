"""Benchmark: critical exponents of the O(N) model in LPA (Litim regulator).

Measures (CPU unless JAX picks a GPU):
- compile time and warm time of one exponent evaluation (default grid at d = 3:
  M = 56, nu to ~1e-11), and on the coarser grid M = 32, L = 10 (the script prints the
  largest |nu(M=32) - nu(default)| over the table: 9e-4, not converged at low d);
- warm time with the exponential regulator (quadrature threshold functions);
- a vmapped 10 x 10 (N, d) table (compile and warm; with the default grids by d,
  ``frg.grid_degree``: one compiled call each for M = 96 (d = 2.6), 72 (d = 2.74) and
  56 (d >= 2.89));
- a straightforward NumPy/SciPy baseline of the *same* discretised fixed-point equation
  (same Chebyshev grid and boundary row, ``scipy.optimize.root`` (hybr, its own
  finite-difference Jacobian) from the profile 0.2(x − 0.6)(1 + x/10) (one of frg's
  fall-back start vectors; frg's first guess is closer to the solution), no search or
  continuation (it solves at (N, d) = (1, 3) only), stability matrix by forward finite
  differences + ``numpy.linalg.eigvals``). Its ν is 3e-6 off (forward differences;
  central ones are still 1.4e-7 off), so a second variant forms the stability matrix
  from the closed-form Jacobian diag(a) + diag(b)D₁ + diag(c)D₂ (ν to 1e-12, the
  accuracy frg delivers); the ratios are given against both.

Run: ``python benchmarks/bench_exponents.py`` from the repository root.
"""

from __future__ import annotations

import time

import jax
import numpy as np

jax.config.update("jax_enable_x64", True)

import scipy.optimize  # noqa: E402
from _harness import run_cli, time_jax  # noqa: E402

import frg  # noqa: E402
from frg._fixed_point.truncations import _cheb  # noqa: E402


def scipy_baseline(N=1.0, d=3.0, M=56, L=12.0, jac="fd"):
    """Same equations in NumPy; returns (nu, seconds, success).

    ``jac="fd"``: stability matrix by forward differences (h = 1e-7; ν ~3e-6 off);
    ``jac="exact"``: closed-form Jacobian of the collocation equations (ν to ~1e-12).
    """
    from scipy.special import gamma

    c = 4.0 / d / (2 ** (d + 1) * np.pi ** (d / 2) * gamma(d / 2))  # Litim l_n(0)
    t, D = _cheb(M)
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
    t0 = time.perf_counter()
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
    nu = 1.0 / np.max(th.real)
    return nu, time.perf_counter() - t0, sol.success


def main(argv=None):
    print(f"device: {jax.devices()[0]}")
    reg = frg.Litim()
    comp, warm, ex = time_jax(lambda: frg.critical_exponents(reg, N=1.0, d=3.0), repeats=20)
    print(f"single point N=1 d=3: nu = {float(ex.nu):.12f}  omega = {float(ex.omega):.10f}")
    print(f"  Newton iterations (last solve): {int(ex.fixed_point.iterations)}")
    print(f"  compile ~ {comp:.2f} s, warm {warm * 1e3:.1f} ms/point")
    # warm time at other (N, d): same compiled program
    _, warm2, _ = time_jax(lambda: frg.critical_exponents(reg, N=4.0, d=3.5), repeats=20)
    print(f"  warm at N=4 d=3.5: {warm2 * 1e3:.1f} ms/point")

    Ns = np.geomspace(1.0, 1000.0, 10)
    ds = np.linspace(2.6, 3.9, 10)
    tcomp, twarm, tab = time_jax(lambda: frg.exponents_table(reg, Ns, ds), repeats=3)
    ok = int(np.sum(np.asarray(tab.status) == 0))
    print(f"10x10 table (vmapped): compile ~ {tcomp:.2f} s, warm {twarm:.3f} s")
    print(f"  {ok}/100 classified Wilson-Fisher")

    # coarser grid where nu is still converged to 1e-7 (checked here over the whole table)
    coarse = frg.LPA(M=32, L=10.0)
    ccomp, cwarm, ex_c = time_jax(
        lambda: frg.critical_exponents(reg, N=1.0, d=3.0, truncation=coarse)
    )
    _, ctab, tab_c = time_jax(
        lambda: frg.exponents_table(reg, Ns, ds, truncation=coarse), repeats=3
    )
    dnu = float(np.max(np.abs(np.asarray(tab_c.nu) - np.asarray(tab.nu))))
    okc = int(np.sum(np.asarray(tab_c.status) == 0))
    print(f"grid M=32 L=10: nu = {float(ex_c.nu):.12f}, compile ~ {ccomp:.2f} s, ")
    print(f"  warm {cwarm * 1e3:.1f} ms/point, table warm {ctab:.3f} s ({okc}/100 WF), ")
    print(f"  max |nu(M=32) - nu(default grid)| over the table = {dnu:.1e}")
    expo = frg.Wetterich()
    _, ewarm, _ = time_jax(lambda: frg.critical_exponents(expo, N=1.0, d=3.0))
    print(f"exponential regulator N=1 d=3 (M=56): warm {ewarm * 1e3:.1f} ms/point")

    nus, tss, succ = [], [], []
    for _ in range(5):
        nu_s, ts, s = scipy_baseline()
        nus.append(nu_s)
        tss.append(ts)
        succ.append(s)
    ts = min(tss)
    tse = min(scipy_baseline(jac="exact")[1] for _ in range(5))
    nu_e = scipy_baseline(jac="exact")[0]
    print(f"scipy baseline (same grid, FD stability): nu = {nus[0]:.12f} success={succ[0]}")
    print(f"  {ts * 1e3:.1f} ms/point")
    print(f"scipy baseline (closed-form stability Jacobian): nu = {nu_e:.12f}")
    print(f"  {tse * 1e3:.1f} ms/point")
    print(f"speed-up (single point N=1 d=3, warm): {ts / warm:.1f}x ", end="")
    print(f"(exact-J baseline: {tse / warm:.1f}x)")
    print(f"speed-up (single point N=4 d=3.5 vs the (1, 3) baseline): {ts / warm2:.1f}x")
    print(f"speed-up (table, per point): {ts / (twarm / 100):.1f}x")
    print(
        f"speed-up (M=32 grid, single / table per point): {ts / cwarm:.1f}x / "
        f"{ts / (ctab / 100):.1f}x"
    )
    return [
        {
            "task": "single point N=1 d=3 (Litim, M=56)",
            "compile_s": comp,
            "warm_ms": warm * 1e3,
            "nu": float(ex.nu),
            "ratio_scipy": ts / warm,
        },
        {"task": "single point N=4 d=3.5", "warm_ms": warm2 * 1e3},
        {
            "task": "10x10 (N, d) table, vmapped",
            "compile_s": tcomp,
            "warm_ms": twarm * 1e3,
            "wilson_fisher": ok,
            "ratio_scipy": ts / (twarm / 100),
        },
        {"task": "exponential regulator N=1 d=3", "warm_ms": ewarm * 1e3},
        {"task": "SciPy baseline, single point", "warm_ms": ts * 1e3, "nu": nus[0]},
        {"task": "SciPy baseline, closed-form stability J", "warm_ms": tse * 1e3, "nu": nu_e},
    ]


if __name__ == "__main__":
    run_cli(main)
