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

# --- fixed points and critical exponents (issue 3) ---
from .fixed_point import (
    STATUS as STATUS,
)
from .fixed_point import (
    TRUNCATIONS as TRUNCATIONS,
)
from .fixed_point import (
    Exponents as Exponents,
)
from .fixed_point import (
    FixedPoint as FixedPoint,
)
from .fixed_point import (
    critical_exponents as critical_exponents,
)
from .fixed_point import (
    exponents_table as exponents_table,
)
from .fixed_point import (
    find_fixed_point as find_fixed_point,
)
from .fixed_point import (
    make_truncation as make_truncation,
)
from .fixed_point import (
    plot_nu_vs_d as plot_nu_vs_d,
)
from .fixed_point import (
    pms as pms,
)
from .fixed_point import (
    stability_matrix as stability_matrix,
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
from .scaling import (
    FlowRules as FlowRules,
)
from .scaling import (
    eta_lpa_prime as eta_lpa_prime,
)
from .scaling import (
    eta_rule as eta_rule,
)
from .scaling import (
    flow_rules as flow_rules,
)
from .scaling import (
    lpa_flow as lpa_flow,
)
from .taylor import Taylor as Taylor
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
from .truncations import (
    LPA as LPA,
)
from .truncations import (
    AbstractTruncation as AbstractTruncation,
)
from .truncations import (
    LPAPrime as LPAPrime,
)
