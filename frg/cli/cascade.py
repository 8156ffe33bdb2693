"""``frg cascade``: the lattice LPA cascade vs its finite-layer CDBNs (one RBM per shell)."""

from __future__ import annotations

import time

from ._common import add_command, progress


def _layers(text: str) -> list[int]:
    try:
        return [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise ValueError(
            f"--layers must be a comma-separated list of integers >= 1; got {text!r}"
        ) from None


def run(args) -> dict:
    import jax.numpy as jnp

    import frg
    from frg.cascade_compare import compare_cascade, plot_cascade

    layers = _layers(args.layers)
    m2, lam, g6 = args.m2, args.lam, args.g6
    V = lambda x: 0.5 * m2 * x**2 + lam / 24.0 * x**4 + g6 / 720.0 * x**6
    reg = frg.make_regulator(args.regulator)
    progress(f"cascade d={args.d} lattice={args.lattice} layers={layers} ({args.layer_type})")
    t0 = time.perf_counter()
    cmp = compare_cascade(
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
    if args.plot:
        out["plot"] = plot_cascade(cmp, args.plot, reg, args.d, args.lattice)
        progress(f"figure written to {args.plot}")
    return out


def register(subparsers) -> None:
    p = add_command(
        subparsers,
        "cascade",
        run,
        "compare the lattice LPA cascade with L-layer convolutional DBNs (RBM per RG shell)",
    )
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
