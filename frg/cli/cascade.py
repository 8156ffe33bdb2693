"""``frg cascade``: the lattice LPA cascade vs its finite-layer CDBNs (one RBM per shell)."""

from __future__ import annotations

import time

from ._common import add_command, progress, save, write_figure


def _layers(text: str) -> list[int]:
    try:
        return [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise ValueError(
            f"--layers must be a comma-separated list of integers >= 1; got {text!r}"
        ) from None


# Outputs of one point reported by ``frg sweep cascade``.
SWEEP_OUTPUTS = (
    "sup_error",
    "phi_min",
    "mass2",
    "continuum_phi_min",
    "continuum_mass2",
    "status",
    "cdbn_status",
    "continuum_status",
)
_SWEEPABLE = ("m2", "lam", "g6")


def _bare(m2, lam, g6):
    return lambda x: 0.5 * m2 * x**2 + lam / 24.0 * x**4 + g6 / 720.0 * x**6


def sweep_function(args, swept):
    """``fn(params) -> {sup_error, phi_min, mass2, ...}`` at one layer count L.

    Sweeps the couplings of V (``m2``, ``lam``, ``g6``); ``--layers`` must be a single
    L. ``status`` is 0 when both the L-layer CDBN and the lattice LPA succeeded.
    """
    import jax.numpy as jnp
    import numpy as np

    import frg

    for name in swept:
        if name not in _SWEEPABLE:
            raise ValueError(f"--param {name}: sweepable options of cascade are {list(_SWEEPABLE)}")
    layers = _layers(args.layers)
    if len(layers) != 1:
        raise ValueError(f"frg sweep cascade needs one layer count in --layers; got {layers}")
    reg = frg.make_regulator(args.regulator)
    d, size = args.d, args.lattice
    momenta = frg.lattice_momenta(d, size)  # validates d and the lattice
    Lambda, k_ir, phi_err = frg.cascade_scales(
        d, args.Lambda, args.k_ir, args.phi_err, args.phi_max
    )
    ks = frg.scale_schedule(Lambda, k_ir, layers[0])
    L = len(ks) - 1
    fixed = {k: getattr(args, k) for k in _SWEEPABLE if k not in swept}

    def fn(params):
        val_ = {**fixed, **params}
        V = _bare(val_["m2"], val_["lam"], val_["g6"])
        grid = frg.background_grid(V, args.phi_max, args.n_phi)
        cont = frg.lattice_lpa(
            V, reg, d, size, Lambda, k_ir, grid=grid, momenta=momenta, throw=False
        )
        r = frg.cdbn_potential(
            V, reg, d, size, ks, layer_type=args.layer_type, grid=grid, momenta=momenta,
            throw=False,
        )  # fmt: skip
        window = jnp.abs(grid.phi) <= phi_err + 1e-12
        m, c = frg.cascade_readout(grid, r.U, phi_err)
        cm, cc = frg.cascade_readout(grid, cont.U, phi_err)
        s_cdbn = jnp.where(r.result == frg.RESULTS.successful, 0, 1).astype(jnp.int32)
        s_cont = jnp.where(cont.result == frg.RESULTS.successful, 0, 1).astype(jnp.int32)
        return {
            "sup_error": jnp.max(jnp.where(window, jnp.abs(r.U - cont.U), 0.0)),
            "phi_min": m,
            "mass2": c,
            "continuum_phi_min": cm,
            "continuum_mass2": cc,
            "status": jnp.where((s_cdbn == 0) & (s_cont == 0), 0, 1).astype(jnp.int32),
            "cdbn_status": s_cdbn,
            "continuum_status": s_cont,
        }

    task = (
        f"regulator={args.regulator};d={d};lattice={size};L={L};type={args.layer_type};"
        f"Lambda={Lambda!r};k_ir={k_ir!r};phi_max={args.phi_max!r};n_phi={args.n_phi};"
        f"phi_err={phi_err!r};"
        + ";".join(f"{k}={np.float64(v)!r}" for k, v in sorted(fixed.items()))
    )
    return fn, task


def run(args) -> dict:
    import jax.numpy as jnp
    import numpy as np

    import frg

    layers = _layers(args.layers)
    V = _bare(args.m2, args.lam, args.g6)
    reg = frg.make_regulator(args.regulator)
    progress(f"cascade d={args.d} lattice={args.lattice} layers={layers} ({args.layer_type})")
    t0 = time.perf_counter()
    cmp = frg.compare_cascade(
        V,
        reg,
        args.d,
        args.lattice,
        layers,
        Lambda=args.Lambda,
        k_ir=args.k_ir,
        layer_type=args.layer_type,
        phi_max=args.phi_max,
        n_phi=args.n_phi,
        phi_err=args.phi_err,
    )
    jnp.asarray(cmp.sup_error).block_until_ready()
    out = cmp.to_dict()
    out["regulator"] = args.regulator
    out["Lambda"] = float(cmp.results[0].ks[0])
    out["k_ir"] = float(cmp.results[0].ks[-1])
    out["seconds"] = time.perf_counter() - t0
    arrays = {
        "phi": np.asarray(cmp.phi),
        "U_continuum": np.asarray(cmp.continuum.U),
        "U_layers": np.asarray(cmp.U_layers),
        "layers": np.asarray(cmp.layers),
    }
    save(args, "cascade", out, arrays)
    write_figure(out, args.plot, lambda p: frg.plot_cascade(cmp, p, reg, args.d, args.lattice))
    return out


def register(subparsers) -> None:
    p = add_command(
        subparsers,
        "cascade",
        run,
        "compare the lattice LPA cascade with L-layer convolutional DBNs (RBM per RG shell)",
        out=True,
    )
    add_arguments(p)


def add_arguments(p) -> None:
    """The options of ``frg cascade`` (shared with ``frg sweep cascade``)."""
    p.add_argument("--d", type=int, default=2, help="dimension 1..3 (default 2)")
    p.add_argument("--lattice", type=int, default=32, help="lattice extent L >= 2 (default 32)")
    p.add_argument("--m2", type=float, default=0.5, help="V = m2/2 φ² + lam/4! φ⁴ + g6/6! φ⁶")
    p.add_argument("--lam", type=float, default=3.0)
    p.add_argument("--g6", type=float, default=0.0)
    p.add_argument("--layers", default="1,2,4,8", help="comma-separated layer counts")
    p.add_argument(
        "--layer-type",
        default="self-consistent",
        choices=["self-consistent", "explicit"],
        help="curvature inside a layer (default self-consistent)",
    )
    p.add_argument("--regulator", default="litim", help="litim | exponential | mass | power")
    p.add_argument("--Lambda", type=float, default=None, help="UV scale (default sqrt(4d+1))")
    p.add_argument("--k-ir", dest="k_ir", type=float, default=None, help="IR scale (1e-3 Λ)")
    p.add_argument("--phi-max", dest="phi_max", type=float, default=3.0)
    p.add_argument("--n-phi", dest="n_phi", type=int, default=61)
    p.add_argument("--phi-err", dest="phi_err", type=float, default=2.5)
    p.add_argument("--plot", default=None, help="write the comparison figure to PATH")
