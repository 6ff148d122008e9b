"""Make a :class:`SliceReport` from a decoded slice and a loaded model (what the command line does)."""

from typing import Any

import numpy as np

from lungview.reports.content import AiResult, ModelSummary, SliceReport
from lungview.volume import Series
from lungview.windowing import Window, apply_window


def build_slice_report(
    series: Series,
    slice_index: int,
    pixels: np.ndarray,
    window: Window,
    model: Any | None = None,
    with_cam: bool = False,
    hide_identifiers: bool = False,
    cam_method: str = "gradcam",
) -> SliceReport:
    """Classify slice ``slice_index`` of ``series`` (and compute its heatmap when ``with_cam``) into a report.

    Parameters
    ----------
    pixels
        The decoded slice: HU when ``series.has_hu``, else grey 0..255.
    model
        A loaded model (:func:`lungview.models.load_model`) or None for a report without an AI result.
    with_cam
        Compute the attention heatmap for the predicted class; ignored without a model.
    """
    summary = result = heatmap = None
    if model is not None:
        summary = ModelSummary.from_card(model.card)
        result = AiResult.from_prediction(model.predict([pixels], series.has_hu)[0])
        if with_cam:
            heatmap = np.asarray(model.cam(pixels, series.has_hu, method=cam_method), dtype=np.float32)
    return SliceReport(
        series=series,
        slice_index=slice_index,
        image=apply_window(pixels, window),
        window=window,
        heatmap=heatmap,
        model=summary,
        result=result,
        hide_identifiers=hide_identifiers,
    )
