"""The one preprocessing path: grey, body crop, letterbox, normalisation, and the way back for heatmaps."""

import numpy as np
import pytest

from lungview.models.preprocess import (
    PreprocessParams,
    body_box,
    grey_from_rgb,
    map_to_image,
    prepare_input,
    read_grey_image,
)
from lungview.windowing import Window


def _body_with_text_and_frame() -> np.ndarray:
    """A 200 x 300 grey slice: an ellipse body, a white frame and a line of "text" in the corner."""
    yy, xx = np.mgrid[:200, :300]
    image = np.zeros((200, 300), np.float32)
    image[((yy - 110) / 60) ** 2 + ((xx - 150) / 90) ** 2 <= 1] = 120
    image[:3, :] = image[-3:, :] = 255  # frame
    image[:, :3] = image[:, -3:] = 255
    image[10:13, 10:60:4] = 255  # thin text strokes
    return image


def test_body_crop_leaves_out_frame_and_text():
    box = body_box(_body_with_text_and_frame(), PreprocessParams(size=64))
    assert 40 <= box.top <= 50 and 170 <= box.bottom <= 180
    assert 50 <= box.left <= 60 and 240 <= box.right <= 250


def test_prepare_input_shape_range_and_channels():
    params = PreprocessParams(size=48)
    array, box = prepare_input(_body_with_text_and_frame(), has_hu=False, params=params)
    assert array.shape == (3, 48, 48) and array.dtype == np.float32
    assert array.min() >= -1.0 and array.max() <= 1.0
    assert np.array_equal(array[0], array[2])
    assert box.height < 200


def test_hu_input_is_windowed_per_channel():
    params = PreprocessParams(size=32, channels=(Window(-600, 1500), Window(40, 400)), crop="none")
    hu = np.full((40, 40), -1000.0, np.float32)
    hu[10:30, 10:30] = 40.0
    array, _ = prepare_input(hu, has_hu=True, params=params)
    assert array.shape == (2, 32, 32)
    assert array[1, 16, 16] == pytest.approx(0.0, abs=0.02)  # soft-tissue centre is mid grey
    assert array[0, 16, 16] > array[0, 0, 0]


def test_imagenet_normalisation_and_bad_input():
    params = PreprocessParams(size=16, crop="none", normalisation="imagenet")
    array, _ = prepare_input(np.full((20, 20), 255.0), has_hu=False, params=params)
    assert array[0, 0, 0] == pytest.approx((1 - 0.485) / 0.229, rel=1e-4)
    with pytest.raises(ValueError, match="2-D"):
        prepare_input(np.zeros((4, 4, 3)), has_hu=False, params=params)
    with pytest.raises(ValueError, match="normalisation"):
        PreprocessParams(normalisation="z-score")


def test_params_round_trip_through_dict():
    params = PreprocessParams(size=64, channels=(Window(-600, 1500),), margin=0.1)
    assert PreprocessParams.from_dict(params.to_dict()) == params


def test_colour_marks_are_painted_over():
    rgb = np.full((40, 40, 3), 100, np.uint8)
    rgb[20, 5:35] = (0, 255, 0)  # a green measurement line
    grey = grey_from_rgb(rgb)
    assert grey.shape == (40, 40) and abs(float(grey[20, 20]) - 100) < 10


def test_map_to_image_puts_heatmap_back_on_the_crop():
    image = _body_with_text_and_frame()
    params = PreprocessParams(size=64)
    _, box = prepare_input(image, has_hu=False, params=params)
    heatmap = map_to_image(np.ones((64, 64), np.float32), box, image.shape, 64)
    assert heatmap.shape == image.shape
    assert heatmap[0, 0] == 0 and heatmap[110, 150] == pytest.approx(1.0)


def test_read_grey_image_reads_by_content_and_reports_bad_files(tmp_path):
    from PIL import Image

    jpeg_named_png = tmp_path / "slice.png"
    Image.fromarray(np.full((10, 12, 3), 90, np.uint8)).save(jpeg_named_png, format="JPEG")
    assert read_grey_image(jpeg_named_png).shape == (10, 12)
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not an image")
    with pytest.raises(ValueError, match="cannot decode"):
        read_grey_image(broken)


def test_cards_with_the_lung_field_off_still_read_and_a_card_asking_for_it_is_refused():
    data = PreprocessParams(size=64).to_dict()
    assert PreprocessParams.from_dict({**data, "lung_field": False, "lung_margin_mm": 5.0}) == PreprocessParams(size=64)
    with pytest.raises(ValueError, match="lung-field mask"):
        PreprocessParams.from_dict({**data, "lung_field": True, "lung_margin_mm": 5.0})


def test_cards_without_a_pixel_size_still_read_and_a_card_asking_for_one_is_refused():
    data = PreprocessParams(size=64).to_dict()
    assert PreprocessParams.from_dict({**data, "spacing_mm": None}) == PreprocessParams(size=64)
    with pytest.raises(ValueError, match="fixed pixel size"):
        PreprocessParams.from_dict({**data, "spacing_mm": 0.7})
