"""``python -m apiops_emulator``: the APIM emulator's command line (as ``apiops emulator``)."""
from __future__ import annotations

import sys

from .apim.cli import main

sys.exit(main())
