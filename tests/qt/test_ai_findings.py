"""The shipped lesion finder in the real main window: findings list, strip marks, boxes and one decision per slice."""

import pytest

from lungview.models.card import read_card
from lungview.paths import weights_dir
from lungview.qt.ai_controller import install_ai_panel

FINDER = "ct-lesion-seg"


@pytest.fixture
def finder_controller(qtbot, sample_window):
    if not read_card(weights_dir() / FINDER).lesion_finder:
        pytest.skip("the shipped ct-lesion-seg is not a lesion finder")
    controller = install_ai_panel(sample_window)
    qtbot.waitUntil(lambda: controller.model_id() == FINDER and controller.triage_model_id() == FINDER, timeout=30_000)
    return controller


def test_series_analysis_lists_findings_marks_the_strip_and_draws_boxes(qtbot, sample_window, finder_controller):
    panel, strip = finder_controller.panel, finder_controller.strip
    assert "Analyse the series" in panel.findings_label.text()
    with qtbot.waitSignal(finder_controller.triage_shown, timeout=120_000):
        panel.triage_button.click()
    lesions = sample_window.lesions()
    assert lesions is not None and lesions.findings
    assert panel.findings_list.count() == len(lesions.findings)
    assert strip._findings == [lesion.indices for lesion in lesions.findings]
    top = lesions.findings[0]
    panel.findings_list.itemClicked.emit(panel.findings_list.item(0))
    assert sample_window.current_index() == top.centre_index


def test_the_table_and_the_strip_give_one_decision_per_slice(qtbot, sample_window, finder_controller):
    with qtbot.waitSignal(finder_controller.triage_shown, timeout=120_000) as shown:
        finder_controller.panel.triage_button.click()
    probabilities = shown.args[0].cancer_probabilities
    threshold = read_card(weights_dir() / FINDER).threshold
    for index in (int(probabilities.argmax()), int(probabilities.argmin())):
        sample_window.set_slice(index)
        shown = finder_controller.analysis_shown
        with qtbot.waitSignal(shown, timeout=60_000, check_params_cb=lambda a: a is not None) as got:
            finder_controller.analyse_current()
        prediction = got.args[0].classification.prediction
        assert prediction.cancer_probability == pytest.approx(float(probabilities[index]), abs=1e-6)
        assert (prediction.predicted == "tumour") is (prediction.cancer_probability >= threshold)
        side = "at or above" if prediction.cancer_probability >= threshold else "below"
        assert side in finder_controller.panel.cancer_label.text()
