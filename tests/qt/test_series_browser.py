"""Series browser in the real window: one entry per series with a thumbnail; picking one shows it."""

import pydicom
from pydicom.uid import generate_uid


def _two_series_folder(sample_series_dir, folder):
    second_uid = generate_uid()
    for number, source in enumerate(sorted(sample_series_dir.glob("*.dcm"))[:6]):
        dataset = pydicom.dcmread(source)
        if number >= 3:
            dataset.SeriesInstanceUID = second_uid
            dataset.SOPInstanceUID = generate_uid()
            dataset.SeriesDescription = "second series"
        dataset.save_as(folder / f"{number}.dcm")
    return folder


def test_each_series_has_an_entry_with_a_thumbnail(qtbot, main_window, sample_series_dir, tmp_path):
    _two_series_folder(sample_series_dir, tmp_path)
    with qtbot.waitSignal(main_window.scan_finished, timeout=30_000):
        main_window.open_paths([str(tmp_path)])
    browser = main_window.series_browser
    assert browser.count() == 2
    assert all("3 slices" in browser.item(row).text() for row in range(2))
    qtbot.waitUntil(lambda: all(not browser.item(row).icon().isNull() for row in range(2)), timeout=30_000)
    first = main_window.current_series()
    with qtbot.waitSignal(main_window.series_changed) as blocker:
        browser.setCurrentRow(1)
    assert blocker.args[0] is main_window.current_series() is not first
    qtbot.waitUntil(lambda: main_window.current_image() is not None, timeout=30_000)
