"""``frg exponents``: Wilson–Fisher fixed point and critical exponents of the O(N) model."""

from __future__ import annotations

import time

import jax
import numpy as np

from ._common import add_command, progress, save, write_figure


def register(subparsers) -> None:
    p = add_command(
        subparsers,
        "exponents",
        _run,
        "critical exponents nu, omega, eta (theta_i = -eigenvalues of the stability matrix)",
        out=True,
    )
    add_arguments(p)


def add_arguments(p) -> None:
    """The options of ``frg exponents`` (shared with ``frg sweep exponents``)."""
    from frg import REGULATORS, TRUNCATIONS

    p.add_argument("--N", type=float, default=1.0, help="number of components, 1 <= N <= 1000")
    p.add_argument("--d", type=float, default=3.0, help="dimension, 2 < d < 4")
    p.add_argument("--regulator", default="litim", choices=sorted(REGULATORS))
    p.add_argument(
        "--a",
        type=float,
        default=None,
        help="prefactor a of the exponential (a e^{-y}) or wetterich (a y/(e^{y^b}-1)) "
        "regulator; with --truncation de2 or de4, a given --a means no PMS",
    )
    p.add_argument("--b", type=float, default=None, help="exponent b of the wetterich regulator")
    p.add_argument("--n", type=float, default=None, help="power n of the power regulator")
    p.add_argument(
        "--truncation",
        default="lpa",
        choices=sorted(TRUNCATIONS),
        help="lpa (full function, Chebyshev grid) | lpa-prime | taylor --order n | de2 "
        "(O(d^2) derivative expansion) | de4 (O(d^4), N = 1; also reports the LPA and "
        "O(d^2) values at the same regulator and the error bar, half the last change); "
        "de2 or de4 without --a: the regulator prefactor at its PMS point for nu "
        "(de4: Brent's method on nu(a), about 15 solves)",
    )
    p.add_argument(
        "--order", type=int, default=None, help="Taylor order n (with --truncation taylor)"
    )
    p.add_argument(
        "--M",
        type=int,
        default=None,
        help="Chebyshev degree of the grid (default: frg.grid_degree(d) for lpa, "
        "frg.DE2's / frg.DE4's default for de2 / de4)",
    )
    p.add_argument("--plot", default=None, help="write a plot of u*(rho) to this file (png)")


#: the regulator options (beyond --a) each regulator takes
_REGULATOR_OPTIONS = {"exponential": ("a",), "wetterich": ("a", "b"), "power": ("n",)}


def _regulator(args, a=None):
    """The regulator named by ``--regulator`` with its options (``a``: overrides ``--a``)."""
    import frg

    a = args.a if a is None else a
    given = {"a": a, "b": args.b, "n": args.n}
    allowed = _REGULATOR_OPTIONS.get(args.regulator, ())
    for key, value in given.items():
        if value is not None and key not in allowed:
            raise ValueError(f"--{key} does not apply to the {args.regulator} regulator")
    return frg.make_regulator(
        args.regulator, **{k: given[k] for k in allowed if given[k] is not None}
    )


def _truncation(args, d=None):
    """The truncation named by ``--truncation`` (+ ``--order``, ``--M``; without ``--M``
    a grid truncation gets :func:`frg.grid_degree` of the lowest ``d``)."""
    import dataclasses

    from frg import make_truncation, with_grid_degree

    if args.truncation == "taylor" and args.order is None:
        raise ValueError("--truncation taylor needs --order n (n >= 2)")
    tr = make_truncation(args.truncation, args.order)
    if args.M is not None:
        field = {"lpa": "M", "lpa-prime": "M", "de2": "grid", "de4": "grid"}.get(args.truncation)
        if field is None:
            raise ValueError(f"--M applies to grid truncations, not {args.truncation!r}")
        return dataclasses.replace(tr, **{field: args.M})
    # default grid degree for the (lowest) dimension asked for (frg.grid_degree)
    return tr if d is None else with_grid_degree(tr, d)


