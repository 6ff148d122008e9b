"""What a slice report holds: the displayed slice, the optional heatmap, the AI result and the model card summary.

The viewer fills a :class:`SliceReport` from what is on screen; :func:`lungview.reports.build.build_slice_report`
fills one from the command line. The PDF/PNG page, the printout and the DICOM Secondary Capture are all drawn from it.
"""

from dataclasses import KW_ONLY, dataclass, field
from datetime import datetime, timezone
from typing import Any

import numpy as np

from lungview.reports.overlay import DEFAULT_OPACITY
from lungview.volume import Series, SliceRef
from lungview.windowing import Window


@dataclass(frozen=True)
class ModelSummary:
    """The parts of a model card a report shows."""

    model_id: str
    version: str
    sha256: str
    classes: tuple[str, ...]
    threshold: float
    intended_use: str = ""
    limits: tuple[str, ...] = ()
    metrics: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_card(cls, card: Any) -> "ModelSummary":
        """Summary of a :class:`lungview.models.ModelCard` (or any object with the same attributes)."""
        return cls(
            model_id=card.id,
            version=card.version,
            sha256=card.sha256,
            classes=tuple(card.classes),
            threshold=float(card.threshold),
            intended_use=card.intended_use,
            limits=tuple(card.limits),
            metrics=dict(card.metrics),
        )


@dataclass(frozen=True)
class AiResult:
    """One slice's calibrated prediction, as the confidence table shows it."""

    probabilities: dict[str, float]
    cancer_probability: float
    predicted: str
    out_of_scope: tuple[str, ...] = ()
    """Plain reasons why the slice is not what the model knows; empty when it is."""

    @classmethod
    def from_prediction(cls, prediction: Any, out_of_scope: tuple[str, ...] = ()) -> "AiResult":
        """Copy of a :class:`lungview.models.Prediction` with the out-of-scope reasons of its slice."""
        return cls(dict(prediction.probabilities), float(prediction.cancer_probability), prediction.predicted,
                   tuple(out_of_scope))


@dataclass(frozen=True, eq=False)
class SliceReport:
    """Everything a report of one slice shows; the arrays are never modified."""

    series: Series
    slice_index: int
    image: np.ndarray
    """The slice as displayed: uint8 grey ``[rows, columns]`` after the window."""
    window: Window
    heatmap: np.ndarray | None = None
    """Model attention in [0, 1] with the shape of ``image``, or None when no overlay was computed."""
    overlay_opacity: float = DEFAULT_OPACITY
    """Opacity of the heatmap over the slice, as on screen."""
    model: ModelSummary | None = None
    result: AiResult | None = None
    hide_identifiers: bool = False
    created_at: str = field(default_factory=lambda: datetime.now(timezone.utc).isoformat(timespec="seconds"))
    """UTC time the report was made, ISO 8601."""

    @property
    def slice_ref(self) -> SliceRef:
        """Identity and geometry of the reported slice."""
        return self.series.slices[self.slice_index]


@dataclass(frozen=True, eq=False)
class AiSnapshot:
    """The AI result on screen for the current slice: what a report or a finding records about it."""

    model: ModelSummary
    result: AiResult
    heatmap: np.ndarray | None = None
    """The attention heatmap when the overlay is shown, else None."""
    _: KW_ONLY
    overlay_opacity: float = DEFAULT_OPACITY
    """Opacity of the overlay on screen."""
    sop_instance_uid: str | None = None
    """The slice the result belongs to; a snapshot of another slice is ignored. None: trust the caller."""

    def belongs_to(self, slice_ref: SliceRef) -> bool:
        """True unless the snapshot names a different slice than ``slice_ref``."""
        return self.sop_instance_uid is None or self.sop_instance_uid == slice_ref.sop_instance_uid
