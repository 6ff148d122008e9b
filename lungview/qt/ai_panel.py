"""The AI panel: model choice, confidence table, attention overlay controls and series triage. A view only.

:class:`~lungview.qt.ai_controller.AiController` runs the models and calls the ``set_*`` methods; the panel only
shows state and emits what the user asked for. No Lung-RADS category is ever shown: a slice classifier cannot
measure nodule type and size.
"""

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QSlider,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from lungview import INTENDED_USE
from lungview.qt.ai_confidence_table import ConfidenceTable
from lungview.qt.ai_overlay import ATTENTION_LABEL, ColourLegend

#: CAM method key (as :data:`lungview.models.prediction.CAM_METHODS`) -> label in the method menu.
CAM_METHOD_LABELS = {
    "gradcam": "Grad-CAM",
    "gradcam++": "Grad-CAM++",
    "hirescam": "HiResCAM",
    "layercam": "LayerCAM",
    "eigencam": "EigenCAM",
}
#: Tooltip of a method the back end cannot compute (the build without PyTorch computes Grad-CAM only).
UNAVAILABLE_CAM_METHOD = "needs PyTorch, which this build of LungView does not include"
DEFAULT_OPACITY_PERCENT = 40
NO_LUNG_RADS = "No Lung-RADS category from the model: the category stays the reader's."
OUT_OF_SCOPE_STYLE = "background: #c77700; color: white; padding: 3px; border-radius: 3px; font-weight: bold;"


