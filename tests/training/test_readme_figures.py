"""The README's leave-one-patient-out table of the lesion model is the one in the shipped card, not typed in."""

from pathlib import Path

from lungview.inference.model_choice import LESION_MODEL
from lungview.models.card import read_card
from lungview.paths import app_root, weights_dir
from lungview.training.lesion_report import lopo_table


def test_readme_shows_the_cards_leave_one_patient_out_table():
    card = read_card(weights_dir() / LESION_MODEL)
    readme = (app_root() / "README.md").read_text(encoding="utf-8")
    assert "\n".join(lopo_table(card.metrics["per_patient"])) in readme
    assert f"threshold {card.threshold:.3f}" in readme


def test_the_report_shows_the_same_table():
    folder = weights_dir() / LESION_MODEL
    card = read_card(folder)
    report = (Path(folder) / "report" / "report.md").read_text(encoding="utf-8")
    assert "\n".join(lopo_table(card.metrics["per_patient"])) in report
