"""Lesion finding on whole CT series: ranked 3-D lesion candidates with a box on every slice they span.

``LesionFinder(segmenter)`` wraps a loaded segmentation model (``lungview.inference.lesion_segmenter.
load_lesion_finder`` loads and verifies one); ``finder.find(series, store)`` returns a
:class:`~lungview.detection.lesions.SeriesLesions`. No Qt here.
"""

from lungview.detection.finder import LesionFinder
from lungview.detection.lesions import Lesion, LesionSlice, SeriesLesions

__all__ = ["Lesion", "LesionFinder", "LesionSlice", "SeriesLesions"]
