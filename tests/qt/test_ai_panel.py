"""The AI panel in the real main window with a slow fake classifier: no stale result, triage, model card."""

import subprocess
import sys
import time

import numpy as np
import pytest
from ai.fakes import SlowFakeClassifier
from PySide6.QtCore import Qt

from lungview import INTENDED_USE
from lungview.inference.cache import ClassifierCache
from lungview.qt.ai_controller import install_ai_panel


def _install(window, fake: SlowFakeClassifier, weights_dir=None):
    cache = ClassifierCache(weights_dir, loader=lambda _model_id: fake, lister=lambda: [fake.card.id])
    return install_ai_panel(window, cache)


@pytest.fixture
def fake():
    return SlowFakeClassifier(delay=0.08)


@pytest.fixture
def controller(qtbot, sample_window, fake):
    ai = _install(sample_window, fake)
    panel = ai.panel
    qtbot.waitUntil(lambda: panel.model_box.count() == 1 and panel.status_label.text() == "", timeout=10_000)
    return ai


def test_importing_the_panel_does_not_import_torch():
    code = "import sys, lungview.qt.ai_controller; print('torch' in sys.modules)"
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert output.strip() == "False"


def test_panel_shows_intended_use_and_no_lung_rads(controller):
    panel = controller.panel
    assert panel.intended_use_label.text() == INTENDED_USE
    assert "No Lung-RADS" in panel.no_lung_rads_label.text()
    assert "slow-fake" in panel.model_label.text() and "version test" in panel.model_label.text()


def test_analyse_fills_the_table_for_the_slice_on_screen(qtbot, sample_window, controller, fake):
    with qtbot.waitSignal(controller.analysis_shown, timeout=10_000) as shown:
        controller.panel.analyse_button.click()
        assert controller.panel.status_label.text() == "analysing…"
    analysis = shown.args[0]
    assert analysis.index == sample_window.current_index()
    expected = fake.expected(sample_window.current_image())
    assert controller.panel.table.shown_probability("tumour") == pytest.approx(expected, abs=1e-3)
    assert "threshold 0.500" in controller.panel.cancer_label.text()


def test_result_for_a_slice_the_user_left_is_dropped(qtbot, sample_window, controller, fake):
    fake.delay = 0.4
    shown = []
    controller.analysis_shown.connect(lambda analysis: shown.append(analysis))
    controller.analyse_current()
    qtbot.waitUntil(lambda: fake.calls == 1, timeout=10_000)  # the job is running when the user leaves
    sample_window.step_slice(1)
    qtbot.wait(900)
    assert [a for a in shown if a is not None] == []
    assert controller.panel.table.shown_probability("tumour") is None


def test_fast_scrolling_with_auto_never_shows_a_stale_result(qtbot, sample_window, controller, fake):
    problems = []

    def check(analysis) -> None:
        if analysis is None:
            return
        if analysis.index != sample_window.current_index():
            problems.append(f"result for slice {analysis.index} shown on slice {sample_window.current_index()}")
        image = sample_window.current_image()
        probability = analysis.classification.prediction.cancer_probability
        if image is not None and abs(probability - fake.expected(image)) > 1e-6:
            problems.append(f"result on slice {analysis.index} is another slice's")

    controller.analysis_shown.connect(check)
    controller.panel.auto_box.setChecked(True)
    rng = np.random.default_rng(3)
    for step in rng.integers(-3, 4, size=60):
        sample_window.step_slice(int(step))
        qtbot.wait(int(rng.integers(5, 60)))
        shown = controller.panel.table.shown_probability("tumour")
        image = sample_window.current_image()
        if shown is not None and image is not None and abs(shown - fake.expected(image)) > 1e-3:
            problems.append(f"table shows another slice's probability on slice {sample_window.current_index()}")
    final = sample_window.current_index()
    qtbot.waitUntil(lambda: controller.current_analysis() is not None, timeout=10_000)
    assert controller.current_analysis().index == final
    assert problems == []
    assert fake.calls < 60  # superseded requests were never run


