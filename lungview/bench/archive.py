"""Make a small archive of real CT series under new UIDs (for the triage benchmark and tests)."""

from __future__ import annotations

from pathlib import Path

from lungview.paths import sample_series_dir


def new_study(patient_id: str, accession: str, date: str) -> dict[str, str]:
    """Header values of a new study of patient ``patient_id``."""
    from pydicom.uid import generate_uid

    uid = generate_uid()
    return {"StudyInstanceUID": uid, "PatientID": patient_id, "AccessionNumber": accession, "StudyDate": date}


def copy_series(files: list[Path], target: Path, study: dict[str, str], **changes) -> str:
    """Copy ``files`` into ``target`` as one new series of ``study`` (new series and SOP UIDs); its series UID.

    ``changes`` sets more header elements by keyword (a given SeriesInstanceUID replaces the new one).
    """
    from pydicom import dcmread
    from pydicom.uid import generate_uid

    series_uid = generate_uid()
    target.mkdir(parents=True, exist_ok=True)
    for number, path in enumerate(files, start=1):
        ds = dcmread(path)
        ds.SeriesInstanceUID = series_uid
        ds.SOPInstanceUID = generate_uid()
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
        for keyword, value in {**study, **changes}.items():
            setattr(ds, keyword, value)
        ds.save_as(target / f"{number:04d}.dcm")
    return changes.get("SeriesInstanceUID", series_uid)


def make_sample_archive(root: Path, series: int, slices: int) -> list[str]:
    """``series`` copies of the first ``slices`` slices of the bundled sample series, one study each; their UIDs."""
    files = sorted(sample_series_dir().glob("*.dcm"))[:slices]
    uids = []
    for number in range(1, series + 1):
        study = new_study(f"BENCH-{number:03d}", f"B{number}", "20240101")
        uids.append(copy_series(files, root / f"patient{number:03d}" / "ct", study))
    return uids
