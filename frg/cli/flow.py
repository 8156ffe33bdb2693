"""``frg flow``: LPA flow of the O(N) model in d dimensions (see frg.solve_flow)."""

from __future__ import annotations

import time

from ._common import add_command, progress


def register(subparsers) -> None:
    p = add_command(
        subparsers, "flow", run, "LPA flow of the O(N) model, U_L = lam/2 (rho-kappa)^2"
    )
    p.add_argument("--N", type=float, default=1.0, help="number of field components (real, >= 1)")
    p.add_argument("--d", type=float, default=3.0, help="dimension, 0 < d <= 4")
    p.add_argument("--regulator", default="litim", help="litim | exponential | power | mass")
    p.add_argument("--lam", type=float, default=1.0, help="U_L = lam/2 (rho - kappa)^2 + ...")
    p.add_argument("--kappa", type=float, default=0.05, help="minimum of U_L")
    p.add_argument("--g3", type=float, default=0.0, help="coefficient of rho^3 in U_L")
    p.add_argument("--g4", type=float, default=0.0, help="coefficient of rho^4 in U_L")
    p.add_argument("--Lambda", type=float, default=1.0, help="UV scale")
    p.add_argument("--k-ir", type=float, default=1e-3, help="IR scale, 0 < k_ir < Lambda")
    p.add_argument("--grid", type=int, default=128, help="number of cells")
    p.add_argument("--rho-max", type=float, default=0.1, help="grid extent in rho = phi^2/2")
    p.add_argument("--plot", default=None, help="write a figure (U'(rho) at several k) to PATH")


def run(args) -> dict:
    import jax
    import numpy as np

    import frg

    reg = frg.make_regulator(args.regulator)
    couplings = tuple(g for g in (args.g3, args.g4))
    while couplings and couplings[-1] == 0.0:
        couplings = couplings[:-1]
    pot = frg.RhoPotential(lam=args.lam, kappa=args.kappa, couplings=couplings)
    ks = np.geomspace(args.Lambda, args.k_ir, 9) if args.plot else None
    kw = dict(
        d=args.d,
        N=args.N,
        Lambda=args.Lambda,
        k_ir=args.k_ir,
        grid=args.grid,
        rho_max=args.rho_max,
        ks_out=ks,
    )
    frg.lpa.validate_flow_inputs(
        pot, reg, args.d, args.N, args.Lambda, args.k_ir, args.grid, args.rho_max
    )
    progress(f"compiling and solving the LPA flow on {args.grid} cells ...")
    t0 = time.perf_counter()
    sol = jax.block_until_ready(frg.solve_flow(pot, reg, **kw))
    first = time.perf_counter() - t0
    progress("warm re-run for timing ...")
    t0 = time.perf_counter()
    sol = jax.block_until_ready(frg.solve_flow(pot, reg, **kw))
    warm = time.perf_counter() - t0
    out = {
        "rho0": float(sol.rho0[-1]),
        "m2R": float(sol.m2R[-1]),
        "status": "success" if sol.ok else "failed",
        "message": sol.message,
        "solve_seconds": warm,
        "compile_seconds": max(first - warm, 0.0),
        "num_steps": int(sol.num_steps),
        "N": args.N,
        "d": args.d,
        "regulator": args.regulator,
        "grid": args.grid,
    }
    if args.plot:
        from frg._plots import plot_flow

        plot_flow(sol, args.plot, title=f"LPA O({args.N:g}) d={args.d:g} kappa={args.kappa:g}")
        out["plot"] = args.plot
        progress(f"wrote {args.plot}")
    return out
