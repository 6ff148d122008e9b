from lungview.findings import FindingLocation, locate_finding
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
