"""Results folders: what a computation keeps, and how to read it back.

A results folder holds two files, written atomically (temporary name, then rename):

- ``summary.json``: ``{"format": "frg-results", "version": 1, "kind": KIND,
  "frg_version": ..., "created": ISO-8601 UTC, "summary": {...}, "arrays": {NAME:
  {"shape": [...], "dtype": "float64"}}}``. ``summary`` is the command's JSON result
  (the object ``--json`` prints); ``kind`` names what was computed (``"flow"``,
  ``"fixed-point"``, ``"cascade"``, ``"ising"``, ...).
- ``arrays.npz``: the arrays (NumPy's ``.npz``, read with ``allow_pickle=False``), e.g.
  ``k``, ``rho``, ``U`` (U(ρ, k) on the saved scales) for a flow.

No pickle is written or read: loading a folder from someone else runs no code. Arrays
of object dtype are refused when saving.

Example:
    >>> import tempfile, numpy as np
    >>> d = tempfile.mkdtemp()
    >>> _ = frg.save_results(d, "demo", {"nu": 0.65}, {"x": np.arange(3.0)})
    >>> res = frg.load(d)
    >>> res.kind, res.summary["nu"], res["x"].tolist()
    ('demo', 0.65, [0.0, 1.0, 2.0])
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import math
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["Results", "save_results", "load", "check_output_dir", "check_output_file", "jsonable"]

FORMAT = "frg-results"
VERSION = 1
SUMMARY = "summary.json"
ARRAYS = "arrays.npz"


def jsonable(obj: Any) -> Any:
    """Arrays → lists, NumPy scalars → Python, non-finite floats → ``None`` (strict JSON)."""
    if isinstance(obj, Mapping):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if hasattr(obj, "__array__") and not isinstance(obj, (str, bytes)):
        arr = np.asarray(obj)
        if arr.ndim == 0:
            return jsonable(arr.item())
        return [jsonable(v) for v in arr.tolist()]
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, np.floating):
        return jsonable(float(obj))
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, complex):
        return {"re": jsonable(obj.real), "im": jsonable(obj.imag)}
    return obj


@dataclasses.dataclass(frozen=True)
class Results:
    """A loaded results folder.

    Attributes:
        kind: what was computed (``"flow"``, ``"fixed-point"``, ...).
        summary: the JSON summary (the command's ``--json`` object).
        arrays: name → ``numpy.ndarray``.
        path: the folder.
        meta: the rest of ``summary.json`` (format, version, frg_version, created).

    ``res["U"]`` returns an array, or a summary entry if no array has that name.
    """

    kind: str
    summary: dict
    arrays: dict
    path: Path
    meta: dict

    def __getitem__(self, name: str):
        if name in self.arrays:
            return self.arrays[name]
        return self.summary[name]

    def __contains__(self, name: str) -> bool:
        return name in self.arrays or name in self.summary


def check_output_dir(path, name: str = "--out") -> Path:
    """Create the folder ``path`` (and its parents) and check it is writable.

    Raises ``ValueError`` naming ``name`` if ``path`` is a file, cannot be created or is
    not writable: call it before computing, so that nothing computed is lost.
    """
    p = Path(path).expanduser()
    if p.exists() and not p.is_dir():
        raise ValueError(f"{name}: {str(path)!r} exists and is not a directory")
    try:
        p.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=p, prefix=".frg-write-test-"):
            pass
    except OSError as exc:
        raise ValueError(
            f"{name}: cannot write to directory {str(path)!r} ({exc.strerror})"
        ) from None
    return p


_FIGURE_SUFFIXES = (".png", ".pdf", ".svg", ".jpg", ".jpeg", ".eps", ".ps", ".tif", ".tiff")


def check_output_file(path, name: str = "--plot", suffixes=_FIGURE_SUFFIXES) -> Path:
    """Check that a file can be written at ``path`` (its folder exists and is writable,
    its suffix is one of ``suffixes``); ``ValueError`` naming ``name`` otherwise."""
    p = Path(path).expanduser()
    if p.suffix.lower() not in suffixes:
        raise ValueError(f"{name}: {str(path)!r} must end in one of {', '.join(suffixes)}")
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.is_dir():
        raise ValueError(f"{name}: directory {str(parent)!r} of {str(path)!r} does not exist")
    if p.is_dir():
        raise ValueError(f"{name}: {str(path)!r} is a directory")
    if not os.access(parent, os.W_OK):
        raise ValueError(f"{name}: directory {str(parent)!r} is not writable")
    return p


def _atomic(path: Path, write) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def save_results(directory, kind: str, summary: Mapping, arrays: Mapping | None = None) -> Path:
    """Write ``summary.json`` and ``arrays.npz`` into ``directory`` (created if needed).

    Args:
        directory: the results folder.
        kind: what was computed (read back as :attr:`Results.kind`).
        summary: a JSON-able mapping (arrays and NumPy scalars are converted).
        arrays: name → array (numeric or boolean; object arrays are refused).

    Returns:
        The folder as a ``Path``.
    """
    from . import __version__

    out = check_output_dir(directory, "directory")
    arrays = {} if arrays is None else {str(k): np.asarray(v) for k, v in arrays.items()}
    for k, v in arrays.items():
        if v.dtype == object:
            raise ValueError(f"array {k!r}: object arrays cannot be saved without pickle")
    meta = {
        "format": FORMAT,
        "version": VERSION,
        "kind": str(kind),
        "frg_version": __version__,
        "created": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "summary": jsonable(summary),
        "arrays": {k: {"shape": list(v.shape), "dtype": str(v.dtype)} for k, v in arrays.items()},
    }
    _atomic(out / ARRAYS, lambda fh: np.savez(fh, **arrays))
    text = json.dumps(meta, indent=1, allow_nan=False).encode()
    _atomic(out / SUMMARY, lambda fh: fh.write(text))
    return out


def load(directory) -> Results:
    """Read a results folder written by :func:`save_results` or a CLI command's ``--out``.

    Returns:
        :class:`Results` (``kind``, ``summary``, ``arrays``).

    Raises:
        ValueError: if the folder is not an frg results folder.
    """
    p = Path(directory).expanduser()
    try:
        meta = json.loads((p / SUMMARY).read_text())
    except FileNotFoundError:
        raise ValueError(
            f"{str(directory)!r} is not an frg results folder (no {SUMMARY})"
        ) from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"{str(p / SUMMARY)!r} is not valid JSON ({exc})") from None
    if meta.get("format") != FORMAT:
        raise ValueError(f"{str(p / SUMMARY)!r} is not an frg results summary")
    if int(meta.get("version", 0)) > VERSION:
        raise ValueError(
            f"{str(directory)!r} was written by a newer frg (format version {meta['version']})"
        )
    arrays = {}
    if (p / ARRAYS).exists():
        with np.load(p / ARRAYS, allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
    summary = meta.pop("summary", {})
    meta.pop("arrays", None)
    return Results(kind=meta.pop("kind"), summary=summary, arrays=arrays, path=p, meta=meta)
