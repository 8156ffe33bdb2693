"""``frg exponents``: Wilson–Fisher fixed point and critical exponents of the O(N) model."""

from __future__ import annotations

import time

import jax
import numpy as np

from ._common import add_command, progress


def register(subparsers) -> None:
    p = add_command(
        subparsers,
        "exponents",
        _run,
        "critical exponents nu, omega, eta (theta_i = -eigenvalues of the stability matrix)",
    )
    add_arguments(p)


def add_arguments(p) -> None:
    """The options of ``frg exponents`` (shared with ``frg sweep exponents``)."""
    from frg import TRUNCATIONS

    p.add_argument("--N", type=float, default=1.0, help="number of components, 1 <= N <= 1000")
    p.add_argument("--d", type=float, default=3.0, help="dimension, 2 < d < 4")
    p.add_argument("--regulator", default="litim", help="litim | exponential | power")
    p.add_argument("--a", type=float, default=None, help="exponential regulator prefactor a")
    p.add_argument(
        "--truncation",
        default="lpa",
        choices=[*sorted(TRUNCATIONS), "de2"],
        help="lpa (full function, Chebyshev grid) | lpa-prime | taylor --order n | de2 "
        "(O(d^2) derivative expansion, U, Z, Y; exponential regulator at its PMS a by default)",
    )
    p.add_argument(
        "--order", type=int, default=None, help="Taylor order n (with --truncation taylor)"
    )
    p.add_argument(
        "--M",
        type=int,
        default=None,
        help="Chebyshev degree of the grid (default: frg.grid_degree(d), 56 for d >= 2.8)",
    )
    p.add_argument("--plot", default=None, help="write a plot of u*(rho) to this file (png)")


def _regulator(args, a):
    import frg

    return frg.make_regulator(args.regulator, **({} if a is None else {"a": a}))


def _truncation(args, d=None):
    """The truncation named by ``--truncation`` (+ ``--order``, ``--M``; without ``--M``
    a grid truncation gets :func:`frg.grid_degree` of the lowest ``d``)."""
    import dataclasses

    from frg import _validate, make_truncation
    from frg._fixed_point.truncations import with_grid_degree

    if args.truncation == "taylor" and args.order is None:
        raise ValueError("--truncation taylor needs --order n (n >= 2)")
    tr = make_truncation(args.truncation, args.order)
    if args.M is not None:
        _validate.integer("M", args.M, 8, 400)
        if not hasattr(tr, "M"):
            raise ValueError(f"--M applies to grid truncations, not {args.truncation!r}")
        return dataclasses.replace(tr, M=args.M)
    # default grid degree for the (lowest) dimension asked for (frg.grid_degree)
    return tr if d is None else with_grid_degree(tr, d)


# ``frg sweep exponents``: swept options and the outputs reported per point.
_SWEEPABLE = ("N", "d", "a")
SWEEP_OUTPUTS = ("nu", "omega", "eta", "theta", "status")


def check_params(args, params) -> None:
    """Validate every swept value eagerly (before compiling): N, d ranges, a > 0."""
    import numpy as np

    from frg import _validate

    for name in params:
        if name not in _SWEEPABLE:
            raise ValueError(
                f"--param {name}: sweepable options of exponents are {list(_SWEEPABLE)}"
            )
    if args.truncation == "de2":
        raise ValueError("frg sweep exponents supports --truncation lpa | lpa-prime | taylor")
    _truncation(args)
    _validate.in_range("N", params.get("N", args.N), 1.0, 1000.0)
    ds = np.unique(params.get("d", args.d))
    _validate.in_range("d", ds, 2.0, 4.0, low_open=True, high_open=True)
    for a in np.unique(params["a"]) if "a" in params else [args.a]:
        if a is not None:
            _validate.in_range("a", a, 0.0, low_open=True)
        for d in ds:
            _regulator(args, None if a is None else float(a)).check(float(d))


#: ``frg sweep exponents`` groups points by grid degree only when at least this many
#: points per extra group move to a smaller grid. Measured on the 2-core CPU (Litim,
#: 8 N × 14 d ∈ [2.6, 3.9]): grouped warm 0.52 s instead of 1.34 s (M = 96 everywhere),
#: but three compiles instead of one (31 s instead of 12 s); a point that moves from
#: M = 96 to 56 saves ~10 ms, an extra compiled group costs ~10 s.
GROUP_MIN_POINTS = 1000


def sweep_groups(args, params):
    """Points grouped by the grid degree of their d (:func:`frg.grid_degree`), as
    :func:`frg.exponents_table` groups its columns, when that repays the extra compiles
    (:data:`GROUP_MIN_POINTS` points per extra group move to a smaller grid than the
    lowest d's). ``None`` (one group, the lowest d's grid) otherwise, for ``--M``, or a
    non-grid truncation."""
    from frg._fixed_point.truncations import by_grid_degree

    if "d" not in params or args.M is not None or args.truncation not in ("lpa", "lpa-prime"):
        return None
    groups = by_grid_degree(params["d"])
    moved = sum(len(idx) for idx in list(groups.values())[:-1])  # off the finest grid
    if len(groups) == 1 or moved < GROUP_MIN_POINTS * (len(groups) - 1):
        return None
    return [(f"M{M}", idx) for M, idx in groups.items()]


