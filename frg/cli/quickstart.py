"""``frg quickstart``: 3-D O(1) LPA (Litim), symmetric and broken phase, table + plots."""

from __future__ import annotations

import os
import time

import frg

from ._common import add_command, progress, save, write_figure
from .flow import flow_arrays

OUT_DIR = os.path.join("frg-output", "quickstart")
PHASES = (("symmetric", 0.01), ("broken", 0.05))


def register(subparsers) -> None:
    p = add_command(
        subparsers,
        "quickstart",
        run,
        f"3-D O(1) LPA flow, Litim, symmetric (kappa 0.01) and broken (kappa 0.05) "
        f"phase; results and plots to {OUT_DIR}/ (read back: frg.load)",
        out=True,
    )
    p.set_defaults(out=OUT_DIR)
    p.add_argument("--grid", type=int, default=128)


def _plot_dimensionless(sols, path):
    """κ̃ = k^{2−d}ρ0 and m̃² = m²_R/k² against t = ln(k/Λ) for each phase."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    fig, ax = plt.subplots(1, 2, figsize=(9, 3.6))
    for phase, sol in sols.items():
        t, kt, mt = (np.asarray(x) for x in sol.dimensionless(3.0))
        ax[0].plot(t, kt, "o-", ms=2, label=phase)
        ax[1].plot(t, mt, "o-", ms=2, label=phase)
    ax[0].set_xlabel("t = ln(k/Λ)")
    ax[0].set_ylabel("κ̃ = k^{2−d} ρ₀ (dimensionless)")
    ax[1].set_xlabel("t = ln(k/Λ)")
    ax[1].set_ylabel("m̃² = m²_R/k² (dimensionless)")
    ax[0].set_yscale("symlog", linthresh=0.1)
    ax[1].set_yscale("symlog", linthresh=0.1)
    for a in ax:
        a.legend(loc="best", fontsize=7)
    fig.suptitle(
        "dimensionless flow: the near-critical flows stay at the Wilson–Fisher fixed point"
    )
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def run(args) -> dict:
    import jax
    import numpy as np

    progress(
        f"quickstart: 3-D O(1) LPA, Litim, Lambda=1, k_ir=1e-3, {args.grid} cells; "
        f"results and plots go to {args.out}/"
    )
    ks = np.geomspace(1.0, 1e-3, 61)
    rows, sols = {}, {}
    t_all = time.perf_counter()
    kw = dict(d=3.0, N=1.0, Lambda=1.0, k_ir=1e-3, grid=args.grid, rho_max=0.1, ks_out=ks)

    def solve(kappa):
        return frg.solve_flow(frg.RhoPotential(lam=1.0, kappa=kappa), frg.Litim(), **kw)

    progress("bisecting the critical kappa (lam = 1) ...")
    # the same compiled solve as the flows below (κ is traced): 25 warm solves
    lo, hi = PHASES[0][1], PHASES[1][1]
    for _ in range(25):
        mid = 0.5 * (lo + hi)
        sol = solve(mid)
        if not sol.ok:
            raise RuntimeError(f"flow at kappa = {mid} failed: {sol.message}")
        lo, hi = (lo, mid) if float(sol.rho0[-1]) > 0 else (mid, hi)
    # κ_c (1 ∓ 1e-3): the flows stay near the fixed point down to t ≈ −ν ln(1e3) ≈ −4.5
    # and then leave it along the relevant direction (to resolved minima on the grid)
    kc = 0.5 * (lo + hi)
    near = (("near-critical symmetric", kc * (1 - 1e-3)), ("near-critical broken", kc * (1 + 1e-3)))
    for phase, kappa in PHASES + near:
        t0 = time.perf_counter()
        sols[phase] = jax.block_until_ready(solve(kappa))
        sol = sols[phase]
        rows[phase] = {
            "kappa": kappa,
            "rho0": float(sol.rho0[-1]),
            "m2R": float(sol.m2R[-1]),
            "m2R_error": float(sol.m2R_error[-1]),
            "message": sol.message,
            "seconds": time.perf_counter() - t0,
        }
        progress(f"{phase}: solved in {rows[phase]['seconds']:.2f} s")
    ok = all(sol.ok for sol in sols.values())
    out = {
        "status": "success" if ok else "failed",
        "kappa_c": kc,
        "phases": [{"phase": ph, **r} for ph, r in rows.items()],
        "seconds": time.perf_counter() - t_all,
    }
    arrays = {
        f"{phase.replace(' ', '_')}_{name}": value
        for phase, sol in sols.items()
        for name, value in flow_arrays(sol).items()
    }
    save(args, "quickstart", out, arrays)
    for phase, kappa in PHASES:  # the near-critical flows are in the dimensionless plot
        title = f"3-D O(1) LPA, Litim, kappa={kappa} ({phase})"
        path = os.path.join(args.out, f"{phase}.png")
        write_figure(out, path, lambda p, s=sols[phase], t=title: frg.plot_flow(s, p, title=t))
        out[f"plot_{phase}"] = out.pop("plot", path)
    path = os.path.join(args.out, "dimensionless.png")
    write_figure(out, path, lambda p: _plot_dimensionless(sols, p))
    out["plot_dimensionless"] = out.pop("plot", path)
    return out
