"""frg: functional renormalization group flows in JAX, and their deep-learning twins.

Public API (re-exported from private modules, diffrax-style):

- regulators: :class:`AbstractRegulator`, :class:`Litim`, :class:`Exponential`,
  :class:`PowerLaw`, :class:`Mass`, :class:`CustomShape`, :func:`make_regulator`
- threshold functions: :class:`ThresholdRule`, :func:`threshold_rule`,
  :func:`threshold`, :func:`litim_threshold`, :func:`v_d`
- float64 policy: :func:`x64`, :func:`x64_enabled` (see ``frg/_x64.py``)
- derivative expansion O(∂²): :func:`de2_fixed_point`, :func:`de2_exponents`,
  :func:`de2_pms`, :func:`de2_cli_exponents` (see ``docs/de2.md``)
"""

__version__ = "0.1.0"

from ._x64 import x64 as x64
from ._x64 import x64_enabled as x64_enabled
from .de2 import (
    DE2PMS as DE2PMS,
)

# derivative expansion at O(∂²) (frg/de2.py)
from .de2 import (
    DE2Exponents as DE2Exponents,
)
from .de2 import (
    DE2FixedPoint as DE2FixedPoint,
)
from .de2 import (
    de2_cli_exponents as de2_cli_exponents,
)
from .de2 import (
    de2_exponents as de2_exponents,
)
from .de2 import (
    de2_fixed_point as de2_fixed_point,
)
from .de2 import (
    de2_pms as de2_pms,
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
