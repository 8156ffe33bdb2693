"""``python -m frg.cli``."""

import sys

from . import main

sys.exit(main())
