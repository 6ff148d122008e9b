"""A series the lesion model cannot read (real slices below the lungs) reads as such in the AI panel: a sentence,
no scores, no findings, no boxes; never "nothing found"."""

import shutil

import pytest

from lungview.inference.model_choice import LESION_MODEL
from lungview.models.card import read_card
from lungview.paths import weights_dir
from lungview.qt.ai_controller import install_ai_panel

FINDER = LESION_MODEL
SENTENCE = "The AI cannot read this series: no lung found."


@pytest.mark.shared_data
def test_slices_below_the_lungs_say_the_ai_cannot_read_them(qtbot, main_window, shared_data, tmp_path):
    from lungview.dicom import scan_paths

    if not read_card(weights_dir() / FINDER).lesion_finder:
        pytest.skip("the shipped lesion model is not a lesion finder")
    (series,) = [s for s in scan_paths([shared_data / "dicom" / "4d-lung-113_HM10395-40"]).series if s.modality == "CT"]
    folder = tmp_path / "abdomen"
    folder.mkdir()
    for ref in series.slices[:31]:  # the upper abdomen, below the lung bases
        shutil.copy(ref.path, folder)
    with qtbot.waitSignal(main_window.loading_finished, timeout=60_000):
        main_window.open_paths([str(folder)])
    controller = install_ai_panel(main_window)
    qtbot.waitUntil(lambda: controller.triage_model_id() == FINDER, timeout=30_000)

    controller.panel.triage_button.click()
    qtbot.waitUntil(lambda: controller.panel.triage_status.text().startswith(SENTENCE), timeout=60_000)
    controller.analyse_current()  # one slice asks the same finder: the same sentence
    qtbot.waitUntil(lambda: controller.panel.status_label.text().startswith(SENTENCE), timeout=60_000)

    assert "not a negative result" in controller.panel.triage_status.text()
    assert controller.panel.findings_list.count() == 0 and controller.strip._findings == []
    assert main_window.lesions() is None
