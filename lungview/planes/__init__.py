"""The planes a reader looks at, computed without Qt: the series reformatted into coronal and sagittal planes
(:mod:`~lungview.planes.reformat`), the AI's finding boxes in each plane (:mod:`~lungview.planes.boxes`), and what
a ruler or ROI drawn on a plane measures (:mod:`~lungview.planes.measure`)."""

PLANES = ("axial", "coronal", "sagittal")
"""The three planes, in the order the views show them."""
REFORMAT_PLANES = ("coronal", "sagittal")
"""The planes built by reformatting the axial slices."""
