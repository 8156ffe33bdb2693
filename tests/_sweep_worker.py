"""One process of a multi-process sweep, for tests/test_sweep_processes.py.

``python -m tests._sweep_worker PID NPROC PORT OUT [other]``: joins the group (when NPROC > 1),
runs a sweep of :func:`slow` (a known function that takes ``DELAY`` seconds per point,
so that a process can be killed in the middle) with ``resume=True`` into OUT, and prints
one JSON line: the chunks it computed and the outputs as ``float.hex``, or
``{"aborted": message}`` (exit status 3) when another process died.
"""

import json
import sys
import time

import numpy as np

#: seconds per point
DELAY = 0.2


def params(other: bool = False):
    import frg

    return frg.param_grid(x=np.linspace(0.0, 1.0, 31 if other else 30), a=[1.0, 2.0])


def slow(p):
    import jax
    import jax.numpy as jnp

    def wait(x):
        time.sleep(DELAY)
        return x

    shape = jax.ShapeDtypeStruct((), jnp.float64)
    x = jax.pure_callback(wait, shape, p["x"], vmap_method="sequential")
    return {"y": jnp.sin(3.0 * x) * p["a"] + jnp.exp(-x), "status": (x > 0.9).astype(jnp.int32)}


def main(argv):
    pid, nproc, port, out = int(argv[0]), int(argv[1]), argv[2], argv[3]
    other = argv[4:] == ["other"]  # another sweep than the other processes
    import frg

    if nproc > 1:
        frg.init_processes(f"127.0.0.1:{port}", nproc, pid, heartbeat_timeout=4)
    import jax

    jax.config.update("jax_enable_x64", True)
    code = 0
    try:
        res = frg.sweep(
            slow, params(other), chunk_size=1, out=out, resume=True, task="slow", progress=False
        )
        report = {
            "computed": res.computed_chunks,
            "processes": res.processes,
            "y": [float(v).hex() for v in res.outputs["y"]],
            "failed": res.failed.tolist(),
        }
    except frg.SweepAborted as exc:
        report, code = {"aborted": str(exc)}, 3
    finally:
        frg.finish_processes()
    print(json.dumps(report), flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
