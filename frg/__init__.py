"""frg: functional renormalization group flows in JAX, and their deep-learning twins.

Public API (re-exported from private modules, diffrax-style):

- regulators: :class:`AbstractRegulator`, :class:`Litim`, :class:`Exponential`,
  :class:`PowerLaw`, :class:`Mass`, :class:`CustomShape`, :func:`make_regulator`
- threshold functions: :class:`ThresholdRule`, :func:`threshold_rule`,
  :func:`threshold`, :func:`litim_threshold`, :func:`v_d`
- float64 policy: :func:`x64`, :func:`x64_enabled` (see ``frg/_x64.py``)
"""

__version__ = "0.1.0"

from ._x64 import x64 as x64
from ._x64 import x64_enabled as x64_enabled

# LPA flow of the O(N) model (frg/lpa.py, frg/_grid.py) and the 0-D model (frg/zero_d.py)
from .lpa import (
    STATUS_MESSAGES as STATUS_MESSAGES,
)
from .lpa import (
    FlowSolution as FlowSolution,
)
from .lpa import (
    RhoPotential as RhoPotential,
)
from .lpa import (
    lpa_beta_pointwise as lpa_beta_pointwise,
)
from .lpa import (
    lpa_rhs_dimensionless as lpa_rhs_dimensionless,
)
from .lpa import (
    solve_flow as solve_flow,
)
from .lpa import (
    threshold_rule_eta as threshold_rule_eta,
)
from .regulators import (
    REGULATORS as REGULATORS,
)
from .regulators import (
    AbstractRegulator as AbstractRegulator,
)
from .regulators import (
    CustomShape as CustomShape,
)
from .regulators import (
    Exponential as Exponential,
)
from .regulators import (
    Litim as Litim,
)
from .regulators import (
    Mass as Mass,
)
from .regulators import (
    PowerLaw as PowerLaw,
)
from .regulators import (
    make_regulator as make_regulator,
)
from .threshold import (
    ThresholdRule as ThresholdRule,
)
from .threshold import (
    litim_threshold as litim_threshold,
)
from .threshold import (
    threshold as threshold,
)
from .threshold import (
    threshold_rule as threshold_rule,
)
from .threshold import (
    v_d as v_d,
)
from .zero_d import (
    PhiPotential as PhiPotential,
)
from .zero_d import (
    ZeroDResult as ZeroDResult,
)
from .zero_d import (
    solve_zero_d as solve_zero_d,
)
