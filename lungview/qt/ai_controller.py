"""Wire the AI second reader into the main window: background models, the confidence table and the overlay of the
slice on screen; the series triage is :class:`~lungview.qt.ai_series.SeriesAi`'s.

Everything slow runs on the window's latest-request-wins runners (STYLE.md): listing and loading models, one
slice's classification and its Grad-CAM (grad mode on in that worker, ``pytorch_grad_cam`` imported there).
Nothing here imports torch. A result is shown only while its slice, series, model (and, for the overlay, class and
method) are still the ones on screen; anything else is dropped.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFrame, QScrollArea

from lungview.findings import ReviewedSlice, reviewed_slice
from lungview.inference.cache import ClassifierCache
from lungview.inference.model_choice import default_classifier_id
from lungview.inference.series_analysis import LesionsCache, attention_class
from lungview.inference.viewer_jobs import ModelReady, ModelsFound, cam_job, classify_job, find_models, load_model_job
from lungview.qt.ai_card_dialog import ModelCardDialog
from lungview.qt.ai_overlay import ATTENTION_LABEL, heatmap_rgba
from lungview.qt.ai_panel import AiPanel
from lungview.qt.ai_series import SeriesAi
from lungview.qt.ai_strip import ProbabilityStrip
from lungview.qt.errors import show_error
from lungview.reports import AiResult, AiSnapshot, ModelSummary

if TYPE_CHECKING:
    from lungview.inference.jobs import SliceAnalysis, SliceAttention
    from lungview.volume import Series

log = logging.getLogger(__name__)

AUTO_DELAY_MS = 150
"""With "auto" on, a slice is classified once the user has stayed on it this long."""


class AiController(QObject):
    """Runs the models for ``window`` and shows their results in ``panel`` and the slice view; ``series_ai`` (a
    :class:`~lungview.qt.ai_series.SeriesAi`) triages the whole series into ``panel`` and ``strip``.

    Signals
    -------
    analysis_shown(object)
        The :class:`~lungview.inference.jobs.SliceAnalysis` now in the table, or None when it was cleared.
    overlay_shown(object)
        The :class:`~lungview.inference.jobs.SliceAttention` now drawn over the slice, or None.
    triage_shown(object)
        The :class:`~lungview.inference.jobs.TriageResult` now in the strip (``series_ai.triage_shown``).
    """

    analysis_shown = Signal(object)
    overlay_shown = Signal(object)
    triage_shown = Signal(object)

    def __init__(self, window, panel: AiPanel, strip: ProbabilityStrip, cache: ClassifierCache | None = None,
                 auto_delay_ms: int = AUTO_DELAY_MS) -> None:
        super().__init__(window)
        self._window = window
        self.panel = panel
        self.strip = strip
        self._cache = cache or ClassifierCache()
        self._lesions = LesionsCache()
        self._model_runner = window.create_runner("ai-model")
        self._classify_runner = window.create_runner("ai-classify")
        self._cam_runner = window.create_runner("ai-cam")
        self.series_ai = SeriesAi(window, panel, strip, self._cache, self._lesions)
        self._model_ids: list[str] = []
        self._model_id: str | None = None
        self._model_chosen_by_user = False
        """Once the user picks a classifier, a new series no longer switches to that series' default."""
        self._ready: dict[str, ModelReady] = {}
        self._analyses: dict[tuple[str, str, int], SliceAnalysis] = {}
        self._analysis: SliceAnalysis | None = None
        self._attention: SliceAttention | None = None
        self._chosen_class: str | None = None
        self._analysis_wanted = False
        self.card_dialog: ModelCardDialog | None = None
        self._auto_timer = QTimer(self)
        self._auto_timer.setSingleShot(True)
        self._auto_timer.setInterval(auto_delay_ms)
        self.cam_action = QAction("Model attention overlay", window)
        self.cam_action.setCheckable(True)
        self.cam_action.setShortcut(QKeySequence("C"))
        self.cam_action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.cam_action.setToolTip(f"Show the Grad-CAM overlay (C): {ATTENTION_LABEL}")
        window.add_shortcut_action(self.cam_action)
        window.view_menu.addAction(self.cam_action)
        panel.cam_button.setDefaultAction(self.cam_action)
        self._connect()
        self._model_runner.submit(find_models, self._cache)

    def _connect(self) -> None:
        window, panel = self._window, self.panel
        window.slice_changed.connect(self._on_slice_changed)
        window.slice_displayed.connect(self._on_slice_displayed)
        window.series_changed.connect(self._on_series_changed)
        self._auto_timer.timeout.connect(self.analyse_current)
        self._model_runner.connect_outcomes(self._on_model_job_finished, self._on_model_failed)
        self._classify_runner.connect_outcomes(self._on_classified, self._on_classify_failed)
        self._cam_runner.connect_outcomes(self._on_cam_finished, self._on_cam_failed)
        self.series_ai.triage_shown.connect(self.triage_shown)
        self.cam_action.toggled.connect(self._on_cam_toggled)
        panel.model_selected.connect(self._on_model_chosen)
        panel.card_requested.connect(self.show_model_card)
        panel.analyse_requested.connect(self.analyse_current)
        panel.auto_toggled.connect(self._on_auto_toggled)
        panel.class_clicked.connect(self.choose_cam_class)
        panel.cam_method_selected.connect(lambda _method: self._request_cam())
        panel.opacity_changed.connect(lambda _opacity: self._draw_overlay())

    # ================================================================ state for other panels
    def model_id(self) -> str | None:
        """The selected slice classifier."""
        return self._model_id

    def current_analysis(self) -> SliceAnalysis | None:
        """The result in the table: always for the slice, series and model on screen."""
        return self._analysis

    def current_attention(self) -> SliceAttention | None:
        """The overlay drawn on the slice, or None."""
        return self._attention

    def model_backend(self) -> str | None:
        """What computes the selected model's probabilities (``onnxruntime`` or ``torch``), None until loaded."""
        ready = self._ready.get(self._model_id or "")
        return None if ready is None else ready.backend

    def triage_model_id(self) -> str | None:
        """The model "Analyse series" uses."""
        return self.series_ai.model_id()

    def forget_results(self) -> None:
        """Drop the results kept for slices already classified (the next request runs the model again)."""
        self._analyses.clear()

    def current_reviewed(self) -> ReviewedSlice | None:
        """The slice on screen with its AI result, for the findings log; None without a result."""
        analysis, series = self._analysis, self._window.current_series()
        ready = self._ready.get(self._model_id or "")
        if analysis is None or series is None or ready is None:
            return None
        card = ready.card
        probabilities = analysis.classification.prediction.probabilities
        return reviewed_slice(series, analysis.index, card.id, card.version, card.sha256, probabilities)

    def current_snapshot(self) -> AiSnapshot | None:
        """The AI result (and overlay) on screen, for reports; None without a result."""
        analysis = self._analysis
        ready = self._ready.get(self._model_id or "")
        if analysis is None or ready is None:
            return None
        heatmap = self._attention.heatmap if self._attention is not None else None
        result = AiResult.from_prediction(analysis.classification.prediction)
        return AiSnapshot(ModelSummary.from_card(ready.card), result, heatmap)

    # ================================================================ actions
    def select_model(self, model_id: str) -> None:
        """Classify with ``model_id`` from now on (loaded in the background if it is not yet)."""
        if not model_id or model_id == self._model_id:
            return
        self._model_id = model_id
        self._clear_result()
        self.panel.set_models(self._model_ids, model_id)
        if model_id in self._ready:
            self._show_model(self._ready[model_id])
            self._maybe_analyse()
        else:
            self.panel.set_status("loading model…")
            self._model_runner.submit(load_model_job, self._cache, model_id)

    def analyse_current(self) -> None:
        """Classify the slice on screen in the background (once its pixels and the model are ready)."""
        self._auto_timer.stop()
        series, image = self._window.current_series(), self._window.current_image()
        if self._model_id not in self._ready or series is None or image is None:
            self._analysis_wanted = True  # done once the models are found and loaded and the slice is decoded
            return
        self._analysis_wanted = False
        index = self._window.current_index()
        cached = self._analyses.get((series.key, self._model_id, index))
        if cached is not None:
            self._show_analysis(cached)
            return
        self.panel.set_status("analysing…")
        store = self._window.loader.store
        store = store if store is not None and store.series is series else None
        self._classify_runner.submit(
            classify_job, self._cache, self._model_id, series, index, image, store, self._lesions
        )

    def choose_cam_class(self, class_name: str) -> None:
        """Explain ``class_name`` instead of the predicted class (turns the overlay on)."""
        self._chosen_class = class_name
        if self.cam_action.isChecked():
            self._request_cam()
        else:
            self.cam_action.setChecked(True)

    def analyse_series(self) -> None:
        """Score every slice of the series on screen in the background with the triage model."""
        self.series_ai.analyse()

    def cancel_series_analysis(self) -> None:
        """Stop the triage at its next batch; its partial result is dropped."""
        self.series_ai.cancel()

    def show_model_card(self) -> None:
        """Open the selected model's card and evaluation report."""
        if self._model_id is not None:
            self.card_dialog = ModelCardDialog(self._model_id, self._cache.model_folder(self._model_id), self._window)
            self.card_dialog.show()

    # ================================================================ window signals
    @Slot(object)
    def _on_series_changed(self, series: Series) -> None:
        if self._model_ids and not self._model_chosen_by_user:
            self.select_model(default_classifier_id(self._model_ids, [series]))
        self._analyses.clear()
        self._clear_result()
        self.series_ai.clear()
        self.series_ai.set_models(self._model_ids, self._model_id)

    @Slot(int)
    def _on_slice_changed(self, index: int) -> None:
        self._auto_timer.stop()
        self._classify_runner.cancel()
        self._cam_runner.cancel()
        self._clear_result()
        self.series_ai.set_current(index)
        series = self._window.current_series()
        cached = self._analyses.get((series.key, self._model_id or "", index)) if series else None
        if cached is not None:
            self._show_analysis(cached)
        elif self._window.current_image() is not None:
            self._on_slice_displayed(index)  # a cached slice is displayed before slice_changed is emitted

    @Slot(int)
    def _on_slice_displayed(self, index: int) -> None:
        if self._analysis is not None or index != self._window.current_index():
            return
        if self._analysis_wanted:
            self.analyse_current()
        elif self.panel.auto_box.isChecked():
            self._auto_timer.start()

    def _on_auto_toggled(self, on: bool) -> None:
        if on:
            self._maybe_analyse()

    def _maybe_analyse(self) -> None:
        if self.panel.auto_box.isChecked() or self._analysis_wanted:
            self.analyse_current()

    # ================================================================ results
    @Slot(int, object)
    def _on_model_job_finished(self, _generation: int, outcome: object) -> None:
        if isinstance(outcome, ModelsFound):
            self._model_ids = outcome.model_ids
            self.series_ai.set_models(self._model_ids, self._model_id)
            if not outcome.model_ids:
                self.panel.set_models([], None)
                self.panel.set_status("No model is installed (weights/ is empty).")
                return
            self._model_id = None
            series = self._window.current_series()
            self.select_model(default_classifier_id(self._model_ids, [series] if series else []))
            return
        self._ready[outcome.card.id] = outcome
        if outcome.card.id == self._model_id:
            self._show_model(outcome)
            self._maybe_analyse()

    @Slot(int, object)
    def _on_model_failed(self, _generation: int, error: object) -> None:
        self.panel.set_status(f"The model could not be loaded: {error}")
        show_error("The AI model could not be loaded; the viewer works without it.", error, self._window)

    @Slot(int, object)
    def _on_classified(self, _generation: int, analysis: SliceAnalysis) -> None:
        self._analyses[(analysis.series_uid, analysis.model_id, analysis.index)] = analysis
        if self._is_on_screen(analysis.series_uid, analysis.index, analysis.model_id):
            self._show_analysis(analysis)
        else:
            log.debug("dropped the result for slice %d: the user has left it", analysis.index)

    @Slot(int, object)
    def _on_classify_failed(self, _generation: int, error: object) -> None:
        not_evaluable = type(error).__name__ == "NotEvaluableError"
        self.panel.set_status(str(error) if not_evaluable else f"This slice could not be classified: {error}")

    @Slot(int, object)
    def _on_cam_finished(self, _generation: int, attention: SliceAttention) -> None:
        wanted = self._cam_target()
        if (
            self.cam_action.isChecked()
            and self._is_on_screen(attention.series_uid, attention.index, attention.model_id)
            and wanted == (attention.class_name, attention.method)
        ):
            self._attention = attention
            self.panel.set_status("")
            self._draw_overlay()

    @Slot(int, object)
    def _on_cam_failed(self, _generation: int, error: object) -> None:
        self.panel.set_status(f"The attention map could not be computed: {error}")

    # ================================================================ overlay
    @Slot(bool)
    def _on_cam_toggled(self, on: bool) -> None:
        if on:
            self._request_cam()
        else:
            self._chosen_class = None
            self._cam_runner.cancel()
            self._attention = None
            self._draw_overlay()
            self.panel.set_cam_class(None, False)

    def _cam_target(self) -> tuple[str, str] | None:
        """(class, method) the overlay should explain now, or None before a result."""
        if self._analysis is None:
            return None
        card = self._ready[self._analysis.model_id].card
        class_name = self._chosen_class or attention_class(card, self._analysis.classification.prediction)
        return class_name, self.panel.cam_method()

    def _request_cam(self) -> None:
        target = self._cam_target()
        if not self.cam_action.isChecked():
            return
        if target is None:
            self.analyse_current()  # the overlay follows once the slice is classified
            return
        class_name, method = target
        self.panel.set_cam_class(class_name, self._chosen_class is None)
        if self._attention is not None and (self._attention.class_name, self._attention.method) == target:
            return
        series, image = self._window.current_series(), self._window.current_image()
        if series is None or image is None:
            return
        self.panel.set_status("computing attention…")
        self._cam_runner.submit(
            cam_job, self._cache, self._model_id, series, self._analysis.index, image, class_name, method
        )

    def _draw_overlay(self) -> None:
        attention = self._attention if self.cam_action.isChecked() else None
        if attention is None:
            self._window.view.set_overlay(None)
        else:
            self._window.view.set_overlay(heatmap_rgba(attention.heatmap, self.panel.opacity()), ATTENTION_LABEL)
        self.overlay_shown.emit(attention)

    # ================================================================ helpers
    def _is_on_screen(self, series_uid: str, index: int, model_id: str) -> bool:
        series = self._window.current_series()
        return (
            series is not None
            and series.key == series_uid
            and index == self._window.current_index()
            and model_id == self._model_id
        )

    def _show_model(self, ready: ModelReady) -> None:
        card = ready.card
        self.panel.set_classes(card.classes, f"Model {card.id}, version {card.version} ({ready.backend})")
        self.panel.set_cam_methods(ready.cam_methods)
        self.panel.set_status("")

    def _show_analysis(self, analysis: SliceAnalysis) -> None:
        self._analysis = analysis
        prediction = analysis.classification.prediction
        threshold = self._ready[analysis.model_id].card.threshold
        self.panel.set_result(prediction.probabilities, prediction.predicted, prediction.cancer_probability, threshold)
        self.panel.set_out_of_scope(analysis.out_of_scope)
        self.panel.set_status("")
        self.analysis_shown.emit(analysis)
        if self._ready[analysis.model_id].card.lesion_finder:  # the whole series was analysed for this slice
            self.series_ai.show_found_lesions(analysis.model_id)
        if self.cam_action.isChecked():
            self._request_cam()

    def _clear_result(self) -> None:
        had_result = self._analysis is not None or self._attention is not None
        self._analysis = None
        self._attention = None
        self.panel.set_result(None, None, None, None)
        self.panel.set_out_of_scope(())
        if self._model_id in self._ready:
            self.panel.set_status("")
        self._window.view.set_overlay(None)
        if had_result:
            self.analysis_shown.emit(None)
            self.overlay_shown.emit(None)

    def _on_model_chosen(self, model_id: str) -> None:
        self._model_chosen_by_user = True
        self.select_model(model_id)


def install_ai_panel(window, cache: ClassifierCache | None = None) -> AiController:
    """Dock the AI panel in ``window`` (a MainWindow), put the probability strip above its slider, wire them."""
    panel = AiPanel(window)
    strip = ProbabilityStrip(window)
    scroller = QScrollArea(window)  # a short screen scrolls the panel instead of squeezing its parts together
    scroller.setWidgetResizable(True)
    scroller.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    scroller.setFrameShape(QFrame.Shape.NoFrame)
    scroller.setWidget(panel)
    window.add_panel(scroller, "AI second reader")
    window.add_slider_strip(strip)
    return AiController(window, panel, strip, cache)
