"""``frg ising``: 2D Ising Monte Carlo (checkerboard or multi-spin-coded Metropolis, SW, Wolff)."""

from __future__ import annotations

import numpy as np

from ._common import add_command, progress, save, write_figure

ALGORITHMS = ("packed", "metropolis", "sw", "wolff")


def run(args):
    import frg

    progress(f"{args.algorithm} L={args.L} T={args.T} chains={args.chains} sweeps={args.sweeps}")
    fn = {
        "metropolis": frg.metropolis,
        "packed": lambda *a, **k: frg.metropolis(*a, algorithm="packed", **k),
        "sw": frg.swendsen_wang,
        "wolff": frg.wolff,
    }[args.algorithm]
    burn = args.burn_in if args.burn_in is not None else max(args.sweeps // 5, 10)
    r = fn(
        args.L,
        args.T,
        chains=args.chains,
        sweeps=args.sweeps,
        burn_in=burn,
        save_every=max(args.sweeps // 50, 1),
        seed=args.seed,
    )
    out = {
        "status": "success",
        "algorithm": args.algorithm,
        "L": args.L,
        "T": args.T,
        "T_over_Tc": args.T / frg.T_C,
        "chains": args.chains,
        "sweeps": args.sweeps,
        "energy_per_site": r.energy_per_site,
        "energy_per_site_err": r.energy_err,
        "magnetization_abs": r.magnetization_abs,
        "magnetization_abs_err": r.magnetization_abs_err,
        "m2": r.m2,
        "tau_int_energy": r.tau_energy,
        "tau_int_abs_m": r.tau_abs_m,
        "exact_energy_per_site_finite_L": frg.exact_energy(args.T, args.L),
        "onsager_energy_infinite_L": float(frg.onsager_energy(args.T)),
        "onsager_magnetization_infinite_L": float(frg.onsager_magnetization(args.T)),
        "correlation_length": frg.correlation_length(r.configs.reshape(-1, args.L, args.L)),
    }
    save(
        args,
        "ising",
        out,
        {"configs": r.configs, "energy": r.energy, "magnetization": r.magnetization},
    )

    def draw(path):
        from ._mlrg_plot import figure, save as save_fig

        fig, ax = figure(1, 3, figsize=(12, 3.5))
        ax[0].plot(r.energy[:, 0], lw=0.6, label="chain 0")
        ax[0].axhline(out["exact_energy_per_site_finite_L"], color="k", ls="--", label="exact")
        ax[0].set(xlabel="sweep", ylabel="E/N (units of J)")
        ax[0].legend(loc="upper right", fontsize=8)
        ax[1].plot(np.abs(r.magnetization[:, 0]), lw=0.6)
        ax[1].set(xlabel="sweep", ylabel="|m| (dimensionless)")
        im = ax[2].imshow(r.configs[-1, 0], cmap="gray", vmin=-1, vmax=1)
        fig.colorbar(im, ax=ax[2], ticks=[-1, 1], label="spin")
        ax[2].set_title(f"L={args.L}, T={args.T:g}")
        save_fig(fig, path)

    write_figure(out, args.plot, draw)
    return out


def register(subparsers):
    p = add_command(
        subparsers, "ising", run, "2D Ising Monte Carlo with exact comparisons", out=True
    )
    p.add_argument("--L", type=int, default=64, help="even lattice side (default 64)")
    p.add_argument("--T", type=float, default=2.0, help="temperature (J=1); T_c=2.2691853")
    p.add_argument("--sweeps", type=int, default=4000, help="measured sweeps (default 4000)")
    p.add_argument("--burn-in", type=int, default=None, help="discarded sweeps (default sweeps/5)")
    p.add_argument("--chains", type=int, default=8, help="independent chains (default 8)")
    p.add_argument(
        "--algorithm",
        choices=ALGORITHMS,
        default="packed",
        help="packed (multi-spin-coded Metropolis, default), metropolis (int8 checkerboard), "
        "sw (Swendsen-Wang), wolff (one cluster flip per 'sweep')",
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--plot", metavar="PATH", default=None, help="save a figure to PATH")
