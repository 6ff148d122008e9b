"""``lungview screenshot``: the real window saved as a PNG; a clear message and exit 2 without a series."""

from PySide6.QtGui import QImage

from lungview.cli import main


def test_screenshot_of_the_sample_series(qtbot, sample_series_dir, tmp_path, lungview_threads):
    out = tmp_path / "shot.png"
    status = main(
        ["screenshot", str(sample_series_dir), "--index", "2", "--window", "mediastinum", "--hide-identifiers",
         "--size", "900x600", "--out", str(out)]
    )
    assert status == 0
    image = QImage(str(out))
    assert (image.width(), image.height()) == (900, 600)
    assert lungview_threads() == []


def test_screenshot_without_a_series_exits_2(qtbot, tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("no images here")
    status = main(["screenshot", str(tmp_path), "--out", str(tmp_path / "shot.png")])
    assert status == 2
    assert "no series found" in capsys.readouterr().err
    assert not (tmp_path / "shot.png").exists()


def test_screenshot_rejects_an_index_outside_the_series(qtbot, sample_series_dir, tmp_path, capsys):
    status = main(["screenshot", str(sample_series_dir), "--index", "30", "--out", str(tmp_path / "shot.png")])
    assert status == 2
    assert "--index must be from 0 to 29" in capsys.readouterr().err


def test_deprecated_slice_counts_from_1_and_says_so(qtbot, sample_series_dir, tmp_path, capsys):
    status = main(["screenshot", str(sample_series_dir), "--slice", "31", "--out", str(tmp_path / "shot.png")])
    assert status == 2
    err = capsys.readouterr().err
    assert "--slice is deprecated" in err and "use --index 30" in err
    assert "--index must be from 0 to 29" in err


def test_screenshot_of_the_three_planes(qtbot, sample_series_dir, tmp_path, lungview_threads):
    out = tmp_path / "mpr.png"
    status = main(["screenshot", str(sample_series_dir), "--layout", "mpr", "--size", "1200x500", "--out", str(out)])
    assert status == 0
    image = QImage(str(out))
    assert (image.width(), image.height()) == (1200, 500)
    # the right third (the sagittal view) is not blank: the reformat was drawn before the grab
    greys = {image.pixelColor(x, 250).red() for x in range(850, 1150, 5)}
    assert len(greys) > 5
    assert lungview_threads() == []


def test_screenshot_with_annotations_draws_the_qin_seg_on_its_busiest_slice(qtbot, shared_data, tmp_path):
    import numpy as np
    from annotation_data import QIN, truth_boxes

    from lungview.annotations.loading import annotations_of, load_annotations
    from lungview.dicom import scan_paths
    from lungview.qt.screenshot import busiest_slice

    scan = scan_paths([shared_data / QIN])
    (ct,) = [series for series in scan.series if series.modality == "CT"]
    index = busiest_slice(load_annotations(ct, annotations_of(ct, scan)))
    assert ct.slices[index].instance_number in truth_boxes(shared_data / QIN)
    shots = {}
    for name, extra in (("plain", ["--index", str(index)]), ("drawn", ["--annotations"])):
        out = tmp_path / f"{name}.png"
        assert main(["screenshot", str(shared_data / QIN), *extra, "--size", "900x600", "--out", str(out)]) == 0
        image = QImage(str(out)).convertToFormat(QImage.Format.Format_RGB888)
        shots[name] = np.frombuffer(image.constBits(), np.uint8).reshape(600, image.bytesPerLine())[:, : 900 * 3]
    changed = np.any(shots["plain"] != shots["drawn"], axis=1)
    assert changed.sum() > 20  # the outlines and the legend, on the same slice (the busiest one by default)