# ``frg sweep exponents``: swept options and the outputs reported per point.
_SWEEPABLE = ("N", "d", "a")
SWEEP_OUTPUTS = ("nu", "omega", "eta", "theta", "status")
SWEEP_CPU_OPTIONS = True  # the chunk program compiles with frg/_compile.py's XLA:CPU options


def check_params(args, params) -> None:
    """Validate every swept value eagerly (before compiling): N, d ranges, the regulator."""
    import numpy as np

    from frg import check_exponents_inputs

    for name in params:
        if name not in _SWEEPABLE:
            raise ValueError(
                f"--param {name}: sweepable options of exponents are {list(_SWEEPABLE)}"
            )
    tr = _truncation(args)
    Ns = np.unique(params.get("N", args.N))
    ds = np.unique(params.get("d", args.d))
    for a in np.unique(params["a"]) if "a" in params else [args.a]:
        reg = _regulator(args, None if a is None else float(a))
        check_exponents_inputs(reg, N=Ns, d=ds, truncation=tr)


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
    from frg import by_grid_degree

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
            # the index of the frg.RESULTS member (0: successful)
            "status": jnp.asarray(ex.result._value, jnp.int32),
        }

    task = (
        f"regulator={args.regulator};truncation={args.truncation};order={args.order};"
        f"M={getattr(tr, 'M', None)};" + ";".join(f"{k}={v!r}" for k, v in sorted(fixed.items()))
    )
    return fn, task


class _CompileTimer:
    """Seconds spent tracing, lowering and compiling, or loading a compiled program from
    the persistent cache (JAX's monitoring events), while active: the union of the event
    intervals, so nested traces count once."""

    def __enter__(self):
        import jax

        self.intervals = []

        def listener(event, secs, **kwargs):
            # a persistent-cache hit reports the time it saved (not spent): left out
            if event.startswith("/jax/core/compile") or event.endswith("cache_retrieval_time_sec"):
                now = time.perf_counter()
                self.intervals.append((now - secs, now))

        self._listener = listener
        jax.monitoring.register_event_duration_secs_listener(listener)
        return self

    def __exit__(self, *exc):
        import jax

        jax.monitoring.unregister_event_duration_listener(self._listener)

    @property
    def seconds(self) -> float:
        total, end = 0.0, -np.inf
        for a, b in sorted(self.intervals):
            if b > end:
                total += b - max(a, end)
                end = b
        return total


