"""Tests run under float64 (the library's policy for physics results)."""

import os

import jax

jax.config.update("jax_enable_x64", True)
# hermetic tests: the CLI's persistent compilation cache (frg.cli._compilation_cache) is
# off here and in the CLI subprocesses tests start; tests/test_cli_cache.py turns it on
os.environ["FRG_JAX_CACHE"] = "0"
