"""Assemble a :class:`SliceReport` from a decoded slice and what the AI computed for it."""

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
    card: Any | None = None,
    prediction: Any | None = None,
    heatmap: np.ndarray | None = None,
    out_of_scope: tuple[str, ...] = (),
    hide_identifiers: bool = False,
) -> SliceReport:
    """The report of slice ``slice_index`` of ``series``.

    Parameters
    ----------
    pixels
        The decoded slice: HU when ``series.has_hu``, else grey 0..255; shown through ``window``.
    card, prediction
        The model card (:class:`lungview.models.ModelCard`) and its prediction for this slice, or None for a
        report without an AI result.
    heatmap
        Model attention in [0, 1] on the slice's pixel grid, or None for no overlay.
    out_of_scope
        Reasons why the slice is not what the model knows.
    """
    return SliceReport(
        series=series,
        slice_index=slice_index,
        image=apply_window(pixels, window),
        window=window,
        heatmap=None if heatmap is None else np.asarray(heatmap, dtype=np.float32),
        model=None if card is None else ModelSummary.from_card(card),
        result=None if prediction is None else AiResult.from_prediction(prediction, out_of_scope),
        hide_identifiers=hide_identifiers,
    )