def test_triage_fills_the_strip_and_jumps_to_suspicious_slices(qtbot, sample_window, controller):
    panel = controller.panel
    with qtbot.waitSignal(controller.triage_shown, timeout=30_000) as shown:
        panel.triage_button.click()
    result = shown.args[0]
    assert result.complete and len(result.cancer_probabilities) == 30
    strip = controller.strip
    assert strip.isVisible() and np.allclose(strip.probabilities(), result.cancer_probabilities)
    assert panel.suspicious_list.count() == 10
    best, _ = result.most_suspicious(1)[0]
    item = panel.suspicious_list.item(0)
    panel.suspicious_list.itemClicked.emit(item)
    assert sample_window.current_index() == best
    strip_x = strip._groove().left() + 3 * strip._groove().width() / 29
    qtbot.mouseClick(strip, Qt.MouseButton.LeftButton, pos=strip.rect().center().__class__(round(strip_x), 5))
    assert sample_window.current_index() == 3


def test_triage_cancel(qtbot, sample_window, controller, fake):
    fake.delay = 0.3
    panel = controller.panel
    panel.triage_button.click()
    qtbot.waitUntil(lambda: fake.calls >= 1, timeout=10_000)
    panel.triage_cancel_button.click()
    assert not panel.triage_button.isHidden() and panel.triage_progress.isHidden()
    assert "cancelled" in panel.triage_status.text()
    qtbot.waitUntil(lambda: not controller.series_ai.is_running(), timeout=10_000)
    assert not controller.strip.isVisible()


def test_model_card_dialog(qtbot, tmp_path, sample_window, fake):
    folder = tmp_path / "weights" / fake.card.id
    (folder / "report").mkdir(parents=True)
    (folder / "card.json").write_text('{"id": "slow-fake"}')
    (folder / "report" / "report.md").write_text("# Evaluation\n\nAUC 0.5")
    ai = _install(sample_window, fake, tmp_path / "weights")
    qtbot.waitUntil(lambda: ai.panel.card_button.isEnabled(), timeout=10_000)
    ai.panel.card_button.click()
    dialog = ai.card_dialog
    qtbot.addWidget(dialog)
    assert [dialog.tabs.tabText(i) for i in range(dialog.tabs.count())] == ["Evaluation report", "card.json"]
    assert "slow-fake" in dialog.tabs.widget(1).toPlainText()
    dialog.close()


def test_out_of_scope_badge(controller):
    panel = controller.panel
    panel.set_out_of_scope(("not axial (slice normal 90° from head-foot)",))
    assert not panel.scope_badge.isHidden() and "not axial" in panel.scope_badge.text()
    panel.set_out_of_scope(())
    assert panel.scope_badge.isHidden()


def test_a_request_made_while_models_load_is_served_once_ready(qtbot, sample_window, fake):
    def slow_lister():
        time.sleep(0.3)
        return [fake.card.id]

    ai = install_ai_panel(sample_window, ClassifierCache(loader=lambda _id: fake, lister=slow_lister))
    assert ai.model_id() is None and ai.panel.status_label.text() == "loading model…"
    with qtbot.waitSignal(ai.analysis_shown, timeout=10_000, check_params_cb=lambda a: a is not None) as shown:
        ai.analyse_current()
    assert shown.args[0].index == sample_window.current_index()


def test_only_the_heatmap_methods_of_the_back_end_are_offered(qtbot, sample_window):
    fake = SlowFakeClassifier(delay=0.01)
    fake.cam_methods = ("gradcam",)  # as the back end without PyTorch
    panel = _install(sample_window, fake).panel
    panel.cam_method_box.setCurrentIndex(panel.cam_method_box.findData("eigencam"))
    qtbot.waitUntil(lambda: panel.model_box.count() == 1 and panel.status_label.text() == "", timeout=10_000)
    items = panel.cam_method_box.model()
    enabled = [panel.cam_method_box.itemData(row) for row in range(items.rowCount()) if items.item(row).isEnabled()]
    assert enabled == ["gradcam"]
    assert panel.cam_method() == "gradcam"
    assert "needs PyTorch" in items.item(panel.cam_method_box.findData("eigencam")).toolTip()
