"""Benchmark B1: LPA O(1), d = 3, Litim, Λ = 1, U_Λ = ½(ρ − κ)², k_IR = 1e-3, ρ ∈ [0, 0.1].

frg (the whole ``frg.solve_flow`` call with the default Rodas4 solver, input checks
included) against SciPy ``solve_ivp`` (BDF and LSODA, tridiagonal Jacobian sparsity)
of the *same* discretised problem (field-grid finite volumes of frg/_flow/_grid.py,
same pole continuation, same rtol/atol), in the same process. Both sides are timed by
``_harness.timeit``: one warm-up call each (frg's compiles; its time minus the median
is frg's compile time), then ``--repeats`` timed calls each; ratios (``_harness.ratio``)
of median to median and best to best. A SciPy run that fails is reported with its
error and counted in ``failures``, never in a ratio. Prints times, ratios and the
agreement of ρ0 and m2R (same read-out on both states).

    python benchmarks/bench_lpa.py [--grids 128 256] [--repeats 5] [--skip-lsoda]
"""

from __future__ import annotations

import argparse
import sys

import jax
import numpy as np
from scipy.integrate import solve_ivp
from scipy.sparse import diags

jax.config.update("jax_enable_x64", True)
sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[1]))

from _harness import ratio, run_cli, timeit, timing_row  # noqa: E402

import frg  # noqa: E402

C3 = 1.0 / (6.0 * np.pi**2)  # Litim d = 3: ℓ_1(w) = C3/(1 + w)


def _ell_np(w, gap):
    wc = -1.0 + gap
    ok = w > wc
    l1 = C3 / (1.0 + np.where(ok, w, wc))
    x = np.minimum((1.0 / gap) * (wc - np.where(ok, wc, w)), 60.0)
    return np.where(ok, l1, (C3 / gap) * np.exp(x))


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
    try:
        sol = solve_ivp(rhs, (0, np.log(1 / k_ir)), u0, method=method, rtol=rtol, atol=atol, **kw)
    except (RuntimeError, ValueError, np.linalg.LinAlgError) as exc:
        return dict(ok=False, error=str(exc), nfev=-1, rho0=np.nan, m2R=np.nan)
    if not sol.success:
        return dict(ok=False, error=sol.message, nfev=int(sol.nfev), rho0=np.nan, m2R=np.nan)
    import jax.numpy as jnp

    rho0, m2R = (float(x) for x in frg._flow.lpa._readout(jnp.asarray(sol.y[:, -1]), h)[:2])
    return dict(ok=True, nfev=int(sol.nfev), rho0=rho0, m2R=m2R)


def frg_solve(kappa, n, rho_max=0.1, k_ir=1e-3):
    pot = frg.RhoPotential(lam=1.0, kappa=kappa)
    kw = dict(d=3.0, N=1.0, Lambda=1.0, k_ir=k_ir, grid=n, rho_max=rho_max)
    return frg.solve_flow(pot, frg.Litim(), **kw)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--grids", type=int, nargs="+", default=[128, 256])
    ap.add_argument("--kappas", type=float, nargs="+", default=[0.05, 0.01])
    ap.add_argument("--skip-lsoda", action="store_true")
    ap.add_argument("--repeats", type=int, default=5, help="timed runs per side (same for all)")
    args = ap.parse_args(argv)
    rows, failures = [], 0
    for n in args.grids:
        for kappa in args.kappas:
            t = timeit(frg_solve, kappa, n, repeats=args.repeats)
            sol = t.pop("result")
            row = {
                "grid": n,
                "kappa": kappa,
                "frg": {
                    **timing_row(t),
                    "compile_s": t["compile_s"],
                    "result": sol.message,
                    "steps": int(sol.num_steps),
                    "rho0": float(sol.rho0[-1]),
                    "m2R": float(sol.m2R[-1]),
                },
            }
            line = (
                f"n={n} kappa={kappa}: frg median {t['median_s']:.4f}s best {t['best_s']:.4f}s "
                f"(compile {t['compile_s']:.1f}s, {int(sol.num_steps)} steps, {sol.message})"
                f" rho0={float(sol.rho0[-1]):.8f} m2R={float(sol.m2R[-1]):.8g}"
            )
            for method in ("BDF",) + (() if args.skip_lsoda else ("LSODA",)):
                b = timeit(scipy_solve, kappa, n, method, repeats=args.repeats)
                res = b.pop("result")
                entry = {**timing_row(b), **res}
                if res["ok"]:
                    entry["ratio"] = ratio(b, t)
                    entry["drho0"] = abs(res["rho0"] - row["frg"]["rho0"])
                    entry["dm2R"] = abs(res["m2R"] - row["frg"]["m2R"])
                    line += (
                        f"\n    {method}: median {b['median_s']:.3f}s best {b['best_s']:.3f}s, "
                        f"ratio median {entry['ratio']['median']:.1f}x "
                        f"best {entry['ratio']['best']:.1f}x, |drho0|={entry['drho0']:.1e} "
                        f"|dm2R|={entry['dm2R']:.1e}"
                    )
                else:
                    failures += 1
                    line += f"\n    {method}: FAILED ({res['error']}), not in any ratio"
                row[method] = entry
            rows.append(row)
            print(line, flush=True)
    print(f"SciPy failures: {failures}", flush=True)
    return rows


if __name__ == "__main__":
    run_cli(main)
