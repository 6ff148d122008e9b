"""``lungview screenshot``: the real window saved as a PNG; a clear message and exit 2 without a series."""

from PySide6.QtGui import QImage

from lungview.cli import main


def test_screenshot_of_the_sample_series(qtbot, sample_series_dir, tmp_path, lungview_threads):
    out = tmp_path / "shot.png"
    status = main(
        ["screenshot", str(sample_series_dir), "--slice", "3", "--window", "mediastinum", "--hide-identifiers",
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


def test_screenshot_rejects_a_slice_outside_the_series(qtbot, sample_series_dir, tmp_path, capsys):
    status = main(["screenshot", str(sample_series_dir), "--slice", "31", "--out", str(tmp_path / "shot.png")])
    assert status == 2
    assert "between 1 and 30" in capsys.readouterr().err
