"""``python -m lungview`` runs the command line."""

import multiprocessing
import sys

from lungview.cli import main

# In a frozen bundle the decode worker processes (lungview.dicom.process_decode) start as this executable:
# freeze_support runs the worker there instead of the command line (a no-op when not frozen).
multiprocessing.freeze_support()
sys.exit(main())
