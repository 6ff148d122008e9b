"""Draw LungView's application icon and write it as PNG, Windows ICO and macOS ICNS into resources/icons/.

The icon is a stylised axial chest CT in lung window: a pale body outline, two dark lungs and an amber
spot for the AI second reader. Drawn with Pillow only, so anyone can regenerate it:

    python packaging/make_icon.py [--out-dir resources/icons]
"""

import argparse
import sys
from pathlib import Path

from PIL import Image, ImageDraw

ICON_NAME = "lungview"
MASTER_SIZE = 1024
SUPERSAMPLE = 2
PNG_SIZE = 256
ICO_SIZES = [(16, 16), (24, 24), (32, 32), (48, 48), (64, 64), (128, 128), (256, 256)]

BACKGROUND = (18, 32, 58, 255)
BODY = (214, 220, 228, 255)
LUNG = (40, 48, 62, 255)
FINDING = (255, 170, 40, 255)
DEFAULT_OUT_DIR = Path(__file__).resolve().parent.parent / "resources" / "icons"


def draw_icon(size: int = MASTER_SIZE) -> Image.Image:
    """The icon as an RGBA image of ``size`` x ``size`` pixels (drawn larger, then downsampled for smooth edges)."""
    canvas = size * SUPERSAMPLE
    image = Image.new("RGBA", (canvas, canvas), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)

    def box(left: float, top: float, right: float, bottom: float) -> tuple[int, int, int, int]:
        return tuple(round(v * canvas) for v in (left, top, right, bottom))

    draw.rounded_rectangle(box(0.04, 0.04, 0.96, 0.96), radius=round(0.2 * canvas), fill=BACKGROUND)
    draw.ellipse(box(0.10, 0.24, 0.90, 0.78), fill=BODY)
    draw.ellipse(box(0.17, 0.31, 0.48, 0.71), fill=LUNG)
    draw.ellipse(box(0.52, 0.31, 0.83, 0.71), fill=LUNG)
    draw.ellipse(box(0.43, 0.36, 0.65, 0.63), fill=BODY)  # heart, anterior and to the patient's left
    draw.ellipse(box(0.44, 0.61, 0.56, 0.75), fill=BODY)  # spine, posterior
    draw.ellipse(box(0.25, 0.41, 0.34, 0.50), fill=FINDING)
    return image.resize((size, size), Image.Resampling.LANCZOS)


def write_icons(out_dir: Path) -> list[Path]:
    """Write ``lungview.png``, ``lungview.ico`` and ``lungview.icns`` into ``out_dir``; returns their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    master = draw_icon()
    png = out_dir / f"{ICON_NAME}.png"
    ico = out_dir / f"{ICON_NAME}.ico"
    icns = out_dir / f"{ICON_NAME}.icns"
    master.resize((PNG_SIZE, PNG_SIZE), Image.Resampling.LANCZOS).save(png, format="PNG", optimize=True)
    master.save(ico, format="ICO", sizes=ICO_SIZES)
    master.save(icns, format="ICNS")
    return [png, ico, icns]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", type=Path, default=DEFAULT_OUT_DIR, help="folder for the icon files")
    args = parser.parse_args(argv)
    for path in write_icons(args.out_dir):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
