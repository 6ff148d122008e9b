"""SEG and RTSTRUCT objects read onto the CT series they reference, on the real QIN and 4D-Lung folders."""

import numpy as np
import pytest
from annotation_data import truth_boxes

from lungview.annotations.loading import annotations_of, image_series_only, load_annotations
from lungview.annotations.render import legend, plane_masks, reformat_mask, render_rgba
from lungview.annotations.rtstruct import polygon_mask
from lungview.dicom import scan_paths
from lungview.planes.reformat import ReformatVolume


def _ct(scan):
    (ct,) = [series for series in scan.series if series.modality == "CT"]
    return ct


def test_the_scan_lists_seg_and_rtstruct_as_annotations_of_their_ct(qin_dir, lung_4d_dir):
    scan = scan_paths([qin_dir, lung_4d_dir])
    kinds = sorted(annotation.kind for annotation in scan.annotations)
    assert kinds == ["RTSTRUCT", "SEG", "SEG", "SEG"]
    cts = [series for series in scan.series if series.modality == "CT"]
    assert [len(annotations_of(ct, scan)) for ct in cts] == [3, 1]
    shown = image_series_only(scan)
    assert [series.modality for series in shown.series] == ["CT", "CT"]  # no SEG as an image series
    assert not any("RT Structure Set" in skipped.reason for skipped in shown.skipped)


def test_qin_segs_lie_on_the_tumour_slices_inside_its_box(qin_dir):
    scan = scan_paths([qin_dir])
    ct = _ct(scan)
    loaded = load_annotations(ct, annotations_of(ct, scan))
    assert loaded.problems == () and len(loaded.overlays) == 3
    boxes = truth_boxes(qin_dir)
    for overlay in loaded.overlays:
        (region,) = overlay.regions
        assert len(region.slices) >= 5
        for index, mask in region.slices.items():
            instance = ct.slices[index].instance_number
            assert instance in boxes, f"{overlay.source.label}: slice {instance} has no tumour in TRUTH.csv"
            xmin, ymin, xmax, ymax = boxes[instance]
            rows, cols = np.nonzero(mask.full((ct.rows, ct.columns)))
            assert xmin - 2 <= cols.min() and cols.max() <= xmax + 2
            assert ymin - 2 <= rows.min() and rows.max() <= ymax + 2
    assert len({region.colour for overlay in loaded.overlays for region in overlay.regions}) == 3
    assert len(legend(loaded.overlays)) == 3


def test_rtstruct_rois_are_filled_contours_on_their_slices(lung_4d_dir):
    scan = scan_paths([lung_4d_dir])
    ct = _ct(scan)
    loaded = load_annotations(ct, annotations_of(ct, scan))
    assert loaded.problems == ()
    (overlay,) = loaded.overlays
    regions = {region.name: region for region in overlay.regions}
    assert set(regions) == {"Tumor_c40", "LN_c40", "Carina_c40", "Vertebra_c40"}
    assert regions["Tumor_c40"].colour == (255, 0, 0)
    boxes = truth_boxes(lung_4d_dir)
    tumour = regions["Tumor_c40"]
    instances = {ct.slices[index].instance_number for index in tumour.slices}
    assert instances <= set(boxes) and len(instances) >= 0.8 * len(boxes)
    for index, mask in tumour.slices.items():
        xmin, ymin, xmax, ymax = boxes[ct.slices[index].instance_number]
        rows, cols = np.nonzero(mask.full((ct.rows, ct.columns)))
        assert abs(cols.min() - xmin) <= 2 and abs(cols.max() - xmax) <= 2
        assert abs(rows.min() - ymin) <= 2 and abs(rows.max() - ymax) <= 2


def test_broken_segs_each_give_one_reason_and_the_valid_one_is_drawn(broken_qin):
    scan = scan_paths([broken_qin])
    ct = _ct(scan)
    objects = annotations_of(ct, scan)
    assert len(objects) == 3
    loaded = load_annotations(ct, objects)
    assert len(loaded.overlays) == 1 and "alg01" in loaded.overlays[0].source.label
    problems = " | ".join(loaded.problems)
    assert "“moved away” not drawn: its references match no image of this series" in problems
    assert "“cut short” not drawn: its pixel data cannot be read" in problems
    assert "\n" not in loaded.status_line()


