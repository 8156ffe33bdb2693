"""Input validation shared by every entry point.

All checks run on concrete Python/NumPy values *before* anything is traced or
compiled, and raise ``ValueError`` naming the argument and its valid range.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np


def _finite_array(name: str, value) -> np.ndarray:
    if type(value) in (float, int, np.float64):  # the common case, ~10× cheaper
        if not math.isfinite(value):
            raise ValueError(f"{name} must be finite; got {value!r}")
        return np.float64(value)
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a real number (or array of them); got {value!r}") from exc
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite; got {value!r}")
    return arr


def finite(name: str, value) -> np.ndarray:
    """``value`` as a float64 array, or ``ValueError`` if it is not finite."""
    return _finite_array(name, value)


def in_range(
    name: str,
    value,
    low: float = -math.inf,
    high: float = math.inf,
    *,
    low_open: bool = False,
    high_open: bool = False,
) -> np.ndarray:
    """Check ``low (<|<=) value (<|<=) high`` elementwise; the message states the range."""
    arr = _finite_array(name, value)
    lo_ok = arr > low if low_open else arr >= low
    hi_ok = arr < high if high_open else arr <= high
    if not (bool(lo_ok.all()) and bool(hi_ok.all()) if arr.ndim else bool(lo_ok) and bool(hi_ok)):
        lb = "(" if low_open else "["
        rb = ")" if high_open else "]"
        raise ValueError(f"{name} must lie in {lb}{low}, {high}{rb}; got {value!r}")
    return arr


def integer(name: str, value, low: int, high: int | None = None) -> int:
    """An ``int`` in ``[low, high]``."""
    if isinstance(value, bool) or not float(value).is_integer():
        raise ValueError(f"{name} must be an integer; got {value!r}")
    ivalue = int(value)
    if ivalue < low or (high is not None and ivalue > high):
        hi = "inf" if high is None else str(high)
        raise ValueError(f"{name} must be an integer in [{low}, {hi}]; got {value!r}")
    return ivalue


def decreasing(name: str, values: Iterable[float]) -> np.ndarray:
    """A strictly decreasing 1-D sequence of finite numbers."""
    arr = _finite_array(name, list(values))
    if arr.ndim != 1 or arr.size < 2 or not np.all(np.diff(arr) < 0):
        raise ValueError(f"{name} must be a strictly decreasing sequence of at least 2 numbers")
    return arr
