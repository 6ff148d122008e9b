"""A slice analysed with the lesion model brings the series' findings with it: the whole series was analysed for
that slice, so the findings list, the strip and the outlines show the same result without a second request."""

from lungview.inference.model_choice import LESION_MODEL
from lungview.qt.ai_controller import install_ai_panel


def test_analysing_one_slice_lists_the_series_findings(qtbot, main_window, sample_series_dir):
    with qtbot.waitSignal(main_window.loading_finished, timeout=60_000):
        main_window.open_paths([str(sample_series_dir)])
    controller = install_ai_panel(main_window)
    qtbot.waitUntil(lambda: controller.model_id() == LESION_MODEL and controller.model_backend(), timeout=60_000)
    main_window.set_slice(15)

    with qtbot.waitSignal(controller.triage_shown, timeout=120_000):
        controller.analyse_current()

    lesions = main_window.lesions()
    assert lesions is not None and lesions.findings
    assert controller.panel.findings_list.count() == len(lesions.findings)
    assert controller.current_analysis().classification.prediction.cancer_probability == lesions.slice_scores[15]
