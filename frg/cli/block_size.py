"""``frg block-size``: learned DBN block size vs temperature next to ξ(T), over several seeds."""

from __future__ import annotations

import numpy as np

from ._common import add_command, progress, progress_bar, save, write_figure


def _list(s, name, kind):
    try:
        vals = [kind(x) for x in s.split(",") if x.strip()]
    except ValueError as exc:
        raise ValueError(f"{name} must be a comma-separated list; got {s!r}") from exc
    if not vals:
        raise ValueError(f"{name} must contain at least one value; got {s!r}")
    return vals


def _draw(out, path):
    from ._mlrg_plot import figure, save as save_fig

    r = np.asarray(out["T_over_Tc"])
    B = np.asarray(out["block_size_per_layer"], float)
    dB = np.asarray(out["block_size_err_per_layer"], float)
    fig, (ax, ax2) = figure(1, 2, figsize=(10, 4))
    for l in range(B.shape[1]):
        ax.errorbar(r, B[:, l], yerr=dB[:, l], fmt="o-", capsize=3, label=f"layer {l + 1}")
    ax.axhline(out["uniform_radius"], color="gray", ls=":", label="flat field")
    ax.set(xlabel="T/T_c", ylabel="block size ⟨r_0.8⟩ (lattice spacings)")
    ax.set_title(f"L={out['L']}, {len(out['seeds'])} seeds (mean ± s.e.)", fontsize=9)
    ax.legend(fontsize=8, loc="best")
    ax2.errorbar(r, out["xi"], yerr=out["xi_err"], fmt="ks--", capsize=3)
    ax2.set(xlabel="T/T_c", ylabel="ξ, second moment (lattice spacings)", yscale="log")
    ax2.set_title(f"verdict: {out['verdict']}", fontsize=9)
    save_fig(fig, path)


def run(args):
    import frg

    ratios = _list(args.ratios, "--ratios", float)
    hidden = _list(args.hidden, "--hidden", int)
    seeds = list(range(args.seed, args.seed + args.seeds))
    if args.seeds < 1:
        raise ValueError(f"--seeds must be an integer >= 1; got {args.seeds}")
    progress(f"T/T_c = {ratios}, seeds {seeds}: sampling ({args.algorithm}), training {hidden}")
    bar = progress_bar(args, total=len(ratios) * len(seeds), desc="block size", unit="run")

    def on_run(r, sd, res):
        bar.set_postfix(T_over_Tc=r, seed=sd, xi=f"{res.xi:.3g}")
        bar.update(1)

    with bar:
        res = frg.block_size_vs_temperature(
            ratios,
            args.L,
            hidden,
            seeds=seeds,
            n_samples=args.samples,
            epochs=args.epochs,
            lr=args.lr,
            l1=args.l1,
            algorithm=args.algorithm,
            on_run=on_run,
        )
    table = []
    for i, r in enumerate(ratios):
        row = {"T/T_c": r, "xi": res["xi"][i], "xi_err": res["xi_err"][i]}
        for l in range(len(hidden)):
            row[f"block{l + 1}"] = res["block_size_per_layer"][i][l]
            row[f"block{l + 1}_err"] = res["block_size_err_per_layer"][i][l]
        row["flat"] = res["flat"][i]
        table.append(row)
    out = {
        "status": "success",
        "L": args.L,
        "hidden": hidden,
        "verdict": res["verdict"],
        "verdict_reason": res["verdict_reason"],
        "table": table,
        **res,
    }
    progress(f"verdict: {out['verdict']} ({out['verdict_reason']})")
    save(
        args,
        "block-size",
        out,
        {
            "T_over_Tc": np.asarray(ratios),
            "block_size_per_seed": np.asarray(res["block_size_per_seed"]),
            "xi_per_seed": np.asarray(res["xi_per_seed"], float),
        },
    )
    write_figure(out, args.plot, lambda path: _draw(out, path))
    return out


def register(subparsers):
    import frg

    p = add_command(
        subparsers,
        "block-size",
        run,
        "DBN block size vs T next to the correlation length (several seeds, verdict)",
        out=True,
    )
    p.add_argument("--ratios", default="0.9,1.0,1.1,1.3,1.6,2.0", help="T/T_c values")
    p.add_argument("--L", type=int, default=16)
    p.add_argument("--hidden", default="64,16")
    p.add_argument("--samples", type=int, default=1000)
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--lr", type=float, default=1e-2)
    p.add_argument("--l1", type=float, default=1e-2)
    p.add_argument("--seeds", type=int, default=3, help="independent runs per T (default 3)")
    p.add_argument("--seed", type=int, default=0, help="first seed")
    p.add_argument("--algorithm", choices=frg.SAMPLE_ALGORITHMS, default="sw", help="Ising sampler")
    p.add_argument("--plot", metavar="PATH", default=None, help="save a figure to PATH")
