"""Reviewer-assigned ACR Lung-RADS v2022 categories (the model never assigns one).

Lung-RADS v2022 (American College of Radiology, November 2022; Christensen et al., J Am Coll Radiol 2024;
21(3):473-488) has the assessment categories 0, 1, 2, 3, 4A, 4B and 4X, and the modifier "S" that may be added to
any of them for a clinically significant finding unrelated to lung cancer (written e.g. "2S"). Version 1.1's "C"
modifier (prior lung cancer) was removed in v2022, so it is not accepted here.
"""

LUNG_RADS_BASE_CATEGORIES: tuple[str, ...] = ("0", "1", "2", "3", "4A", "4B", "4X")
"""Assessment categories of Lung-RADS v2022, lowest to highest suspicion."""

SIGNIFICANT_FINDING_MODIFIER = "S"

LUNG_RADS_CATEGORIES: tuple[str, ...] = LUNG_RADS_BASE_CATEGORIES + tuple(
    category + SIGNIFICANT_FINDING_MODIFIER for category in LUNG_RADS_BASE_CATEGORIES
)
"""Every value a finding may store: each category with and without the S modifier."""


def validate_lung_rads(category: str | None) -> str | None:
    """Return ``category`` in its canonical spelling (``"4a"`` -> ``"4A"``), or None for no category.

    Raises
    ------
    ValueError
        If the text is not a Lung-RADS v2022 category.
    """
    if category is None or not category.strip():
        return None
    canonical = category.strip().upper().replace(" ", "")
    if canonical not in LUNG_RADS_CATEGORIES:
        raise ValueError(
            f"{category!r} is not a Lung-RADS v2022 category; use one of {', '.join(LUNG_RADS_BASE_CATEGORIES)}, "
            f"optionally followed by {SIGNIFICANT_FINDING_MODIFIER}"
        )
    return canonical
