"""packaging/make_icon.py draws the icon at every size the platforms ask for."""

import make_icon
from PIL import Image


def test_writes_png_ico_and_icns(tmp_path):
    paths = make_icon.write_icons(tmp_path)
    assert [path.name for path in paths] == ["lungview.png", "lungview.ico", "lungview.icns"]
    with Image.open(tmp_path / "lungview.png") as png:
        assert png.size == (make_icon.PNG_SIZE, make_icon.PNG_SIZE) and png.mode == "RGBA"
    with Image.open(tmp_path / "lungview.ico") as ico:
        assert set(make_icon.ICO_SIZES) <= set(ico.info["sizes"])
    with Image.open(tmp_path / "lungview.icns") as icns:
        assert max(icns.info["sizes"])[0] >= 512


def test_icon_is_opaque_inside_and_transparent_in_the_corners():
    icon = make_icon.draw_icon(64)
    assert icon.getpixel((0, 0))[3] == 0
    assert icon.getpixel((32, 32))[3] == 255


def test_committed_icons_exist():
    for suffix in ("png", "ico", "icns"):
        assert (make_icon.DEFAULT_OUT_DIR / f"lungview.{suffix}").is_file()
