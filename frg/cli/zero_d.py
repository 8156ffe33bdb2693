"""``frg zero-d``: the zero-dimensional O(N) model, where the LPA flow is exact."""

from __future__ import annotations

import time

from ._common import add_command, progress, save, write_figure


def register(subparsers) -> None:
    p = add_command(
        subparsers,
        "zero-d",
        run,
        "0-D O(N) model V = m2/2|phi|^2 + lam/4!|phi|^4 + g6/6!|phi|^6 (exact LPA)",
        out=True,
    )
    p.add_argument("--N", type=float, default=1.0, help="number of components (real, >= 1)")
    p.add_argument("--m2", type=float, default=1.0)
    p.add_argument("--lam", type=float, default=1.0)
    p.add_argument("--g6", type=float, default=0.0)
    p.add_argument("--Lambda", type=float, default=100.0, help="UV scale (one-loop start)")
    p.add_argument("--k-ir", type=float, default=1e-5)
    p.add_argument(
        "--grid", type=int, default=600, help="cells of both grids (Richardson over h, 2h)"
    )
    p.add_argument("--rho-max", type=float, default=None, help="domain (default from V)")
    p.add_argument("--plot", default=None, help="write U'(rho) at several k to PATH")


def run(args) -> dict:
    import jax

    import frg

    progress("compiling and solving the 0-D flow on two grids (Richardson) ...")
    t0 = time.perf_counter()
    res = jax.block_until_ready(
        frg.solve_zero_d(
            args.m2,
            args.lam,
            args.g6,
            args.N,
            Lambda=args.Lambda,
            k_ir=args.k_ir,
            grid=args.grid,
            rho_max=args.rho_max,
        )
    )
    out = {
        "status": "success" if res.ok else "failed",
        "message": res.message,
        "gamma2": float(res.gamma2),
        "gamma4": float(res.gamma4),
        "seconds": time.perf_counter() - t0,
    }
    save(args, "zero-d", out)
    title = f"0-D O({args.N:g})"
    write_figure(out, args.plot, lambda path: frg.plot_flow(res.flow, path, title=title))
    return out
