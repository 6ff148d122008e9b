"""read_header: a slice's tags as text rows for the tag dialog."""

from lungview.dicom import read_header, scan_paths


def test_header_rows_of_a_real_slice(sample_series_dir):
    ref = scan_paths([sample_series_dir]).series[0].slices[0]

    rows = read_header(ref)

    by_tag = {tag: (name, value) for tag, name, value in rows}
    assert by_tag["(0008,0060)"] == ("Modality", "CT")
    assert by_tag["(0002,0010)"][0] == "Transfer Syntax UID"
    assert "(7FE0,0010)" not in by_tag
    assert all(isinstance(value, str) and len(value) <= 200 for _, _, value in rows)


def test_sequences_are_summarised(tmp_path, make_ct, write):
    from pydicom.dataset import Dataset

    ds = make_ct()
    ds.ReferencedImageSequence = [Dataset(), Dataset()]
    write(ds, tmp_path / "a.dcm")

    rows = read_header(scan_paths([tmp_path]).series[0].slices[0])

    assert ("(0008,1140)", "Referenced Image Sequence", "sequence of 2 item(s)") in rows


def test_unreadable_file_gives_one_explaining_row(tmp_path, make_ct, write):
    path = write(make_ct(), tmp_path / "a.dcm")
    ref = scan_paths([tmp_path]).series[0].slices[0]
    path.write_text("gone")

    assert read_header(ref) == [("", "File", "not a DICOM file")]
