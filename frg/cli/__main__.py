"""``python -m frg.cli``."""

import sys

from . import console

sys.exit(console())
