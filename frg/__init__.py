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

# derivative expansion at O(∂²) (frg/de2.py)
from .de2 import (
    DE2PMS as DE2PMS,
    DE2Exponents as DE2Exponents,
    DE2FixedPoint as DE2FixedPoint,
    de2_cli_exponents as de2_cli_exponents,
    de2_exponents as de2_exponents,
    de2_fixed_point as de2_fixed_point,
    de2_pms as de2_pms,
)
