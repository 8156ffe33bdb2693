"""``frg learn-action``: learn the bare couplings of lattice φ⁴ from field samples.

The samples come from a file (``--samples FILE.npz``) or from hybrid Monte Carlo at given
couplings (``--m2 --lam --n-samples``, which the fit then forgets). The histogram of the
mean field M gives −ln P(M)/L^d; the couplings are fitted through the L-layer CDBN cascade
for each ``--layers`` L and through the continuum cascade, side by side.
"""

from __future__ import annotations

import time

from ._common import add_command, progress, save, write_figure


def _layers(text: str) -> list[int]:
    try:
        out = [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        out = []
    if not out or min(out) < 1:
        raise ValueError(f"--layers must be a comma-separated list of integers >= 1; got {text!r}")
    return out


def _load_samples(path: str, d: int, size: int):
    import numpy as np

    with np.load(path, allow_pickle=False) as f:
        if "samples" not in f:
            raise ValueError(f"--samples: {path} has no array named 'samples' (got {list(f)})")
        x = np.asarray(f["samples"], dtype=float)
        chains = int(f["chains"]) if "chains" in f else 1
    if x.shape[1:] != (size,) * d:
        raise ValueError(
            f"--samples: expected shape (N, {', '.join([str(size)] * d)}) for --d {d} "
            f"--lattice {size}; got {x.shape}"
        )
    return x, chains


def run(args) -> dict:
    import numpy as np

    import frg

    layers = _layers(args.layers)
    d, size = args.d, args.lattice
    frg.lattice_momenta(d, size)  # validates d and the lattice before any work
    reg = frg.make_regulator(args.regulator)
    out: dict = {"d": d, "lattice": size, "regulator": args.regulator}
    t0 = time.perf_counter()
    if args.samples:
        x, chains = _load_samples(args.samples, d, size)
        out["samples_file"] = args.samples
    else:
        if args.m2 is None or args.lam is None:
            raise ValueError("give --samples FILE.npz, or --m2 and --lam (and --n-samples)")
        progress(f"sampling d={d} lattice={size} m2={args.m2} lam={args.lam} (HMC)")
        x, chains, acc = frg.phi4_samples(
            d, size, args.m2, args.lam, args.n_samples, chains=args.chains, seed=args.seed
        )
        out["true"] = {"m2": args.m2, "lam": args.lam}
        out["acceptance"] = acc
    hist = frg.mean_field_histogram(x, bins=args.bins, chains=chains)
    out["n_samples"] = int(x.shape[0])
    out["tau_int"] = float(hist.tau_int)
    tree, tree_err = frg.tree_level_fit(hist, 3 if args.fit_g6 else 2)
    names = frg.COUPLINGS[: 3 if args.fit_g6 else 2]
    out["tree_level"] = dict(zip(names, tree.tolist(), strict=True))
    fits = []
    for L in [*layers, None]:
        progress(f"fitting through the {'continuum' if L is None else f'{L}-layer'} cascade")
        fits.append(frg.fit_action(hist, d, size, layers=L, fit_g6=args.fit_g6, regulator=reg))
    best = fits[-2]  # the largest L requested
    out.update(best.to_dict())
    out["continuum"] = fits[-1].to_dict()
    out["by_layers"] = [f.to_dict() for f in fits[:-1]]
    bad = [f.to_dict()["result"] for f in fits if f.to_dict()["result"] != "successful"]
    out["status"] = "success" if not bad else "warning"
    out["seconds"] = time.perf_counter() - t0
    centres = 0.5 * (np.asarray(hist.edges[1:]) + np.asarray(hist.edges[:-1]))
    arrays = {
        "bin_edges": np.asarray(hist.edges),
        "counts": np.asarray(hist.counts),
        "y": np.asarray(hist.y),
        "sigma": np.asarray(hist.sigma),
        "phi": np.asarray(best.phi),
        "U_layers": np.asarray(best.U),
        "U_continuum": np.asarray(fits[-1].U),
        "samples": np.asarray(x),
    }
    save(args, "learn-action", out, arrays)

    def draw(path):
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        used = np.asarray(hist.used)
        fig, ax = plt.subplots(figsize=(6.4, 4.4))
        ax.errorbar(
            centres[used], np.asarray(hist.y)[used], yerr=np.asarray(hist.sigma)[used],
            fmt="o", ms=3, color="k", label="samples: −ln P(M)/L^d",
        )  # fmt: skip
        lo, hi = centres[used].min(), centres[used].max()
        for f, style in ((best, "-"), (fits[-1], "--")):
            sel = (np.asarray(f.phi) >= lo - 0.05) & (np.asarray(f.phi) <= hi + 0.05)
            lab = "continuum" if f.layers is None else f"L = {f.layers}"
            txt = ", ".join(f"{n} = {v:.3g}" for n, v in f.to_dict()["fitted"].items())
            ax.plot(np.asarray(f.phi)[sel], np.asarray(f.U)[sel], style, label=f"{lab}: {txt}")
        ax.set_xlabel("mean field M (lattice units)")
        ax.set_ylabel("−ln P(M)/L^d and fitted U_eff(M) (dimensionless)")
        ax.set_title(f"learned bare action, d = {d}, {size}^{d} lattice")
        ax.legend(fontsize=8, loc="upper center")
        fig.tight_layout()
        fig.savefig(path, dpi=110)
        plt.close(fig)

    write_figure(out, args.plot, draw)
    return out


def register(subparsers) -> None:
    p = add_command(
        subparsers,
        "learn-action",
        run,
        "learn the bare couplings (m2, lam[, g6]) of lattice φ⁴ from field samples through "
        "the CDBN cascade",
        out=True,
    )
    p.add_argument("--d", type=int, default=2, help="dimension 1..3 (default 2)")
    p.add_argument("--lattice", type=int, default=8, help="lattice extent L (default 8)")
    p.add_argument("--samples", default=None, help="FILE.npz with 'samples' (N, L, ..., L)")
    p.add_argument("--m2", type=float, default=None, help="sample at V = m2/2 φ² + lam/4! φ⁴")
    p.add_argument("--lam", type=float, default=None)
    p.add_argument("--n-samples", dest="n_samples", type=int, default=16000)
    p.add_argument("--chains", type=int, default=16, help="HMC chains (default 16)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--layers", default="8,32", help="CDBN layer counts (default 8,32)")
    p.add_argument("--fit-g6", dest="fit_g6", action="store_true", help="fit g6 as well")
    p.add_argument("--bins", type=int, default=30, help="histogram bins (default 30)")
    p.add_argument("--regulator", default="litim", help="litim | exponential | power | ...")
    p.add_argument("--plot", default=None, help="write −ln P(M)/L^d vs fitted U_eff to PATH")
