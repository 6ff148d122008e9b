"""The series half of the AI second reader: score every slice of the series on screen with the triage model in the
background, then show the per-slice probabilities in the strip, the most suspicious slices and the lesion findings
in the panel, and the findings' boxes in the window's views. A result for another series than the one on screen is
dropped."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal, Slot

from lungview.detection.eligibility import not_evaluable_sentence
from lungview.inference.model_choice import LESION_MODEL, default_triage_id
from lungview.inference.triage_summary import finding_rows, suspicious_rows, triage_notes
from lungview.inference.viewer_jobs import TriageOutcome, triage_job

if TYPE_CHECKING:
    from lungview.detection.lesions import SeriesLesions
    from lungview.inference.cache import ClassifierCache
    from lungview.inference.series_analysis import LesionsCache
    from lungview.qt.ai_panel import AiPanel
    from lungview.qt.ai_strip import ProbabilityStrip

TRIAGE_MODEL_LABELS = {LESION_MODEL: "trained on real CT series"}


class SeriesAi(QObject):
    """Runs the series triage for ``window`` and shows it in ``panel`` and ``strip``.

    Signals
    -------
    triage_shown(object)
        The :class:`~lungview.inference.jobs.TriageResult` now in the strip.
    """

    triage_shown = Signal(object)

    def __init__(self, window, panel: AiPanel, strip: ProbabilityStrip, cache: ClassifierCache,
                 lesions: LesionsCache) -> None:
        super().__init__(window)
        self._window = window
        self.panel = panel
        self.strip = strip
        self._cache = cache
        self._lesions = lesions
        self._runner = window.create_runner("ai-triage")
        self._model_id: str | None = None
        self._shown_key: str | None = None
        """The key of the series whose result is shown."""
        self._runner.connect_outcomes(
            self._on_triage_finished,
            self._on_triage_failed,
            lambda _g, done, total: panel.set_triage_progress(done, total),
        )
        panel.triage_model_selected.connect(self._on_triage_model_selected)
        panel.triage_requested.connect(self.analyse)
        panel.triage_cancel_requested.connect(self.cancel)
        panel.suspicious_slice_selected.connect(window.set_slice)
        panel.finding_selected.connect(window.set_slice)
        strip.slice_clicked.connect(window.set_slice)

    def model_id(self) -> str | None:
        """The model "Analyse series" uses."""
        return self._model_id

    def is_running(self) -> bool:
        """True while a triage runs (or its result is on its way)."""
        return self._runner.is_busy()

    def set_models(self, model_ids: list[str], classifier_id: str | None) -> None:
        """Offer ``model_ids``; pick the default for the series on screen (the tumour-slice model for CT, else the
        slice classifier ``classifier_id``)."""
        self._model_id = default_triage_id(model_ids, self._window.current_series(), classifier_id)
        self.panel.set_triage_models(model_ids, self._model_id, TRIAGE_MODEL_LABELS)

    def analyse(self) -> None:
        """Score every slice of the series on screen in the background with the triage model."""
        series = self._window.current_series()
        store = self._window.loader.store
        if series is None or store is None or store.series is not series or self._model_id is None:
            return
        self._shown_key = None
        self.strip.set_probabilities(None)
        self.panel.set_suspicious([])
        self.panel.set_triage_running(True)
        self.panel.set_triage_status(f"Scoring {len(series)} slices with {self._model_id}…")
        job = functools.partial(triage_job, lesions=self._lesions)
        self._runner.submit(job, self._cache, self._model_id, store, with_progress=True)

    def show_found_lesions(self, model_id: str) -> None:
        """Show the series result of lesion model ``model_id`` once a slice analysis has computed it (its cache
        answers at once); nothing when another triage model is chosen or the result is already shown."""
        series = self._window.current_series()
        if model_id != self._model_id or self.is_running() or series is None or self._shown_key == series.key:
            return
        self.analyse()

    def cancel(self) -> None:
        """Stop the triage at its next batch; its partial result is dropped."""
        self._runner.cancel()
        self.panel.set_triage_running(False)
        self.panel.set_triage_status("Series analysis cancelled.")

    def clear(self) -> None:
        """A new series is on screen: stop the triage and remove every result of the old one."""
        self._runner.cancel()
        self._shown_key = None
        self.panel.set_triage_running(False)
        self.panel.set_triage_status("")
        self.panel.set_suspicious([])
        self.panel.set_findings(None)
        self.strip.set_probabilities(None)
        self.strip.set_findings(())
        self._show_lesions(None)

    def set_current(self, index: int) -> None:
        """Mark slice ``index`` in the strip."""
        self.strip.set_current(index)

    @Slot(int, object)
    def _on_triage_finished(self, _generation: int, outcome: TriageOutcome) -> None:
        self.panel.set_triage_running(False)
        series = self._window.current_series()
        result = outcome.result
        if series is None or series.key != result.series_uid:
            return
        self._shown_key = series.key
        if outcome.lesions is not None and outcome.lesions.not_evaluable:
            self._show_not_evaluable(outcome.lesions.not_evaluable)
            return
        self.strip.set_probabilities(result.cancer_probabilities, outcome.threshold)
        self.strip.set_current(self._window.current_index())
        if outcome.lesions is not None:
            self.strip.set_findings([lesion.indices for lesion in outcome.lesions.findings])
            self.panel.set_findings(finding_rows(outcome.lesions))
            self._show_lesions(outcome.lesions)
        self.panel.set_suspicious(suspicious_rows(series, result))
        self.panel.set_triage_status(triage_notes(series, result))
        self.triage_shown.emit(result)

    @Slot(int, object)
    def _on_triage_failed(self, _generation: int, error: object) -> None:
        self.panel.set_triage_running(False)
        self.panel.set_triage_status(f"Series analysis failed: {error}")

    def _show_not_evaluable(self, reason: str) -> None:
        """Say that the model could not read the series: no scores, no findings, and not a negative result."""
        self.strip.set_probabilities(None)
        self.strip.set_findings([])
        self.panel.set_findings(None)
        self.panel.set_suspicious([])
        self.panel.set_triage_status(not_evaluable_sentence(reason))
        self._show_lesions(None)

    def _show_lesions(self, lesions: SeriesLesions | None) -> None:
        """Hand the findings to the window's views (boxes on the slices they span), where the window draws them."""
        show = getattr(self._window, "show_lesions", None)
        if show is not None:
            show(lesions)

    def _on_triage_model_selected(self, model_id: str) -> None:
        self._model_id = model_id or None
