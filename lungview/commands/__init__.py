"""One module per ``lungview`` subcommand (see :mod:`lungview.cli`)."""
