"""The confidence table: every class with its calibrated probability as a number and a bar."""

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QProgressBar, QTableWidget, QTableWidgetItem, QWidget

BAR_STEPS = 1000


class ConfidenceTable(QTableWidget):
    """One row per class: name and probability bar; the predicted class in bold. A view: ``set_*`` in, signals out.

    Signals
    -------
    class_clicked(str)
        The user clicked a class (to show the attention for that class).
    """

    class_clicked = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(0, 2, parent)
        self.setHorizontalHeaderLabels(["Class", "Probability"])
        self.verticalHeader().hide()
        self.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.horizontalHeader().setTextElideMode(Qt.TextElideMode.ElideRight)
        self.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setToolTip("Calibrated probability of each class. Click a class to show the model's attention for it")
        self._classes: tuple[str, ...] = ()
        self._bars: list[QProgressBar] = []
        self.cellClicked.connect(self._on_cell_clicked)

    def set_classes(self, classes: tuple[str, ...]) -> None:
        """One row per class, empty until :meth:`set_probabilities`."""
        if tuple(classes) == self._classes:
            return
        self._classes = tuple(classes)
        self.setRowCount(len(classes))
        self._bars = []
        for row, name in enumerate(classes):
            self.setItem(row, 0, QTableWidgetItem(name))
            bar = QProgressBar(self)
            bar.setRange(0, BAR_STEPS)
            bar.setTextVisible(True)
            bar.setAlignment(Qt.AlignmentFlag.AlignCenter)
            bar.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)  # a click selects the row
            self.setCellWidget(row, 1, bar)
            self._bars.append(bar)
        self.set_probabilities(None, None)
        self.resizeRowsToContents()
        rows_height = sum(self.rowHeight(row) for row in range(len(classes)))
        self.setFixedHeight(rows_height + self.horizontalHeader().sizeHint().height() + 2 * self.frameWidth())

    def set_probabilities(self, probabilities: dict[str, float] | None, predicted: str | None) -> None:
        """Show ``probabilities`` (class -> calibrated probability); None empties the bars."""
        for row, name in enumerate(self._classes):
            value = None if probabilities is None else probabilities.get(name)
            bar = self._bars[row]
            bar.setValue(0 if value is None else round(value * BAR_STEPS))
            bar.setFormat("—" if value is None else f"{value:.3f}")
            font = QFont(self.font())
            font.setBold(name == predicted)
            self.item(row, 0).setFont(font)
            self.item(row, 0).setText(f"{name}  ◀ predicted" if name == predicted else name)

    def shown_probability(self, name: str) -> float | None:
        """The probability shown for class ``name`` (None when empty)."""
        bar = self._bars[self._classes.index(name)]
        return None if bar.format() == "—" else float(bar.format())

    def select_class(self, name: str | None) -> None:
        """Highlight the row of ``name`` (the class the overlay explains); None clears it."""
        self.blockSignals(True)
        if name in self._classes:
            self.selectRow(self._classes.index(name))
        else:
            self.clearSelection()
        self.blockSignals(False)

    @Slot(int, int)
    def _on_cell_clicked(self, row: int, _column: int) -> None:
        if 0 <= row < len(self._classes):
            self.class_clicked.emit(self._classes[row])
