import csv
import json

from lungview.findings import CSV_COLUMNS, FindingsLog, ReviewedSlice, export_findings_csv


def test_csv_export_matches_the_log(tmp_path):
    with FindingsLog(tmp_path / "findings.sqlite") as log:
        for index, (decision, category, note) in enumerate(
            [("agree", "4B", "solid, 16 mm"), ("disagree", None, 'comma, "quote"\nnew line'), ("unsure", "2S", "")]
        ):
            reviewed = ReviewedSlice("1.2", "1.2.3", f"1.2.3.{index}", index, "ct-subtype-4", "2.0", "cd" * 32,
                                     {"adenocarcinoma": 0.5, "normal": 0.25}, f"/d/{index}.dcm")
            log.save(reviewed, decision, category, note)
        findings = log.find()
    path = tmp_path / "findings.csv"
    assert export_findings_csv(findings, path) == 3
    with open(path, newline="", encoding="utf-8") as stream:
        rows = list(csv.DictReader(stream))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert len(rows) == len(findings)
    for row, finding in zip(rows, findings):
        r = finding.reviewed
        assert int(row["finding_id"]) == finding.finding_id
        assert row["recorded_at"] == finding.recorded_at
        assert (row["study_uid"], row["series_uid"], row["sop_instance_uid"]) == (
            r.study_uid, r.series_uid, r.sop_instance_uid)
        assert int(row["slice_index"]) == r.slice_index
        assert row["source_path"] == r.source_path
        assert (row["model_id"], row["model_version"], row["weights_sha256"]) == (
            r.model_id, r.model_version, r.weights_sha256)
        assert json.loads(row["probabilities"]) == r.probabilities
        assert (row["decision"], row["lung_rads"] or None, row["note"]) == (
            finding.decision, finding.lung_rads, finding.note)
