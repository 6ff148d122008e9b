"""Series browser in the real window: one entry per series with a thumbnail; picking one shows it."""

import pydicom
from pydicom.uid import generate_uid


def _two_series_folder(sample_series_dir, folder):
    second_uid = generate_uid()
    for number, source in enumerate(sorted(sample_series_dir.glob("*.dcm"))[:7]):
        dataset = pydicom.dcmread(source)
        if number >= 3:  # the second series has 4 slices, the first 3
            dataset.SeriesInstanceUID = second_uid
            dataset.SOPInstanceUID = generate_uid()
            dataset.SeriesDescription = "second series"
        dataset.save_as(folder / f"{number}.dcm")
    return folder


def _thumbnail_centre_grey(browser, row: int) -> int:
    image = browser.item(row).icon().pixmap(64, 64).toImage()
    return image.pixelColor(image.width() // 2, image.height() // 2).value()


def test_each_series_has_an_entry_with_a_thumbnail(qtbot, main_window, sample_series_dir, tmp_path):
    _two_series_folder(sample_series_dir, tmp_path)
    with qtbot.waitSignal(main_window.scan_finished, timeout=30_000):
        main_window.open_paths([str(tmp_path)])
    browser = main_window.series_browser
    assert browser.count() == 2
    counts = [len(series) for series in main_window.scan_result().series]
    assert sorted(counts) == [3, 4]
    assert len(main_window.current_series()) == 4  # the longest series opens first
    assert browser.currentRow() == counts.index(4)
    first = main_window.current_series()
    other_row = counts.index(3)
    assert "3 slices" in browser.item(other_row).text()
    qtbot.waitUntil(lambda: _thumbnail_centre_grey(browser, other_row) > 0, timeout=30_000)  # not the black placeholder
    with qtbot.waitSignal(main_window.series_changed) as blocker:
        browser.setCurrentRow(other_row)
    assert blocker.args[0] is main_window.current_series() is not first
    qtbot.waitUntil(lambda: main_window.current_image() is not None, timeout=30_000)