def test_rtstruct_of_another_frame_of_reference_is_not_drawn(other_frame_rtstruct):
    scan = scan_paths([other_frame_rtstruct])
    ct = _ct(scan)
    loaded = load_annotations(ct, annotations_of(ct, scan))
    assert loaded.overlays == ()
    (problem,) = loaded.problems
    assert problem.endswith("not drawn: it is in another frame of reference than the images")


def test_polygon_mask_fills_pixels_whose_centres_are_inside():
    square = np.array([[2, 3], [2, 6], [5, 6], [5, 3]], float)  # rows 2-5, cols 3-6 (pixel centres)
    mask = polygon_mask(square, (10, 10))
    assert mask.sum() == 16 and mask[2:6, 3:7].all()


def test_render_draws_outline_or_fill_and_reformats_each_slice_once(qin_dir):
    scan = scan_paths([qin_dir])
    ct = _ct(scan)
    loaded = load_annotations(ct, annotations_of(ct, scan))
    region = loaded.overlays[0].regions[0]
    index = max(region.slices, key=lambda i: region.slices[i].crop.sum())
    shape = (ct.rows, ct.columns)
    masks = plane_masks(loaded.overlays[:1], "axial", index, shape)
    outline = render_rgba(masks, shape, "outline", 1.0)
    fill = render_rgba(masks, shape, "fill", 0.5)
    full = region.slices[index].full(shape)
    assert (outline[..., 3] == 255).sum() < full.sum() and (outline[..., 3] > 0).sum() > 0
    assert (fill[..., 3] > 0).sum() == full.sum() and fill[..., 3].max() == round(255 * 0.5)
    assert plane_masks(loaded.overlays, "axial", 0, shape) == []
    z = tuple(ref.z for ref in ct.slices)
    volume = ReformatVolume(np.zeros((len(ct), 4, ct.columns), np.float32)[:, :1].repeat(ct.rows, 1), z[0],
                            z[1] - z[0], (1.0, 1.0), z, False)
    row = region.slices[index].row + region.slices[index].crop.shape[0] // 2
    coronal = reformat_mask(region, volume, "coronal", row)
    assert coronal.shape == (len(ct), ct.columns)
    covered = {volume.slice_of_plane(volume.plane_at_display_row(r)) for r in np.nonzero(coronal.any(axis=1))[0]}
    assert covered == {i for i, mask in region.slices.items() if mask.row <= row < mask.row + mask.crop.shape[0]}


def test_lungviews_own_seg_opens_as_an_overlay_of_its_findings(sample_series_dir, tmp_path):
    import shutil

    from lungview.detection.lesions import Lesion, LesionSlice, SeriesLesions
    from lungview.reports.dicom_findings import write_dicom_findings

    series = scan_paths([sample_series_dir]).series[0]
    box = (300, 280, 340, 330)
    slices = tuple(LesionSlice(i, None, series.slices[i].sop_instance_uid, box) for i in (10, 11, 12))
    lesion = Lesion(1, 0.9, 11, 320.0, 305.0, None, slices)
    lesions = SeriesLesions(series.series_uid, {"id": "m", "version": "1", "sha256": ""}, 0.5, (lesion,), ())
    shutil.copytree(sample_series_dir, tmp_path / "study")
    write_dicom_findings(series, lesions, tmp_path / "study" / "lungview")
    scan = scan_paths([tmp_path / "study"])
    (ct,) = image_series_only(scan).series
    loaded = load_annotations(ct, annotations_of(ct, scan))
    assert loaded.problems == ()
    (region,) = loaded.overlays[0].regions
    assert sorted(region.slices) == [10, 11, 12]
    assert region.slices[11].full((ct.rows, ct.columns)).sum() == 41 * 51
    assert pytest.approx(region.slices[11].row) == 300 and region.slices[11].col == 280


