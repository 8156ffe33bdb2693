"""frg: functional renormalization group flows in JAX, and their deep-learning twins.

Public API (re-exported from private modules, diffrax-style):

- regulators: :class:`AbstractRegulator`, :class:`Litim`, :class:`Exponential`,
  :class:`PowerLaw`, :class:`Mass`, :class:`CustomShape`, :func:`make_regulator`
- threshold functions: :class:`ThresholdRule`, :func:`threshold_rule`,
  :func:`threshold`, :func:`litim_threshold`, :func:`v_d`
- float64 policy: :func:`x64`, :func:`x64_enabled` (see ``frg/_x64.py``)
"""

__version__ = "0.1.0"

from ._x64 import x64 as x64, x64_enabled as x64_enabled

# --- cascade (issue 4): lattice LPA, RBM layers, CDBN stack, comparison -------------
from .cascade import (
    LAYER_TYPES as LAYER_TYPES,
    CDBNResult as CDBNResult,
    cdbn_potential as cdbn_potential,
    layer_delta_u as layer_delta_u,
    one_loop_potential as one_loop_potential,
    scale_schedule as scale_schedule,
)
from .cascade_compare import (
    CascadeComparison as CascadeComparison,
    compare_cascade as compare_cascade,
    layer_kernel_widths as layer_kernel_widths,
    plot_cascade as plot_cascade,
)
from .crbm import (
    ConvRBM as ConvRBM,
    ancestral_sample as ancestral_sample,
    gibbs_sample as gibbs_sample,
    kernel_width as kernel_width,
    rbm_layer as rbm_layer,
    rbm_stack as rbm_stack,
    spectrum_chi2 as spectrum_chi2,
    train_layer as train_layer,
)
from .lattice import (
    BackgroundGrid as BackgroundGrid,
    LatticeLPASolution as LatticeLPASolution,
    LatticeMomenta as LatticeMomenta,
    background_grid as background_grid,
    lattice_lpa as lattice_lpa,
    lattice_momenta as lattice_momenta,
    lattice_p2 as lattice_p2,
    lattice_threshold as lattice_threshold,
)
from .regulators import (
    REGULATORS as REGULATORS,
    AbstractRegulator as AbstractRegulator,
    CustomShape as CustomShape,
    Exponential as Exponential,
    Litim as Litim,
    Mass as Mass,
    PowerLaw as PowerLaw,
    make_regulator as make_regulator,
)
from .sweep import (
    CheckpointError as CheckpointError,
    SweepResult as SweepResult,
    param_grid as param_grid,
    parse_param_spec as parse_param_spec,
    sweep as sweep,
)
from .threshold import (
    ThresholdRule as ThresholdRule,
    litim_threshold as litim_threshold,
    threshold as threshold,
    threshold_rule as threshold_rule,
    v_d as v_d,
)
