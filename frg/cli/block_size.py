"""``frg block-size``: learned DBN block size vs temperature next to ξ(T) (the essay's question)."""

from __future__ import annotations

import numpy as np

from ._common import add_command, progress


def run(args):
    from .. import _validate as V
    from .._ml import dbn_rg as M, ising as I

    ratios = [float(x) for x in args.ratios.split(",") if x]
    V.in_range("ratios", ratios, 0.0, 100.0, low_open=True)
    hidden = [int(x) for x in args.hidden.split(",") if x]
    out = {"T_over_Tc": ratios, "xi": [], "block_size_per_layer": [], "reconstruction_error": []}
    for r in ratios:
        progress(f"T/T_c = {r}: sampling, training {hidden}")
        res = M.mehta_schwab(
            args.L,
            r * I.T_C,
            hidden,
            n_samples=args.samples,
            epochs=args.epochs,
            lr=args.lr,
            l1=args.l1,
            seed=args.seed,
        )
        out["xi"].append(res.xi)
        out["block_size_per_layer"].append(res.block_size_per_layer)
        out.setdefault("block_size_active_per_layer", []).append(res.block_size_active)
        out.setdefault("active_fraction_per_layer", []).append(res.active_fraction)
        out.setdefault("mean_abs_weight_per_layer", []).append(res.mean_abs_weight)
        out["reconstruction_error"].append(res.reconstruction_error)
        out["uniform_field_radius"] = res.uniform_radius
        progress(
            f"  xi={res.xi:.3f} block sizes={np.round(res.block_size_per_layer, 3)} "
            f"active={np.round(res.block_size_active, 3)} |W|={np.round(res.mean_abs_weight, 4)}"
        )
    xi = np.asarray(out["xi"], float)
    b1 = np.asarray([b[0] for b in out["block_size_per_layer"]])
    ok = np.isfinite(xi)
    out["pearson_block1_vs_xi"] = float(np.corrcoef(b1[ok], xi[ok])[0, 1]) if ok.sum() > 2 else None
    ba = np.asarray([b[0] for b in out["block_size_active_per_layer"]])
    out["pearson_block1_active_vs_xi"] = (
        float(np.corrcoef(ba[ok], xi[ok])[0, 1]) if ok.sum() > 2 else None
    )
    out["status"] = "success"
    out["L"] = args.L
    out["hidden"] = hidden
    if args.plot:
        from ._mlrg_plot import figure, save

        fig, ax = figure(figsize=(6, 4))
        B = np.asarray(out["block_size_per_layer"])
        for l in range(B.shape[1]):
            ax.plot(ratios, B[:, l], "o-", label=f"block size, layer {l + 1}")
        ax.axhline(res.uniform_radius, color="gray", ls=":", label="flat field")
        ax2 = ax.twinx()
        ax2.plot(ratios, xi, "ks--", label="ξ (second moment)")
        ax.set(xlabel="T/T_c", ylabel="⟨r_0.8⟩")
        ax2.set_ylabel("ξ")
        ax.legend(loc="upper left", fontsize=8)
        ax2.legend(loc="upper right", fontsize=8)
        save(fig, args.plot)
        out["plot"] = args.plot
    return out


def register(subparsers):
    p = add_command(
        subparsers, "block-size", run, "DBN block size vs T next to the correlation length"
    )
    p.add_argument("--ratios", default="0.9,1.0,1.1,1.3,1.6,2.0", help="T/T_c values")
    p.add_argument("--L", type=int, default=16)
    p.add_argument("--hidden", default="64,16")
    p.add_argument("--samples", type=int, default=1000)
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--lr", type=float, default=1e-2)
    p.add_argument("--l1", type=float, default=1e-2)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--plot", metavar="PATH", default=None, help="save a figure to PATH")
