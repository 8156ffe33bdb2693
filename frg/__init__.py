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
from .threshold import (
    ThresholdRule as ThresholdRule,
    litim_threshold as litim_threshold,
    threshold as threshold,
    threshold_rule as threshold_rule,
    v_d as v_d,
)

# LPA flow of the O(N) model (frg/lpa.py, frg/_grid.py) and the 0-D model (frg/zero_d.py)
from .lpa import (
    STATUS_MESSAGES as STATUS_MESSAGES,
    FlowSolution as FlowSolution,
    RhoPotential as RhoPotential,
    lpa_beta_pointwise as lpa_beta_pointwise,
    lpa_rhs_dimensionless as lpa_rhs_dimensionless,
    solve_flow as solve_flow,
    threshold_rule_eta as threshold_rule_eta,
)
from .zero_d import (
    PhiPotential as PhiPotential,
    ZeroDResult as ZeroDResult,
    solve_zero_d as solve_zero_d,
)
