"""``frg mehta-schwab``: DBN (stacked binary RBMs) on 2D Ising samples; block size per layer.

Full size (Mehta & Schwab): ``--L 40 --hidden 400,100,25 --samples 20000 --epochs 200``.
"""

from __future__ import annotations

import numpy as np

from ._common import add_command, progress


def _ints(s):
    return [int(x) for x in s.split(",") if x]


def run(args):
    from .._ml import dbn_rg as M, ising as I

    T = args.T if args.T is not None else 1.0 / args.J
    hidden = _ints(args.hidden)
    progress(f"sampling + training DBN L={args.L} T={T:.4f} hidden={hidden}")
    if args.conv:
        res = M.cdbn_experiment(
            args.L,
            T,
            hidden,
            args.filter_size,
            n_samples=args.samples,
            epochs=args.epochs,
            lr=args.lr,
            l1=args.l1,
            k=args.k,
            seed=args.seed,
        )
    else:
        res = M.mehta_schwab(
            args.L,
            T,
            hidden,
            n_samples=args.samples,
            epochs=args.epochs,
            lr=args.lr,
            l1=args.l1,
            k=args.k,
            persistent=args.pcd,
            seed=args.seed,
        )
    out = {
        "status": "success",
        "model": "cdbn" if args.conv else "dbn",
        "L": args.L,
        "T": T,
        "T_over_Tc": T / I.T_C,
        "hidden": hidden,
        "block_size_per_layer": res.block_size_per_layer,
        "block_size_definition": "mean over hidden units of r_0.8, the radius around the "
        "|w|-weighted periodic centre holding 80% of the receptive field's |weight| mass",
        "block_size_active_per_layer": res.block_size_active,
        "active_fraction_per_layer": res.active_fraction,
        "mean_abs_weight_per_layer": res.mean_abs_weight,
        "block_size_grows_with_depth": bool(np.all(np.diff(res.block_size_per_layer) > 0)),
        "uniform_field_radius": res.uniform_radius,
        "layer_summaries": res.summaries,
        "reconstruction_error": res.reconstruction_error,
        "correlation_length": res.xi,
    }
    if args.plot:
        from ._mlrg_plot import figure, save

        nl = len(res.fields)
        fig, ax = figure(2, nl + 1, figsize=(3 * (nl + 1), 6), squeeze=False)
        for l, (f, r) in enumerate(zip(res.fields, res.radii, strict=True)):
            j = int(np.argmin(np.abs(r - np.median(r))))
            ax[0, l].imshow(f[j], cmap="RdBu")
            ax[0, l].set_title(f"layer {l + 1}: unit {j}, r80={r[j]:.2f}")
            ax[1, l].hist(r, bins=15)
            ax[1, l].axvline(res.uniform_radius, color="k", ls="--")
            ax[1, l].set_xlabel("r_0.8")
        ax[0, nl].plot(range(1, nl + 1), res.block_size_per_layer, "o-")
        ax[0, nl].axhline(res.uniform_radius, color="k", ls="--", label="flat field")
        ax[0, nl].set(xlabel="layer", ylabel="block size ⟨r_0.8⟩")
        ax[0, nl].legend()
        ax[1, nl].axis("off")
        save(fig, args.plot)
        out["plot"] = args.plot
    return out


def register(subparsers):
    p = add_command(
        subparsers,
        "mehta-schwab",
        run,
        "Mehta-Schwab DBN on 2D Ising: receptive fields and block size per layer",
    )
    p.add_argument("--L", type=int, default=20, help="lattice side (paper: 40)")
    p.add_argument("--J", type=float, default=0.408, help="coupling; T = 1/J (paper: 0.408)")
    p.add_argument("--T", type=float, default=None, help="temperature (overrides --J)")
    p.add_argument("--hidden", default="100,25,6", help="layer widths (paper: 400,100,25)")
    p.add_argument("--samples", type=int, default=2000, help="training samples (paper: 20000)")
    p.add_argument("--epochs", type=int, default=40)
    p.add_argument("--lr", type=float, default=1e-2, help="Adam learning rate")
    p.add_argument("--l1", type=float, default=1e-2, help="L1 penalty on W")
    p.add_argument("--k", type=int, default=1, help="CD-k steps")
    p.add_argument("--pcd", action="store_true", help="persistent CD")
    p.add_argument("--conv", action="store_true", help="convolutional DBN (no pooling)")
    p.add_argument("--filter-size", type=int, default=5, help="conv filter size (odd)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--plot", metavar="PATH", default=None, help="save a figure to PATH")
