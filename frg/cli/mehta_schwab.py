"""``frg mehta-schwab``: DBN (stacked binary RBMs) on 2D Ising samples; block size per layer.

Full size (Mehta & Schwab): ``--L 40 --hidden 400,100,25 --samples 20000 --epochs 200``.
"""

from __future__ import annotations

import numpy as np

from ._common import add_command, progress, progress_bar, save, write_figure


def _ints(s, name):
    try:
        vals = [int(x) for x in s.split(",") if x.strip()]
    except ValueError as exc:
        raise ValueError(f"{name} must be comma-separated positive integers; got {s!r}") from exc
    if not vals or min(vals) < 1:
        raise ValueError(f"{name} must be comma-separated positive integers; got {s!r}")
    return vals


def _draw(res, path):
    from ._mlrg_plot import figure, save as save_fig

    nl = len(res.fields)
    fig, ax = figure(2, nl + 1, figsize=(3.2 * (nl + 1), 6), squeeze=False)
    for l, (f, r) in enumerate(zip(res.fields, res.radii, strict=True)):
        j = int(np.argmin(np.abs(r - np.median(r))))
        vmax = float(np.abs(f[j]).max()) or 1.0
        im = ax[0, l].imshow(f[j], cmap="RdBu_r", vmin=-vmax, vmax=vmax)
        fig.colorbar(im, ax=ax[0, l], shrink=0.8, label="weight (dimensionless)")
        ax[0, l].set_title(f"layer {l + 1}: unit {j}, r80={r[j]:.2f}", fontsize=9)
        ax[1, l].hist(r, bins=15, range=(0.0, max(float(np.max(r)), res.uniform_radius) * 1.05))
        ax[1, l].axvline(res.uniform_radius, color="k", ls="--", label="flat field")
        ax[1, l].set(xlabel="r_0.8 (lattice spacings)", ylabel="units")
        ax[1, l].legend(fontsize=7, loc="upper left")
    ax[0, nl].plot(range(1, nl + 1), res.block_size_per_layer, "o-", label="all units")
    ax[0, nl].plot(range(1, nl + 1), res.block_size_active, "s--", label="active units")
    ax[0, nl].axhline(res.uniform_radius, color="k", ls=":", label="flat field")
    ax[0, nl].set(xlabel="layer", ylabel="block size ⟨r_0.8⟩ (lattice spacings)")
    ax[0, nl].legend(fontsize=7, loc="lower right")
    ax[1, nl].axis("off")
    save_fig(fig, path)


def run(args):
    import frg

    T = args.T if args.T is not None else 1.0 / args.J
    hidden = _ints(args.hidden, "--hidden")
    if args.conv and args.filter_size % 2 == 0:
        raise ValueError(f"--filter-size must be an odd integer; got {args.filter_size}")
    progress(
        f"sampling + training {'CDBN' if args.conv else 'DBN'} L={args.L} T={T:.4f} hidden={hidden}"
    )
    bar = progress_bar(args, total=args.epochs * len(hidden), desc="training", unit="epoch")

    def on_epoch(layer, epoch, err):
        bar.set_postfix(layer=layer + 1, recon=f"{err:.4f}")
        bar.update(1)

    with bar:
        if args.conv:
            res = frg.cdbn_experiment(
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
                on_epoch=on_epoch,
            )
        else:
            res = frg.mehta_schwab(
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
                on_epoch=on_epoch,
            )
    out = {
        "status": "success",
        "model": "cdbn" if args.conv else "dbn",
        "L": args.L,
        "T": T,
        "T_over_Tc": T / frg.T_C,
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
    arrays = {}
    for l, p in enumerate(res.params):
        arrays[f"W{l + 1}"] = np.asarray(p.W)
        arrays[f"a{l + 1}"] = np.asarray(p.a)
        arrays[f"b{l + 1}"] = np.asarray(p.b)
        arrays[f"fields{l + 1}"] = np.asarray(res.fields[l])
        arrays[f"radii{l + 1}"] = np.asarray(res.radii[l])
    save(args, out["model"], out, arrays)
    write_figure(out, args.plot, lambda path: _draw(res, path))
    return out


def register(subparsers):
    p = add_command(
        subparsers,
        "mehta-schwab",
        run,
        "Mehta-Schwab DBN on 2D Ising: receptive fields and block size per layer",
        out=True,
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