class AiPanel(QWidget):
    """The AI second reader's dock. See the signals for what the user can ask."""

    model_selected = Signal(str)
    card_requested = Signal()
    analyse_requested = Signal()
    auto_toggled = Signal(bool)
    class_clicked = Signal(str)
    cam_method_selected = Signal(str)
    opacity_changed = Signal(float)
    triage_model_selected = Signal(str)
    triage_requested = Signal()
    triage_cancel_requested = Signal()
    suspicious_slice_selected = Signal(int)
    finding_selected = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.intended_use_label = QLabel(INTENDED_USE, self)
        self.intended_use_label.setWordWrap(True)
        self.intended_use_label.setStyleSheet("font-weight: bold;")
        self.model_box = QComboBox(self)
        self.model_box.setToolTip("The model that classifies the slice")
        self.card_button = QPushButton("Model card…", self)
        self.card_button.setEnabled(False)
        self.status_label = QLabel("loading model…", self)
        self.scope_badge = QLabel(self)
        self.scope_badge.setWordWrap(True)
        self.scope_badge.setStyleSheet(OUT_OF_SCOPE_STYLE)
        self.scope_badge.hide()
        self.analyse_button = QPushButton("Analyse slice", self)
        self.auto_box = QCheckBox("Auto (every slice I stop on)", self)
        self.table = ConfidenceTable(self)
        self.cancer_label = QLabel(self)
        self.cancer_label.setWordWrap(True)
        self.model_label = QLabel(self)
        self.model_label.setWordWrap(True)
        self.no_lung_rads_label = QLabel(NO_LUNG_RADS, self)
        self.no_lung_rads_label.setWordWrap(True)
        self.no_lung_rads_label.setStyleSheet("color: gray;")

        self.cam_button = QToolButton(self)
        self.cam_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.cam_method_box = QComboBox(self)
        for key, label in CAM_METHOD_LABELS.items():
            self.cam_method_box.addItem(label, key)
        self.opacity_slider = QSlider(Qt.Orientation.Horizontal, self)
        self.opacity_slider.setRange(0, 100)
        self.opacity_slider.setValue(DEFAULT_OPACITY_PERCENT)
        self.opacity_slider.setToolTip("Overlay opacity")
        self.legend = ColourLegend(self)
        self.attention_label = QLabel(ATTENTION_LABEL, self)
        self.attention_label.setStyleSheet("font-style: italic;")
        self.cam_class_label = QLabel(self)
        self.cam_class_label.setWordWrap(True)

        self.triage_model_box = QComboBox(self)
        self.triage_model_box.setToolTip("The model that scores every slice of the series")
        self.triage_button = QPushButton("Analyse series", self)
        self.triage_progress = QProgressBar(self)
        self.triage_cancel_button = QPushButton("Cancel", self)
        self.suspicious_list = QListWidget(self)
        self.suspicious_list.setToolTip("The most suspicious slices; click to go there")
        self.suspicious_list.setMinimumHeight(self.fontMetrics().height() * 6)
        self.findings_list = QListWidget(self)
        self.findings_list.setToolTip(
            "Lesion findings at or above the model's threshold; click to go to the finding's centre slice"
        )
        self.findings_list.setMinimumHeight(self.fontMetrics().height() * 5)
        self.findings_label = QLabel(self)
        self.findings_label.setWordWrap(True)
        self.triage_status = QLabel(self)
        self.triage_status.setWordWrap(True)
        self.set_triage_running(False)
        self.set_findings(None)

        self._lay_out()
        self._connect()

    # ----------------------------------------------------------------- layout
    def _lay_out(self) -> None:
        model_row = QHBoxLayout()
        model_row.addWidget(self.model_box, stretch=1)
        model_row.addWidget(self.card_button)
        analyse_row = QHBoxLayout()
        analyse_row.addWidget(self.analyse_button)
        analyse_row.addWidget(self.auto_box)
        slice_group = QGroupBox("This slice", self)
        slice_layout = QVBoxLayout(slice_group)
        slice_layout.addLayout(model_row)
        slice_layout.addLayout(analyse_row)
        slice_layout.addWidget(self.status_label)
        slice_layout.addWidget(self.scope_badge)
        slice_layout.addWidget(self.table)
        slice_layout.addWidget(self.cancer_label)
        slice_layout.addWidget(self.model_label)
        slice_layout.addWidget(self.no_lung_rads_label)

        cam_group = QGroupBox("Attention overlay", self)
        cam_form = QFormLayout(cam_group)
        cam_form.addRow(self.cam_button, self.cam_method_box)
        cam_form.addRow("Opacity", self.opacity_slider)
        cam_form.addRow(self.legend)
        cam_form.addRow(self.attention_label)
        cam_form.addRow(self.cam_class_label)

        triage_group = QGroupBox("Series triage", self)
        triage_layout = QVBoxLayout(triage_group)
        triage_row = QHBoxLayout()
        triage_row.addWidget(self.triage_model_box, stretch=1)
        triage_row.addWidget(self.triage_button)
        progress_row = QHBoxLayout()
        progress_row.addWidget(self.triage_progress, stretch=1)
        progress_row.addWidget(self.triage_cancel_button)
        triage_layout.addLayout(triage_row)
        triage_layout.addLayout(progress_row)
        triage_layout.addWidget(self.triage_status)
        triage_layout.addWidget(QLabel("Findings (3-D lesion candidates):", self))
        triage_layout.addWidget(self.findings_label)
        triage_layout.addWidget(self.findings_list)
        triage_layout.addWidget(QLabel("Most suspicious slices:", self))
        triage_layout.addWidget(self.suspicious_list)

        layout = QVBoxLayout(self)
        layout.addWidget(self.intended_use_label)
        layout.addWidget(slice_group, stretch=2)
        layout.addWidget(cam_group)
        layout.addWidget(triage_group, stretch=1)

    def _connect(self) -> None:
        self.model_box.activated.connect(lambda _i: self.model_selected.emit(self.model_box.currentData() or ""))
        self.triage_model_box.activated.connect(
            lambda _i: self.triage_model_selected.emit(self.triage_model_box.currentData() or "")
        )
        self.card_button.clicked.connect(self.card_requested)
        self.analyse_button.clicked.connect(self.analyse_requested)
        self.auto_box.toggled.connect(self.auto_toggled)
        self.table.class_clicked.connect(self.class_clicked)
        self.cam_method_box.activated.connect(
            lambda _i: self.cam_method_selected.emit(self.cam_method_box.currentData())
        )
        self.opacity_slider.valueChanged.connect(lambda value: self.opacity_changed.emit(value / 100.0))
        self.triage_button.clicked.connect(self.triage_requested)
        self.triage_cancel_button.clicked.connect(self.triage_cancel_requested)
        self.suspicious_list.itemClicked.connect(self._on_suspicious_clicked)
        self.findings_list.itemClicked.connect(
            lambda item: self.finding_selected.emit(int(item.data(Qt.ItemDataRole.UserRole)))
        )

    # ----------------------------------------------------------------- inputs
    def set_models(self, model_ids: list[str], selected: str | None) -> None:
        """Fill the model selector."""
        _fill(self.model_box, model_ids, selected)
        self.card_button.setEnabled(selected is not None)

    def set_triage_models(self, model_ids: list[str], selected: str | None, labels: dict[str, str]) -> None:
        """Fill the triage model selector; ``labels`` adds a note to some ids (e.g. "for CT series")."""
        _fill(self.triage_model_box, model_ids, selected, labels)

    def set_status(self, text: str) -> None:
        """``loading model…``, ``analysing…``, a failure, or empty."""
        self.status_label.setText(text)

    def set_out_of_scope(self, reasons: tuple[str, ...]) -> None:
        """Show the out-of-scope badge with its reasons; an empty tuple hides it."""
        self.scope_badge.setText("Out of scope — " + "; ".join(reasons) if reasons else "")
        self.scope_badge.setVisible(bool(reasons))

    def set_classes(self, classes: tuple[str, ...], model_text: str) -> None:
        """The selected model's classes and its name and version."""
        self.table.set_classes(classes)
        self.model_label.setText(model_text)

    def set_result(self, probabilities: dict[str, float] | None, predicted: str | None,
                   cancer_probability: float | None, threshold: float | None) -> None:
        """Show one slice's calibrated probabilities, or clear them (None)."""
        self.table.set_probabilities(probabilities, predicted)
        if cancer_probability is None or threshold is None:
            self.cancer_label.setText("")
            return
        side = "at or above" if cancer_probability >= threshold else "below"
        self.cancer_label.setText(
            f"Cancer probability <b>{cancer_probability:.3f}</b> — {side} the model's threshold {threshold:.3f}"
        )

    def set_cam_class(self, class_name: str | None, predicted: bool) -> None:
        """Say which class the overlay explains, and highlight it in the table."""
        self.table.select_class(class_name)
        if class_name is None:
            self.cam_class_label.setText("")
        else:
            origin = "predicted class" if predicted else "chosen in the table"
            self.cam_class_label.setText(f"For: {class_name} ({origin}; click a class to change)")

    def set_cam_methods(self, methods: tuple[str, ...]) -> None:
        """Offer only the heatmap methods the model's back end computes; the others stay listed, greyed, saying why."""
        model = self.cam_method_box.model()
        for row in range(self.cam_method_box.count()):
            available = self.cam_method_box.itemData(row) in methods
            model.item(row).setEnabled(available)
            model.item(row).setToolTip("" if available else UNAVAILABLE_CAM_METHOD)
        if self.cam_method() not in methods and methods:
            self.cam_method_box.setCurrentIndex(self.cam_method_box.findData(methods[0]))

    def cam_method(self) -> str:
        return self.cam_method_box.currentData()

    def opacity(self) -> float:
        return self.opacity_slider.value() / 100.0

    def set_triage_running(self, running: bool) -> None:
        """Show the progress bar and Cancel while a triage runs."""
        self.triage_progress.setVisible(running)
        self.triage_cancel_button.setVisible(running)
        self.triage_button.setEnabled(not running)
        if running:
            self.triage_progress.setRange(0, 0)

    def set_triage_progress(self, done: int, total: int) -> None:
        self.triage_progress.setRange(0, max(total, 1))
        self.triage_progress.setValue(done)

    def set_triage_status(self, text: str) -> None:
        self.triage_status.setText(text)

    def set_suspicious(self, slices: list[tuple[int, float, str]]) -> None:
        """List (index, cancer probability, label) entries, most suspicious first."""
        self.suspicious_list.clear()
        for index, probability, label in slices:
            item = QListWidgetItem(f"{label} — {probability:.3f}")
            item.setData(Qt.ItemDataRole.UserRole, index)
            self.suspicious_list.addItem(item)

    def set_findings(self, findings: list[tuple[int, float, tuple[int, ...], str, int]] | None) -> None:
        """List (rank, score, slice indices, description, centre slice) findings, best first; None before an
        analysis; an empty list says plainly that no finding reached the threshold."""
        self.findings_list.clear()
        self.findings_list.setVisible(bool(findings))
        if findings is None:
            self.findings_label.setText("Analyse the series to find lesions.")
            return
        if not findings:
            self.findings_label.setText("No finding at or above the model's threshold.")
            return
        self.findings_label.setText(f"{len(findings)} finding(s) at or above the model's threshold (key B: boxes).")
        for rank, score, indices, description, centre in findings:
            span = f"slices {indices[0] + 1}–{indices[-1] + 1}" if len(indices) > 1 else f"slice {indices[0] + 1}"
            item = QListWidgetItem(f"#{rank}  {score:.2f}  {span}  {description}")
            item.setData(Qt.ItemDataRole.UserRole, centre)
            self.findings_list.addItem(item)

    @Slot(QListWidgetItem)
    def _on_suspicious_clicked(self, item: QListWidgetItem) -> None:
        self.suspicious_slice_selected.emit(int(item.data(Qt.ItemDataRole.UserRole)))


def _fill(box: QComboBox, model_ids: list[str], selected: str | None, labels: dict[str, str] | None = None) -> None:
    box.blockSignals(True)
    box.clear()
    for model_id in model_ids:
        note = (labels or {}).get(model_id)
        box.addItem(f"{model_id} ({note})" if note else model_id, model_id)
    if selected in model_ids:
        box.setCurrentIndex(model_ids.index(selected))
    box.setEnabled(bool(model_ids))
    box.blockSignals(False)
