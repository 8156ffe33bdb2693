"""``frg quickstart``: 3-D O(1) LPA (Litim), symmetric and broken phase, table + plots."""

from __future__ import annotations

import os
import time

from ._common import add_command, progress

OUT_DIR = os.path.join("frg-output", "quickstart")


def register(subparsers) -> None:
    p = add_command(
        subparsers,
        "quickstart",
        run,
        f"3-D O(1) LPA flow, Litim, symmetric (kappa 0.01) and broken (kappa 0.05) "
        f"phase; plots to {OUT_DIR}/",
    )
    p.add_argument("--out", default=OUT_DIR, help="output folder for the plots")
    p.add_argument("--grid", type=int, default=128)


def run(args) -> dict:
    import jax
    import numpy as np

    import frg
    from frg._plots import plot_flow

    os.makedirs(args.out, exist_ok=True)
    progress(
        f"quickstart: 3-D O(1) LPA, Litim, Lambda=1, k_ir=1e-3, {args.grid} cells; "
        f"plots go to {args.out}/"
    )
    ks = np.geomspace(1.0, 1e-3, 10)
    rows = {}
    t_all = time.perf_counter()
    for phase, kappa in (("symmetric", 0.01), ("broken", 0.05)):
        t0 = time.perf_counter()
        sol = jax.block_until_ready(
            frg.solve_flow(
                frg.RhoPotential(lam=1.0, kappa=kappa),
                frg.Litim(),
                d=3.0,
                N=1.0,
                Lambda=1.0,
                k_ir=1e-3,
                grid=args.grid,
                rho_max=0.1,
                ks_out=ks,
            )
        )
        path = os.path.join(args.out, f"{phase}.png")
        plot_flow(sol, path, title=f"3-D O(1) LPA, Litim, kappa={kappa} ({phase})")
        rows[phase] = {
            "kappa": kappa,
            "rho0": float(sol.rho0[-1]),
            "m2R": float(sol.m2R[-1]),
            "status": sol.message,
            "seconds": time.perf_counter() - t0,
            "plot": path,
        }
        progress(f"{phase}: done in {rows[phase]['seconds']:.1f} s, wrote {path}")
    if not args.json:
        print(f"{'phase':10s} {'kappa':>6s} {'rho0(k_ir)':>14s} {'m2R(k_ir)':>14s}  status")
        for ph, r in rows.items():
            print(f"{ph:10s} {r['kappa']:6.3f} {r['rho0']:14.8g} {r['m2R']:14.8g}  {r['status']}")
        print(f"plots written to {args.out}/")
    ok = all(r["status"] == "success" for r in rows.values())
    return {
        "status": "success" if ok else "failed",
        "out_dir": args.out,
        "phases": rows,
        "seconds": time.perf_counter() - t_all,
    }
