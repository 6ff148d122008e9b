"""Make the scripts in packaging/ importable by name (they import each other that way, as when run directly)."""

import sys
from pathlib import Path

PACKAGING_DIR = Path(__file__).resolve().parents[2] / "packaging"
if str(PACKAGING_DIR) not in sys.path:
    sys.path.insert(0, str(PACKAGING_DIR))
