"""``python -m apiops_emulator.apim`` (also ``python -m apiops_emulator``)."""
from __future__ import annotations

import sys

from .cli import main

sys.exit(main())
