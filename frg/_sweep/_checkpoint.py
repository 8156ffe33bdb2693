"""Sweep checkpoints: a manifest ``sweep.json`` and one ``chunk-XXXXX.npz`` per chunk.

Every file is written to a temporary name in the same directory, fsync'ed and renamed
(atomic on POSIX file systems), so an interrupted sweep leaves only complete files, and
two processes never see half a chunk. A chunk's ``__meta__`` entry (JSON) carries the
sweep's fingerprint and the chunk index; a file that does not match is refused.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np

FORMAT = "frg-sweep/1"


class CheckpointError(ValueError):
    """A checkpoint directory or file that is corrupted or belongs to another sweep."""


def fingerprint(task: str, params: Mapping[str, np.ndarray], chunk_size: int) -> str:
    """SHA-256 of the task string, the chunk size and the parameter values."""
    h = hashlib.sha256()
    h.update(task.encode())
    h.update(str(chunk_size).encode())
    for k in sorted(params):
        h.update(k.encode())
        h.update(np.ascontiguousarray(params[k], dtype=np.float64).tobytes())
    return h.hexdigest()


def atomic_write(path: Path, write: Callable[[object], None], mode: str = "wb") -> None:
    """``write(f)`` to a temporary file next to ``path``, fsync, rename onto ``path``."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, mode) as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def open_manifest(out: Path, manifest: dict, resume: bool) -> None:
    """Write ``out/sweep.json``, or check that an existing one is this sweep's."""
    path = out / "sweep.json"
    if path.exists():
        try:
            old = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise CheckpointError(f"{path} is not a valid frg sweep manifest: {exc}") from exc
        if not isinstance(old, dict) or old.get("format") != FORMAT:
            raise CheckpointError(f"{path} is not an frg sweep manifest (format {FORMAT})")
        if old.get("fingerprint") != manifest["fingerprint"]:
            raise CheckpointError(
                f"{path} belongs to a different sweep (task, parameters or chunk size differ); "
                "use another --out directory, or delete it to start over"
            )
        if not resume:
            raise CheckpointError(
                f"{out} already holds this sweep; pass resume=True (--resume) to finish it"
            )
        return
    out.mkdir(parents=True, exist_ok=True)
    atomic_write(path, lambda f: f.write(json.dumps(manifest, indent=1)), mode="w")


def chunk_path(out: Path, index: int) -> Path:
    return out / f"chunk-{index:05d}.npz"


def write_chunk(path: Path, data: Mapping[str, np.ndarray], meta: dict) -> None:
    """Write one chunk's outputs and its ``__meta__`` JSON atomically."""
    text = json.dumps(meta)
    atomic_write(path, lambda f: np.savez(f, __meta__=np.array(text), **data))


def load_chunk(path: Path, fp: str, index: int, size: int) -> tuple[dict[str, np.ndarray], dict]:
    """The outputs and metadata of chunk ``index``; :class:`CheckpointError` if the file
    is unreadable, of another sweep or chunk, or has the wrong number of points."""
    try:
        with np.load(path, allow_pickle=False) as z:
            meta = json.loads(str(z["__meta__"]))
            data = {k: z[k] for k in z.files if k != "__meta__"}
    except Exception as exc:  # noqa: BLE001 - any read failure means a corrupted file
        raise CheckpointError(f"checkpoint {path} is corrupted or unreadable: {exc}") from exc
    if meta.get("fingerprint") != fp or meta.get("chunk") != index:
        raise CheckpointError(f"checkpoint {path} belongs to a different sweep or chunk")
    if any(v.shape[:1] != (size,) for v in data.values()):
        raise CheckpointError(f"checkpoint {path} has the wrong number of points")
    return data, meta
