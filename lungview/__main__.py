"""``python -m lungview`` runs the command line."""

import sys

from lungview.cli import main

sys.exit(main())
