"""Rulers and ROIs kept with a finding: stored, read back by a new log on the same file, exported, migrated."""

import csv
import json
import sqlite3

import pytest

from lungview.findings import FindingsLog, Measurement, ReviewedSlice, export_findings_csv

REVIEWED = ReviewedSlice("1.2.3", "1.2.3.4", "1.2.3.4.7", 7, "ct-tumour-slice", "1.0.0", "ab" * 32, {"tumour": 0.8},
                         "/data/7.dcm")
ELLIPSE = Measurement(
    "ellipse", "coronal", 7, 256, ((10.0, 100.0), (20.5, 180.25)),
    {"pixels": 612, "mean": -812.5, "sd": 45.25, "min": -990.0, "max": -402.0, "value_unit": "HU",
     "area": 2575.5, "area_unit": "mm²"},
)
RULER = Measurement("ruler", "axial", 7, None, ((1.0, 2.0), (30.0, 40.0)), {"length": 33.3, "length_unit": "mm"})


def test_a_measurement_is_read_back_after_a_restart(tmp_path):
    path = tmp_path / "findings.sqlite"
    with FindingsLog(path) as log:
        saved = log.save(REVIEWED, "agree", "4A", "solid nodule", (ELLIPSE, RULER))
    with FindingsLog(path) as reopened:  # a new store instance, as after restarting the viewer
        (finding,) = reopened.find()
    assert finding.finding_id == saved.finding_id
    assert finding.measurements == (ELLIPSE, RULER)
    assert finding.lung_rads == "4A"  # still the reviewer's own category
    assert finding.measurements[0].summary() == (
        "ellipse, coronal row 257: mean -812 HU, SD 45 · min -990, max -402 · 2575.5 mm²"
    )
    assert finding.measurements[1].summary() == "ruler, axial slice 8: 33.3 mm"


def test_measurements_are_exported_with_the_finding(tmp_path):
    with FindingsLog(tmp_path / "findings.sqlite") as log:
        findings = [log.save(REVIEWED, "unsure", measurements=(ELLIPSE,)), log.save(REVIEWED, "agree")]
    export_findings_csv(findings, tmp_path / "out.csv")
    with open(tmp_path / "out.csv", newline="", encoding="utf-8") as stream:
        rows = list(csv.DictReader(stream))
    exported = json.loads(rows[0]["measurements"])
    assert [Measurement.from_dict(values) for values in exported] == [ELLIPSE]
    assert exported[0]["plane"] == "coronal" and exported[0]["values"]["area_unit"] == "mm²"
    assert json.loads(rows[1]["measurements"]) == []


def test_a_log_written_before_measurements_is_upgraded_in_place(tmp_path):
    path = tmp_path / "findings.sqlite"
    with sqlite3.connect(path) as connection:  # schema 1, as written by earlier LungView versions
        connection.executescript(
            """CREATE TABLE findings (id INTEGER PRIMARY KEY AUTOINCREMENT, recorded_at TEXT NOT NULL,
            study_uid TEXT NOT NULL, series_uid TEXT NOT NULL, sop_instance_uid TEXT NOT NULL,
            slice_index INTEGER NOT NULL, source_path TEXT NOT NULL DEFAULT '', model_id TEXT NOT NULL,
            model_version TEXT NOT NULL, weights_sha256 TEXT NOT NULL, probabilities TEXT NOT NULL,
            decision TEXT NOT NULL, lung_rads TEXT, note TEXT NOT NULL DEFAULT '');
            INSERT INTO findings VALUES (1, '2026-11-24T21:30:00+00:00', '1.2.3', '1.2.3.4', '1.2.3.4.7', 7, '',
            'm', '1', 'ab', '{}', 'agree', NULL, 'old');
            PRAGMA user_version = 1;"""
        )
    connection.close()
    with FindingsLog(path) as log:
        (old,) = log.find()
        assert old.note == "old" and old.measurements == ()
        log.save(REVIEWED, "agree", measurements=(RULER,))
        assert log.find()[0].measurements == (RULER,)
    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA user_version").fetchone()[0] == 2
    connection.close()


def test_a_measurement_names_a_known_kind_and_plane():
    with pytest.raises(ValueError):
        Measurement("circle", "axial", 0, None, ((0.0, 0.0), (1.0, 1.0)))
    with pytest.raises(ValueError):
        Measurement("ruler", "oblique", 0, None, ((0.0, 0.0), (1.0, 1.0)))