def _run(args) -> dict:
    import frg

    tr = _truncation(args, args.d)
    pms_search = args.truncation in ("de2", "de4") and args.a is None
    reg = None if pms_search else _regulator(args)
    how = ""
    if pms_search:
        brent = tr.pms_method == "brent"
        how = ", PMS in a for nu" + (": Brent's method, about 15 solves" if brent else "")
    progress(f"compiling and solving ({args.truncation}, {args.regulator}{how})")
    t0 = time.perf_counter()
    with _CompileTimer() as timer:
        if pms_search:
            lo, hi = _PMS_BRACKET.get(args.regulator, (None, None))
            if lo is None:
                raise ValueError(
                    f"--truncation {args.truncation} without --a: PMS is defined for "
                    f"{sorted(_PMS_BRACKET)}"
                )
            res = frg.pms(
                lambda a: _regulator(args, a),
                lo,
                hi,
                which="nu",
                N=args.N,
                d=args.d,
                truncation=tr,
            )
            ex, a = res.exponents, float(res.a)
            result = res.result
        else:
            ex = frg.critical_exponents(reg, N=args.N, d=args.d, truncation=tr)
            a, result = args.a, ex.result
        ex = jax.block_until_ready(ex)
        orders = _orders(args, a, ex) if args.truncation == "de4" else None
    total = time.perf_counter() - t0
    ok = bool(result == frg.RESULTS.successful)
    fp = ex.fixed_point
    theta = np.asarray(ex.theta)
    out = {
        "status": "success" if ok else frg.result_message(result),
        "N": args.N,
        "d": args.d,
        "regulator": args.regulator,
        "a": a,
        "pms": pms_search,
        "truncation": args.truncation,
        "M": getattr(tr, "M", getattr(tr, "grid", None)),  # grid degree
        "nu": float(ex.nu),
        "omega": float(ex.omega),
        "eta": float(ex.eta),
        "theta": [float(t) for t in theta.real],
        "theta_imag": [float(t) for t in theta.imag],
        "compile_seconds": timer.seconds,
        "solve_seconds": max(total - timer.seconds, 0.0),
        "fixed_point": {
            "kind": "wilson-fisher" if ok else frg.result_name(fp.result),
            "kappa": float(fp.kappa),
            "n_relevant": int(fp.n_relevant),
            "nodes": int(fp.nodes),
            "residual": float(fp.residual),
            "newton_iterations": int(fp.iterations),
        },
    }
    if orders is not None:
        out.update(orders)
    reg = _regulator(args, a)
    rho = np.linspace(0.0, 3.0 * float(fp.kappa) if float(fp.kappa) > 0 else 1.0, 7)
    u = np.asarray(tr.potential(fp.params, reg, args.N, args.d, rho))
    out["fixed_point"]["rho"] = rho.tolist()
    out["fixed_point"]["u"] = u.tolist()
    rr = np.linspace(0.0, float(rho[-1]), 200)
    ur = np.asarray(tr.potential(fp.params, reg, args.N, args.d, rr))
    save(
        args,
        "fixed-point",
        out,
        {
            "params": np.asarray(fp.params),
            "rho": rr,
            "u": ur,
            "theta": theta,
            "vectors": np.asarray(ex.vectors),
        },
    )

    def draw(path):
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(5, 3.5))
        ax.plot(rr, ur)
        ax.axhline(0, color="k", lw=0.5)
        ax.set_xlabel(r"$\tilde\rho$ (dimensionless)")
        ax.set_ylabel(r"$u^*(\tilde\rho) = \partial_{\tilde\rho} \tilde U^*$")
        ax.set_title(f"N={args.N:g}, d={args.d:g}: nu={float(ex.nu):.6f}")
        fig.tight_layout()
        fig.savefig(path, dpi=120)
        plt.close(fig)

    write_figure(out, args.plot, draw)
    return out


#: Conformal-bootstrap values of the 3-d Ising exponents (Kos, Poland, Simmons-Duffin,
#: Vichi, JHEP 08 (2016) 036; ω = Δ_ε' − 3: D. Simmons-Duffin, JHEP 03 (2017) 086).
BOOTSTRAP_ISING_3D = {"nu": 0.629971, "eta": 0.0362978, "omega": 0.82968}


def _orders(args, a, ex4) -> dict:
    """The derivative-expansion sequence at the same regulator: LPA (frg.DE2 with z
    frozen would differ from frg.LPA only by the grid; frg.LPA on its default grid is
    used), O(∂²) (frg.DE2) and O(∂⁴), and the error bar of Balog, Chaté, Delamotte,
    Marohnic, Wschebor, PRL 123, 240604 (2019): half the change between the last two
    orders."""
    import frg

    reg = _regulator(args, a)
    progress("the lower orders at the same regulator (LPA, O(d^2))")
    seq = {"de4": ex4}
    for name, tr in (("lpa", frg.with_grid_degree(frg.LPA(), args.d)), ("de2", frg.DE2())):
        seq[name] = frg.critical_exponents(reg, N=args.N, d=args.d, truncation=tr)
    keys = ("nu", "eta", "omega")
    out = {
        "orders": {
            name: {k: float(getattr(seq[name], k)) for k in keys}
            | {"status": frg.result_message(seq[name].result)}
            for name in ("lpa", "de2", "de4")
        },
        "error_bar": {
            k: 0.5 * abs(float(getattr(ex4, k)) - float(getattr(seq["de2"], k))) for k in keys
        },
    }
    if args.N == 1.0 and args.d == 3.0:
        out["bootstrap"] = dict(BOOTSTRAP_ISING_3D)
    return out


#: PMS brackets in the regulator prefactor a for ``--truncation de2`` without ``--a``
_PMS_BRACKET = {"exponential": (0.5, 4.0), "wetterich": (1.0, 4.0)}