def _sr_with_regions(series, sample_series_dir, path):
    """A TID 1500 SR on the sample series: a circle (SCOORD) on slice 11, a square (SCOORD3D) on slice 20, a point."""
    import highdicom as hd
    import pydicom
    from pydicom.sr.codedict import codes

    sources = [pydicom.dcmread(ref.path, stop_before_pixels=True) for ref in series.slices]

    def group(name, region):
        return hd.sr.PlanarROIMeasurementsAndQualitativeEvaluations(
            tracking_identifier=hd.sr.TrackingIdentifier(uid=hd.UID(), identifier=name), referenced_region=region,
        )

    def on(index):
        return hd.sr.SourceImageForRegion(sources[index].SOPClassUID, sources[index].SOPInstanceUID)

    circle = hd.sr.ImageRegion("CIRCLE", np.array([[300.5, 320.5], [310.5, 320.5]]), on(11))
    ref = series.slices[20]
    row_dir, col_dir = np.array(series.orientation[:3]), np.array(series.orientation[3:])
    rs, cs = ref.pixel_spacing
    corners = [(100, 150), (100, 170), (120, 170), (120, 150), (100, 150)]  # (row, col) pixel indices, closed
    square = np.array([np.array(ref.position) + c * cs * row_dir + r * rs * col_dir for r, c in corners])
    cube = hd.sr.ImageRegion3D("POLYGON", square, str(sources[20].FrameOfReferenceUID))
    point = hd.sr.ImageRegion("POINT", np.array([[50.5, 50.5]]), on(5))
    observer = hd.sr.ObservationContext(
        observer_person_context=hd.sr.ObserverContext(
            observer_type=codes.DCM.Person,
            observer_identifying_attributes=hd.sr.PersonObserverIdentifyingAttributes(name="Reader^One"),
        )
    )
    report = hd.sr.MeasurementReport(
        observation_context=observer, procedure_reported=codes.cid100.CTUnspecifiedBodyRegion,
        imaging_measurements=[group("circle lesion", circle), group("square", cube), group("a point", point)],
    )
    sr = hd.sr.Comprehensive3DSR(
        evidence=[sources[5], sources[11]], content=report, series_instance_uid=hd.UID(), series_number=5,
        sop_instance_uid=hd.UID(), instance_number=1, series_description="reader regions",
    )
    sr.save_as(path, enforce_file_format=True)


def test_an_sr_with_regions_is_an_annotation_drawn_where_it_outlines(sample_series_dir, tmp_path):
    import shutil
    import warnings

    series = scan_paths([sample_series_dir]).series[0]
    shutil.copytree(sample_series_dir, tmp_path / "study")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # highdicom on the sample's one-part patient name
        _sr_with_regions(series, sample_series_dir, tmp_path / "study" / "regions.dcm")
    scan = scan_paths([tmp_path / "study"])
    (sr,) = scan.annotations
    assert sr.kind == "SR" and sr.label == "reader regions" and series.series_uid in sr.referenced_series_uids
    (ct,) = image_series_only(scan).series
    loaded = load_annotations(ct, annotations_of(ct, scan))
    (overlay,) = loaded.overlays
    regions = {region.name: region for region in overlay.regions}
    assert set(regions) == {"circle lesion", "square"}
    circle = regions["circle lesion"].slices[11].full((ct.rows, ct.columns))
    # Radius 10 pixels: pi r^2 = 314 inside, and the pixels the outline crosses are filled too (up to 2 pi r more).
    assert circle[320, 300] and circle[320, 310] and not circle[320, 312] and 314 <= circle.sum() <= 314 + 63
    assert set(regions["square"].slices) == {20}
    square = regions["square"].slices[20].full((ct.rows, ct.columns))
    assert square.sum() == 21 * 21 and square[100:121, 150:171].all()
    (problem,) = loaded.problems
    assert problem == "SR “reader regions”: 1 region(s) left out (a POINT mark has no inside)"
