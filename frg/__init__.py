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

# --- fixed points and critical exponents (issue 3; docs/exponents.md) ---
from .fixed_point import (
    STATUS as STATUS,
    TRUNCATIONS as TRUNCATIONS,
    Exponents as Exponents,
    FixedPoint as FixedPoint,
    critical_exponents as critical_exponents,
    exponents_table as exponents_table,
    find_fixed_point as find_fixed_point,
    make_truncation as make_truncation,
    plot_nu_vs_d as plot_nu_vs_d,
    pms as pms,
    stability_matrix as stability_matrix,
)
from .scaling import (
    FlowRules as FlowRules,
    eta_lpa_prime as eta_lpa_prime,
    eta_rule as eta_rule,
    flow_rules as flow_rules,
    lpa_flow as lpa_flow,
)
from .taylor import Taylor as Taylor
from .truncations import (
    LPA as LPA,
    AbstractTruncation as AbstractTruncation,
    LPAPrime as LPAPrime,
)
