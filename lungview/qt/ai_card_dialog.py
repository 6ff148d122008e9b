"""The model card one click away: ``card.json`` and the evaluation report ``report/report.md`` in a dialog."""

from pathlib import Path

from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QPlainTextEdit, QTabWidget, QTextBrowser, QVBoxLayout, QWidget

from lungview import INTENDED_USE


def _read_text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


class ModelCardDialog(QDialog):
    """Tabs with the evaluation report (rendered Markdown) and the raw model card of the model in ``folder``."""

    def __init__(self, model_id: str, folder: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Model card — {model_id}")
        self.resize(760, 640)
        self.tabs = QTabWidget(self)
        report = _read_text(folder / "report" / "report.md")
        if report is not None:
            browser = QTextBrowser(self)
            browser.setSearchPaths([str(folder / "report")])  # the report's plots sit beside it
            browser.setMarkdown(report)
            self.tabs.addTab(browser, "Evaluation report")
        card = QPlainTextEdit(self)
        card.setReadOnly(True)
        card.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        card.setPlainText(_read_text(folder / "card.json") or f"No card.json in {folder}.")
        self.tabs.addTab(card, "card.json")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        layout.addWidget(buttons)
        self.setToolTip(INTENDED_USE)
