from lungview.findings import FindingLocation, locate_finding, reviewed_slice
from lungview.volume import Series, SliceRef


def series(series_uid: str, count: int) -> Series:
    slices = tuple(SliceRef(f"{i}.dcm", f"{series_uid}.{i}", i + 1, float(i), (1.0, 1.0), 1.0) for i in range(count))
    return Series(series_uid, "1", "CT", "", 4, 4, (1.0, 1.0, 1.0), None, slices, True)


def test_finding_is_found_by_sop_instance_uid_not_position():
    loaded = [series("7", 3), series("8", 5)]
    location = FindingLocation("1", "8", "8.4", slice_index=0, source_path="")
    assert locate_finding(location, loaded) == (loaded[1], 4)


def test_finding_of_a_series_not_loaded_is_not_found():
    assert locate_finding(FindingLocation("1", "9", "9.0", 0, ""), [series("7", 3)]) is None
    assert locate_finding(FindingLocation("1", "7", "7.99", 0, ""), [series("7", 3)]) is None


def test_reviewed_slice_takes_identity_from_the_series():
    reviewed = reviewed_slice(series("7", 3), 2, "m", "1.0", "ff", {"cancer": 0.25})
    assert (reviewed.study_uid, reviewed.series_uid, reviewed.sop_instance_uid, reviewed.slice_index) == (
        "1", "7", "7.2", 2)
    assert reviewed.source_path == "2.dcm" and reviewed.probabilities == {"cancer": 0.25}
