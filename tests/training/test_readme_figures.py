"""The README's leave-one-patient-out table of ct-tumour-slice is the one in the shipped card, not typed in."""

from pathlib import Path

from lungview.models.card import read_card
from lungview.paths import app_root, weights_dir
from lungview.training.finder_report import lopo_table


def test_readme_shows_the_cards_leave_one_patient_out_table():
    card = read_card(weights_dir() / "ct-tumour-slice")
    readme = (app_root() / "README.md").read_text(encoding="utf-8")
    assert "\n".join(lopo_table(card.metrics["leave_one_patient_out"])) in readme
    assert f"threshold\n{card.threshold:.3f}" in readme or f"threshold {card.threshold:.3f}" in readme


def test_the_report_shows_the_same_table():
    folder = weights_dir() / "ct-tumour-slice"
    card = read_card(folder)
    report = (Path(folder) / "report" / "report.md").read_text(encoding="utf-8")
    assert "\n".join(lopo_table(card.metrics["leave_one_patient_out"])) in report
