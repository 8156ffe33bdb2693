"""Benchmark B1: LPA O(1), d = 3, Litim, Λ = 1, U_Λ = ½(ρ − κ)², k_IR = 1e-3, ρ ∈ [0, 0.1].

frg (jitted diffrax solve with the Rodas4 stepper, warm: best of 10; compile timed
separately; the whole ``frg.solve_flow`` call, input checks included)
against SciPy ``solve_ivp`` (BDF and LSODA, tridiagonal Jacobian sparsity) of the
*same* discretised problem (field-grid finite volumes of frg/_grid.py, same pole
continuation, same rtol/atol), in the same process, fastest of ``--scipy-repeats``
runs. Prints times, ratios and the agreement of ρ0 and m2R.

    python benchmarks/bench_lpa.py [--grids 128 256] [--skip-lsoda]
"""

from __future__ import annotations

import argparse
import sys
import time

import jax
import numpy as np
from scipy.integrate import solve_ivp
from scipy.sparse import diags

jax.config.update("jax_enable_x64", True)
sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[1]))

from _harness import run_cli  # noqa: E402

import frg  # noqa: E402

C3 = 1.0 / (6.0 * np.pi**2)  # Litim d = 3: ℓ_1(w) = C3/(1 + w)


def _ell_np(w, gap):
    wc = -1.0 + gap
    ok = w > wc
    l1 = C3 / (1.0 + np.where(ok, w, wc))
    x = np.minimum((1.0 / gap) * (wc - np.where(ok, wc, w)), 60.0)
    return np.where(ok, l1, (C3 / gap) * np.exp(x))


def scipy_best(kappa, n, method, repeats):
    """:func:`scipy_solve` ``repeats`` times; the fastest run (as frg's best of 10)."""
    runs = [scipy_solve(kappa, n, method) for _ in range(repeats)]
    best = min(runs, key=lambda r: r["seconds"])
    return {**best, "median_seconds": float(np.median([r["seconds"] for r in runs]))}


def scipy_solve(kappa, n, method, rho_max=0.1, k_ir=1e-3, gap=1e-2, rtol=1e-6, atol=1e-9):
    """The frg discretisation (N = 1) in NumPy, integrated by solve_ivp in s = ln(Λ/k)."""
    h = np.sqrt(2 * rho_max) / n
    sig = (np.arange(n) + 0.5) * h
    u0 = sig * (0.5 * sig**2 - kappa)

    def rhs(s, u):
        k2 = np.exp(-2 * s)
        du = np.empty(n + 1)
        du[0] = 2 * u[0] / h
        du[1:n] = np.diff(u) / h
        du[n] = (u[-1] - u[-2]) / h
        F = _ell_np(du / k2, gap)
        return -np.exp(-3 * s) * np.diff(F) / h

    sparsity = diags([1.0, 1.0, 1.0], [-1, 0, 1], shape=(n, n))
    kw = {"jac_sparsity": sparsity} if method == "BDF" else {"lband": 1, "uband": 1}
    t = time.perf_counter()
    try:
        sol = solve_ivp(rhs, (0, np.log(1 / k_ir)), u0, method=method, rtol=rtol, atol=atol, **kw)
    except (RuntimeError, ValueError, np.linalg.LinAlgError) as exc:
        dt = time.perf_counter() - t
        return dict(seconds=dt, ok=False, error=str(exc), nfev=-1, rho0=np.nan, m2R=np.nan)
    dt = time.perf_counter() - t
    if not sol.success:
        return dict(
            seconds=dt, ok=False, error=sol.message, nfev=int(sol.nfev), rho0=np.nan, m2R=np.nan
        )
    u = sol.y[:, -1]
    import jax.numpy as jnp

    rho0, m2R, _ = frg._flow.lpa._readout(jnp.asarray(u), h)
    return dict(
        seconds=dt, ok=bool(sol.success), nfev=int(sol.nfev), rho0=float(rho0), m2R=float(m2R)
    )


def frg_solve(kappa, n, rho_max=0.1, k_ir=1e-3):
    pot = frg.RhoPotential(lam=1.0, kappa=kappa)
    kw = dict(d=3.0, N=1.0, Lambda=1.0, k_ir=k_ir, grid=n, rho_max=rho_max)
    t = time.perf_counter()
    jax.block_until_ready(frg.solve_flow(pot, frg.Litim(), **kw))
    first = time.perf_counter() - t
    times = []
    for _ in range(10):
        t = time.perf_counter()
        sol = jax.block_until_ready(frg.solve_flow(pot, frg.Litim(), **kw))
        times.append(time.perf_counter() - t)
    best = min(times)
    return dict(
        seconds=best,
        median_seconds=float(np.median(times)),  # the machine's timing noise, for the record
        compile_seconds=first - best,
        status=sol.message,
        steps=int(sol.num_steps),
        rho0=float(sol.rho0[-1]),
        m2R=float(sol.m2R[-1]),
    )


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--grids", type=int, nargs="+", default=[128, 256])
    ap.add_argument("--kappas", type=float, nargs="+", default=[0.05, 0.01])
    ap.add_argument("--skip-lsoda", action="store_true")
    ap.add_argument(
        "--scipy-repeats", type=int, default=3, help="SciPy runs per case (fastest kept)"
    )
    args = ap.parse_args(argv)
    rows = []
    for n in args.grids:
        for kappa in args.kappas:
            r = {"grid": n, "kappa": kappa, "frg": frg_solve(kappa, n)}
            r["BDF"] = scipy_best(kappa, n, "BDF", args.scipy_repeats)
            if not args.skip_lsoda:
                r["LSODA"] = scipy_best(kappa, n, "LSODA", args.scipy_repeats)
            rows.append(r)
            f = r["frg"]
            line = (
                f"n={n} kappa={kappa}: frg {f['seconds']:.3f}s "
                f"(compile {f['compile_seconds']:.1f}s,"
                f" {f['steps']} steps, {f['status']}) rho0={f['rho0']:.8f} m2R={f['m2R']:.8g}"
            )
            for m in ("BDF", "LSODA"):
                if m in r:
                    b = r[m]
                    line += (
                        f"\n    {m}: {b['seconds']:.3f}s ok={b['ok']} "
                        f"ratio {b['seconds'] / f['seconds']:.1f}x"
                        f"  rho0={b['rho0']:.8f} m2R={b['m2R']:.8g}"
                        f"  |drho0|={abs(b['rho0'] - f['rho0']):.1e}"
                        f" |dm2R|={abs(b['m2R'] - f['m2R']):.1e}"
                    )
            print(line, flush=True)
    return rows


if __name__ == "__main__":
    run_cli(main)
