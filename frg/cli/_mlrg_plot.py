"""Small shared plotting helpers of the ML↔RG commands (matplotlib, Agg)."""

from __future__ import annotations


def figure(*args, **kw):
    """A matplotlib (fig, axes) with the non-interactive backend."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt.subplots(*args, **kw)


def save(fig, path):
    """Save and close."""
    import matplotlib.pyplot as plt

    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
