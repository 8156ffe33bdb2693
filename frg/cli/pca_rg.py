"""``frg pca-rg``: Bradde–Bialek PCA coarse-graining on Gaussian, Ising and lattice φ⁴ data."""

from __future__ import annotations

import numpy as np

from ._common import add_command, progress, save, write_figure


def run(args):
    import frg

    L = args.L
    fr = np.unique(np.geomspace(1.0, 2.0 / (L * L), 14))[::-1]
    data = {}
    progress("Gaussian control")
    data["gaussian"] = frg.gaussian_field(L, args.samples, m2=0.1, seed=args.seed)
    ratios = [float(x) for x in args.ratios.split(",") if x.strip()]
    if not ratios:
        raise ValueError(f"--ratios must contain at least one T/T_c value; got {args.ratios!r}")
    for r in ratios:
        progress(f"Ising T/T_c = {r}")
        data[f"ising_T{r:g}Tc"] = frg.sample_configs(L, r * frg.T_C, args.samples, seed=args.seed)
    progress(f"phi4 HMC m2={args.m2} lam={args.lam}")
    ph = frg.phi4_hmc(
        L,
        args.m2,
        args.lam,
        chains=32,
        n_traj=max(2 * args.samples // 32, 2),
        save_every=2,
        seed=args.seed,
    )
    data[f"phi4_m2{args.m2:g}_lam{args.lam:g}"] = ph.configs
    out = {"status": "success", "L": L, "fraction_kept": fr, "kurtosis": {}, "fourier": {}}
    for name, X in data.items():
        flow = frg.pca_rg_flow(X, fr)
        out["kurtosis"][name] = flow.kurtosis
        _, Q = frg.pca_modes(X)
        conc = frg.fourier_concentration(Q[:, : max(L, 8)], (L, L))
        out["fourier"][name] = float(np.mean(conc))
    out["fourier_definition"] = (
        "mean over the top max(L,8) PCs of the fraction of Fourier power in one p̂² shell"
    )
    out["phi4_acceptance"] = ph.acceptance
    save(
        args,
        "pca-rg",
        out,
        {
            "fraction_kept": fr,
            **{f"kurtosis_{k}": np.asarray(v) for k, v in out["kurtosis"].items()},
        },
    )

    def draw(path):
        from ._mlrg_plot import figure, save as save_fig

        fig, ax = figure(figsize=(6, 4))
        for name, k in out["kurtosis"].items():
            ax.semilogx(fr, k, "o-", label=name)
        ax.axhline(3.0, color="k", ls=":", label="Gaussian (3)")
        ax.set(xlabel="fraction of modes kept", ylabel="⟨φ⁴⟩/⟨φ²⟩² (dimensionless)")
        ax.invert_xaxis()
        ax.legend(fontsize=7, loc="best")
        save_fig(fig, path)

    write_figure(out, args.plot, draw)
    return out


def register(subparsers):
    p = add_command(
        subparsers, "pca-rg", run, "PCA meets RG: fourth moment vs modes kept", out=True
    )
    p.add_argument("--L", type=int, default=16)
    p.add_argument("--samples", type=int, default=2000)
    p.add_argument("--ratios", default="1.0,1.5,3.0", help="Ising T/T_c values")
    p.add_argument("--m2", type=float, default=-0.5, help="φ⁴ mass² (V = m2/2 φ² + lam/4! φ⁴)")
    p.add_argument("--lam", type=float, default=2.4, help="φ⁴ quartic coupling")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--plot", metavar="PATH", default=None, help="save a figure to PATH")
