"""``frg vrg``: exact VRG vs RBM on a 1D Ising chain and a 4×4 lattice."""

from __future__ import annotations

import numpy as np

from ._common import add_command, progress, save, write_figure


def run(args):
    import frg as G

    n = args.n
    if n % 2 or not 4 <= n <= 14:
        raise ValueError(f"--n must be an even integer in [4, 14]; got {n}")
    Ks = [float(x) for x in args.K.split(",") if x.strip()]
    if not Ks:
        raise ValueError(f"--K must contain at least one coupling; got {args.K!r}")
    out = {"status": "success", "n": n, "chain": []}
    for K in Ks:
        progress(f"1D chain n={n} K={K}: exact-ML RBM fit with {n // 2} hidden units")
        H = G.chain_energy(K, n)
        dec, lz, lzp = G.vrg_hidden_hamiltonian(H, G.decimation_rbm(n, 40.0))
        params, hist = G.fit_rbm_exact(H, n // 2, steps=args.steps, seed=args.seed)
        r = G.vrg_analysis(H, params)
        pairs = sorted(
            (abs(v) for m, v in r.couplings.items() if bin(m).count("1") == 2), reverse=True
        )
        many = max((abs(v) for m, v in r.couplings.items() if bin(m).count("1") > 2), default=0)
        out["chain"].append(
            {
                "K": K,
                "K_prime_decimation_exact": float(G.decimation_K(K)),
                "K_prime_decimation_rbm": G.nn_coupling(dec, n // 2),
                "decimation_log_z_change": lzp - lz,
                "rbm_kl": r.kl,
                "rbm_log_z_ratio": r.log_z_ratio,
                "rbm_vrg_violation": r.vrg_violation,
                "rbm_hidden_pair_couplings_top": pairs[: n // 2],
                "rbm_hidden_max_multispin_coupling": many,
            }
        )
    progress(f"4x4 Ising K={args.K2d}: exact-ML RBM with 4 hidden units")
    H2 = G.ising2d_energy(args.K2d, 4)
    params, _ = G.fit_rbm_exact(H2, 4, steps=max(args.steps // 3, 50), seed=args.seed)
    r2 = G.vrg_analysis(H2, params)
    out["ising4x4"] = {
        "K": args.K2d,
        "rbm_kl": r2.kl,
        "rbm_log_z_ratio": r2.log_z_ratio,
        "rbm_vrg_violation": r2.vrg_violation,
        "rbm_hidden_couplings": {bin(k): v for k, v in r2.couplings.items() if k},
    }
    save(
        args,
        "vrg",
        out,
        {"K": np.asarray(Ks), "W_4x4": np.asarray(params[2]), "b_4x4": np.asarray(params[1])},
    )

    def draw(path):
        from ._mlrg_plot import figure, save as save_fig

        fig, ax = figure(figsize=(5, 4))
        Kg = np.linspace(0.05, max(Ks) * 1.2, 100)
        ax.plot(Kg, G.decimation_K(Kg), "k-", label="½ ln cosh 2K")
        ax.plot(Ks, [c["K_prime_decimation_rbm"] for c in out["chain"]], "bo", label="RBM W→∞")
        ax.plot(
            Ks,
            [c["rbm_hidden_pair_couplings_top"][0] for c in out["chain"]],
            "r^",
            label="ML-trained RBM: max |J_ij| of H_rbm(h)",
        )
        ax.set(xlabel="K (dimensionless)", ylabel="K' (dimensionless)")
        ax.legend(fontsize=8, loc="upper left")
        save_fig(fig, path)

    write_figure(out, args.plot, draw)
    return out


def register(subparsers):
    p = add_command(
        subparsers, "vrg", run, "Exact VRG vs RBM (1D chain decimation, 4x4 Ising)", out=True
    )
    p.add_argument("--n", type=int, default=8, help="chain length (even, ≤ 14)")
    p.add_argument("--K", default="0.3,0.6,1.0", help="chain couplings K = J/T")
    p.add_argument("--K2d", type=float, default=0.3, help="4x4 coupling")
    p.add_argument("--steps", type=int, default=1500, help="Adam steps of the exact ML fit")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--plot", metavar="PATH", default=None, help="save a figure to PATH")
