"""Write the exploration notebooks from the cell sources below (outputs are never committed).

Run ``python notebooks/_build.py`` after editing a notebook's cells here; CI executes
every ``notebooks/*.ipynb`` with nbmake. Each notebook starts with a parameter cell
whose small defaults run top to bottom in about a minute on a 2-core CPU.
"""

from __future__ import annotations

from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent
SETUP = """import jax
jax.config.update("jax_enable_x64", True)  # physics in float64 (see README: float64 policy)
import numpy as np
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
import frg"""

NOTEBOOKS: dict[str, list[tuple[str, str]]] = {}


def notebook(name: str, cells: list[tuple[str, str]]) -> None:
    NOTEBOOKS[name] = cells


def write_all() -> None:
    for name, cells in NOTEBOOKS.items():
        nb = nbformat.v4.new_notebook()
        nb.metadata["kernelspec"] = {
            "name": "python3",
            "display_name": "Python 3",
            "language": "python",
        }
        for kind, src in cells:
            src = src.strip("\n")
            if kind == "md":
                nb.cells.append(nbformat.v4.new_markdown_cell(src))
            else:
                nb.cells.append(nbformat.v4.new_code_cell(src))
        nbformat.write(nb, HERE / f"{name}.ipynb")


notebook(
    "03_cascade_vs_cdbn",
    [
        (
            "md",
            """# The RG cascade vs the finite-layer CDBN

Each Wetterich step k → k' is one Gaussian convolutional RBM layer (visible
precision p̂² + R_k + U'', shell |ŵ|² = R_k − R_k'); L layers approximate the
continuum cascade with error O(1/L). Mathematics: `shared/design/cascade.md`,
implementation notes: `docs/cascade.md`.""",
        ),
        (
            "code",
            "# Parameters (small defaults: about a minute on 2 CPU cores)\nD = 2\nLATTICE = 16\nM2, LAM = 0.5, 3.0\nLAYERS = [4, 8, 16, 32, 64]",
        ),
        ("code", SETUP),
        (
            "code",
            """V = lambda phi: 0.5 * M2 * phi**2 + LAM / 24.0 * phi**4
cmp = frg.compare_cascade(V, frg.Litim(), D, LATTICE, LAYERS)
res = cmp.to_dict()
print("sup errors:", np.array(res["sup_error"]))
print("fitted slope (expected -1):", res["slope"])""",
        ),
        (
            "code",
            """fig, ax = plt.subplots(1, 2, figsize=(10, 4))
ax[0].loglog(LAYERS, res["sup_error"], "o-")
ax[0].set_xlabel("layers L"); ax[0].set_ylabel("sup |U_L - U_cont|")
ax[1].plot(np.asarray(cmp.phi), np.asarray(cmp.continuum.U), "k-", label="continuum")
for L, U in zip(LAYERS, np.asarray(cmp.U_layers)):
    ax[1].plot(np.asarray(cmp.phi), U, "--", label=f"L={L}")
ax[1].set_xlabel("background field"); ax[1].set_ylabel("U at k_IR"); ax[1].legend()
fig.tight_layout()""",
        ),
        (
            "code",
            """# The layer kernels widen as k falls: width x k_l is roughly constant.
ks = frg.scale_schedule(np.sqrt(4 * D + 1.0), 1e-3 * np.sqrt(4 * D + 1.0), 16)
_, widths, width_times_k = frg.layer_kernel_widths(D, 64, ks, frg.Exponential())
print("width * k_l:", np.round(np.asarray(width_times_k), 3))""",
        ),
    ],
)

if __name__ == "__main__":
    write_all()