def sweep_function(args, swept):
    """``fn(params) -> {nu, omega, eta, theta, status}`` over N, d and the regulator's a."""
    import jax.numpy as jnp

    from frg import critical_exponents

    tr = _truncation(args, swept.get("d", args.d))  # the lowest d's grid (see sweep_groups)
    fixed = {"N": args.N, "d": args.d, "a": args.a}
    fixed = {k: v for k, v in fixed.items() if k not in swept}

    def fn(params):
        v = {**fixed, **params}
        ex = critical_exponents(_regulator(args, v.get("a")), N=v["N"], d=v["d"], truncation=tr)
        return {
            "nu": ex.nu,
            "omega": ex.omega,
            "eta": ex.eta,
            "theta": jnp.real(ex.theta)[:4],
            "status": jnp.asarray(ex.status, jnp.int32),
        }

    task = (
        f"regulator={args.regulator};truncation={args.truncation};order={args.order};"
        f"M={getattr(tr, 'M', None)};" + ";".join(f"{k}={v!r}" for k, v in sorted(fixed.items()))
    )
    return fn, task


def _run(args) -> dict:
    from frg import STATUS, _validate, critical_exponents

    _validate.in_range("N", args.N, 1.0, 1000.0)
    _validate.in_range("d", args.d, 2.0, 4.0, low_open=True, high_open=True)
    if args.truncation == "de2":
        return _run_de2(args)
    reg = _regulator(args, args.a)
    reg.check(args.d)
    tr = _truncation(args, args.d)
    progress(f"compiling the fixed-point solver ({args.truncation}, {args.regulator})")
    t0 = time.perf_counter()
    ex = jax.block_until_ready(critical_exponents(reg, N=args.N, d=args.d, truncation=tr))
    first = time.perf_counter() - t0
    t0 = time.perf_counter()
    ex = jax.block_until_ready(critical_exponents(reg, N=args.N, d=args.d, truncation=tr))
    warm = time.perf_counter() - t0
    status = int(ex.status)
    fp = ex.fixed_point
    theta = np.asarray(ex.theta)
    out = {
        "status": "success" if status == 0 else STATUS[status],
        "N": args.N,
        "d": args.d,
        "regulator": args.regulator,
        "truncation": args.truncation,
        "M": getattr(tr, "M", None),  # grid degree (frg.grid_degree(d) unless --M)
        "nu": float(ex.nu),
        "omega": float(ex.omega),
        "eta": float(ex.eta),
        "theta": [float(t) for t in theta.real],
        "theta_imag": [float(t) for t in theta.imag],
        "solve_seconds": warm,
        "compile_seconds": max(first - warm, 0.0),
        "fixed_point": {
            "kind": STATUS[status],
            "kappa": float(fp.kappa),
            "n_relevant": int(fp.n_relevant),
            "nodes": int(fp.nodes),
            "residual": float(fp.residual),
            "newton_iterations": int(fp.iterations),
        },
    }
    if hasattr(tr, "potential"):
        rho = np.linspace(0.0, 3.0 * float(fp.kappa) if float(fp.kappa) > 0 else 1.0, 7)
        u = np.asarray(tr.potential(fp.params, reg, args.N, args.d, rho))
        out["fixed_point"]["rho"] = rho.tolist()
        out["fixed_point"]["u"] = u.tolist()
        if args.plot:
            import matplotlib

            matplotlib.use("Agg")
            import matplotlib.pyplot as plt

            rr = np.linspace(0.0, float(rho[-1]), 200)
            fig, ax = plt.subplots(figsize=(5, 3.5))
            ax.plot(rr, np.asarray(tr.potential(fp.params, reg, args.N, args.d, rr)))
            ax.axhline(0, color="k", lw=0.5)
            ax.set_xlabel(r"$\tilde\rho$")
            ax.set_ylabel(r"$u^*(\tilde\rho)$")
            ax.set_title(f"N={args.N:g}, d={args.d:g}: nu={float(ex.nu):.6f}")
            fig.tight_layout()
            fig.savefig(args.plot, dpi=120)
            out["plot"] = args.plot
    return out


def _run_de2(args) -> dict:
    """``--truncation de2``: the O(∂²) derivative expansion (frg.de2), timed warm."""
    from frg._fixed_point.de2 import de2_cli_exponents

    kw = dict(N=int(args.N), d=args.d, regulator=args.regulator, alpha=args.a)
    if args.M is not None:
        kw["grid"] = args.M
    progress("compiling and solving the O(d^2) fixed point (PMS search unless --a is given)")
    t0 = time.perf_counter()
    out = de2_cli_exponents(**kw)
    first = time.perf_counter() - t0
    t0 = time.perf_counter()
    out = de2_cli_exponents(**kw)
    warm = time.perf_counter() - t0
    out["solve_seconds"] = warm
    out["compile_seconds"] = max(first - warm, 0.0)
    return out
