"""Annotation objects drawn over a CT series: DICOM SEG segments and RTSTRUCT contours as per-slice masks. No Qt.

:func:`~lungview.annotations.loading.annotations_of` picks the objects of a scan that belong to a series;
:func:`~lungview.annotations.loading.load_annotations` reads them (a background job) into
:class:`~lungview.annotations.regions.Region` masks registered on the series' slices, with one plain sentence per
object or part that could not be drawn; :mod:`lungview.annotations.render` turns them into an RGBA image of any
plane.
"""
