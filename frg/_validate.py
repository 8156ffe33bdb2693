"""Input validation shared by every entry point.

All checks run on concrete Python/NumPy values *before* anything is traced or
compiled, and raise ``ValueError`` naming the argument and its valid range.
"""

from __future__ import annotations

import math
import os
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


def memory_limit() -> int:
    """Bytes one computation may allocate: ``FRG_MEMORY_LIMIT_GB`` (GiB) if set, else half
    the machine's physical memory (8 GiB where that cannot be read)."""
    env = os.environ.get("FRG_MEMORY_LIMIT_GB")
    if env:
        try:
            return int(float(env) * 2**30)
        except ValueError:
            raise ValueError(f"FRG_MEMORY_LIMIT_GB must be a number of GiB; got {env!r}") from None
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2
    except (ValueError, OSError, AttributeError):
        return 8 * 2**30


def memory(name: str, nbytes: float, what: str) -> None:
    """``ValueError`` naming ``name`` if ``what`` needs more than :func:`memory_limit` bytes.

    Call it with an estimate of the largest allocation before anything is allocated or
    compiled, e.g. ``memory("grid", 8 * n * n_saved, "the saved U(rho, k)")``.
    """
    limit = memory_limit()
    if nbytes > limit:
        raise ValueError(
            f"{name}: {what} needs about {_gib(nbytes)}, more than the memory limit "
            f"{_gib(limit)} (set FRG_MEMORY_LIMIT_GB to change it; default half the RAM)"
        )


def _gib(nbytes: float) -> str:
    for unit, size in (("PiB", 2**50), ("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20)):
        if nbytes >= size:
            return f"{nbytes / size:.3g} {unit}"
    return f"{nbytes / 2**10:.3g} KiB"
