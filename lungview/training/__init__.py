"""Training and honest evaluation of the shipped classifiers: audit, splits, training, calibration, report."""
