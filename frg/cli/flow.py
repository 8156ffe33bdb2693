"""``frg flow``: LPA flow of the O(N) model in d dimensions (see frg.solve_flow)."""

from __future__ import annotations

import time

import frg
from frg._flow.lpa import validate_flow_inputs

from ._common import add_command, progress, save, write_figure

# Outputs of one point reported by ``frg sweep flow`` (timings excluded).
SWEEP_OUTPUTS = ("rho0", "m2R", "status", "num_steps")
SWEEP_CPU_OPTIONS = True  # the chunk program compiles with frg/_compile.py's XLA:CPU options


def register(subparsers) -> None:
    p = add_command(
        subparsers,
        "flow",
        run,
        "LPA flow of the O(N) model, U_L = lam/2 (rho-kappa)^2",
        out=True,
    )
    add_arguments(p)
    p.add_argument("--saves", type=int, default=9, help="scales saved to --out/--plot (>= 2)")


def add_arguments(p) -> None:
    """The options of ``frg flow`` (shared with ``frg sweep flow``)."""
    p.add_argument("--N", type=float, default=1.0, help="number of field components (real, >= 1)")
    p.add_argument("--d", type=float, default=3.0, help="dimension, 0 < d <= 4")
    p.add_argument("--regulator", default="litim", help=" | ".join(frg.REGULATORS))
    p.add_argument("--lam", type=float, default=1.0, help="U_L = lam/2 (rho - kappa)^2 + ...")
    p.add_argument("--kappa", type=float, default=0.05, help="minimum of U_L")
    p.add_argument("--g3", type=float, default=0.0, help="coefficient of rho^3 in U_L")
    p.add_argument("--g4", type=float, default=0.0, help="coefficient of rho^4 in U_L")
    p.add_argument("--Lambda", type=float, default=1.0, help="UV scale")
    p.add_argument("--k-ir", type=float, default=1e-3, help="IR scale, 0 < k_ir < Lambda")
    p.add_argument("--grid", type=int, default=128, help="number of cells")
    p.add_argument("--rho-max", type=float, default=0.1, help="grid extent in rho = phi^2/2")
    p.add_argument(
        "--stepper",
        default="rodas4",
        choices=list(frg.SOLVERS),
        help="time stepper: frg.Rodas4, Rodas5P, Kvaerno5, Kvaerno3 (docs/lpa.md, 'Steppers')",
    )
    p.add_argument("--plot", default=None, help="write a figure (U'(rho) at several k) to PATH")


def _potential(args, **override):
    get = lambda name: override.get(name, getattr(args, name))
    couplings = tuple(get(g) for g in ("g3", "g4"))
    if not any(g in override for g in ("g3", "g4")):
        while couplings and couplings[-1] == 0.0:
            couplings = couplings[:-1]
    return frg.RhoPotential(lam=get("lam"), kappa=get("kappa"), couplings=couplings)


_SWEEPABLE = ("N", "d", "lam", "kappa", "g3", "g4", "Lambda", "k_ir", "rho_max")


def sweep_function(args, swept):
    """``fn(params) -> {rho0, m2R, status, num_steps}`` for ``frg sweep flow``."""
    import jax.numpy as jnp
    import numpy as np

    for name in swept:
        if name not in _SWEEPABLE:
            raise ValueError(f"--param {name}: sweepable options of flow are {list(_SWEEPABLE)}")
    reg = frg.make_regulator(args.regulator)
    solver = frg.make_solver(args.stepper)
    # solve_flow checks the fixed (concrete) options eagerly when fn is traced
    fixed = {k: getattr(args, k) for k in _SWEEPABLE if k not in swept}

    def fn(params):
        val = {**fixed, **params}
        pot = _potential(args, **{k: val[k] for k in ("lam", "kappa", "g3", "g4")})
        sol = frg.solve_flow(
            pot,
            reg,
            d=val["d"],
            N=val["N"],
            Lambda=val["Lambda"],
            k_ir=val["k_ir"],
            grid=args.grid,
            rho_max=val["rho_max"],
            solver=solver,
        )
        return {
            "rho0": sol.rho0[-1],
            "m2R": sol.m2R[-1],
            "status": jnp.asarray(sol.status, jnp.int32),
            "result": sol.result,
            "num_steps": sol.num_steps,
        }

    task = f"regulator={args.regulator};grid={args.grid};stepper={args.stepper};" + ";".join(
        f"{k}={np.float64(v)!r}" for k, v in sorted(fixed.items())
    )
    return fn, task


def run(args) -> dict:
    import jax
    import numpy as np

    if args.saves < 2:
        raise ValueError(f"--saves must be >= 2; got {args.saves}")
    reg = frg.make_regulator(args.regulator)
    pot = _potential(args)
    keep = args.plot or getattr(args, "out", None)
    ks = np.geomspace(args.Lambda, args.k_ir, args.saves) if keep else None
    # every argument checked before the progress line (and before any compile)
    validate_flow_inputs(pot, reg, args.d, args.N, args.Lambda, args.k_ir, args.grid, args.rho_max)
    progress(f"compiling and solving the LPA flow on {args.grid} cells ...")
    t0 = time.perf_counter()
    sol = frg.solve_flow(
        pot,
        reg,
        d=args.d,
        N=args.N,
        Lambda=args.Lambda,
        k_ir=args.k_ir,
        grid=args.grid,
        rho_max=args.rho_max,
        ks_out=ks,
        solver=frg.make_solver(args.stepper),
    )
    sol = jax.block_until_ready(sol)
    seconds = time.perf_counter() - t0
    out = {
        "status": "success" if sol.ok else "failed",
        "message": sol.message,
        "rho0": float(sol.rho0[-1]),
        "m2R": float(sol.m2R[-1]),
        "m2R_error": float(sol.m2R_error[-1]),
        "seconds": seconds,
        "num_steps": int(sol.num_steps),
        "N": args.N,
        "d": args.d,
        "regulator": args.regulator,
        "grid": args.grid,
        "stepper": args.stepper,
    }
    progress(f"compiled and solved in {seconds:.2f} s ({int(sol.num_steps)} steps)")
    save(args, "flow", out, flow_arrays(sol))
    title = f"LPA O({args.N:g}) d={args.d:g} kappa={args.kappa:g}"
    write_figure(out, args.plot, lambda path: frg.plot_flow(sol, path, title=title))
    return out


def flow_arrays(sol) -> dict:
    """The arrays of a :class:`frg.FlowSolution` kept in a results folder."""
    import numpy as np

    names = ("k", "rho", "U", "dU", "d2U", "rho0", "m2R", "m2R_error")
    return {name: np.asarray(getattr(sol, name)) for name in names}
