"""Matplotlib figures for LPA flows (private; imported lazily by the CLI)."""

from __future__ import annotations

import numpy as np


def plot_flow(sol, path, title=""):
    """U'(ρ) and U(ρ) − U(0) at the saved k, and ρ0(k), m2R(k); written to ``path``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(1, 3, figsize=(13, 3.8))
    rho = np.asarray(sol.rho)
    ks = np.asarray(sol.k)
    # one colour per k on a log scale (a legend of dozens of k would not fit the axes)
    norm = matplotlib.colors.LogNorm(ks.min(), ks.max())
    colour = matplotlib.cm.ScalarMappable(norm=norm, cmap="viridis")
    for i, k in enumerate(ks):
        U = np.asarray(sol.U[i])
        ax[0].plot(rho, U - U[0], color=colour.to_rgba(k))
        ax[1].plot(rho, np.asarray(sol.dU[i]), color=colour.to_rgba(k))
    ax[0].set_xlabel("rho")
    ax[0].set_ylabel("U - U(0)")
    fig.colorbar(colour, ax=ax[1], label="k")
    ax[1].set_xlabel("rho")
    ax[1].set_ylabel("U'")
    ax[2].loglog(ks, np.maximum(np.asarray(sol.rho0), 1e-30), "o-", label="rho0")
    ax[2].loglog(ks, np.abs(np.asarray(sol.m2R)), "s-", label="|m2R|")
    ax[2].set_xlabel("k")
    ax[2].legend()
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
