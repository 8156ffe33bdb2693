"""Tests run under float64 (the library's policy for physics results)."""

import jax

jax.config.update("jax_enable_x64", True)
