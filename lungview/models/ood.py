"""Is a slice what the model knows? Out-of-scope checks on the header, and an out-of-distribution score.

Two kinds of evidence, both reported as plain reasons:

- The header: not CT, not axial (ImageOrientationPatient), a scout/localiser (ImageType LOCALIZER), or a pixel
  spacing far from chest CT. Plain PNG/JPG slices carry no header; only the score speaks for them.
- The features: the Mahalanobis distance of the network's pooled backbone features from those of its training
  images, under a probabilistic-PCA covariance (Tipping & Bishop 1999: the top ``k`` principal directions with
  their own variances, the rest with their mean variance) so that 1280 features and a few hundred images still
  give a well-conditioned distance. The threshold is a quantile of the held-out images' distances, measured
  when the reference is fitted and stored with it (``weights/<id>/ood.npz``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lungview.dicom.geometry import slice_normal
from lungview.volume import Series, SliceRef

#: A slice whose normal is further than this from the patient's head-foot axis is not axial (|cos| below it).
AXIAL_MIN_COSINE = 0.85
#: In-plane pixel spacing (mm) of chest CT: 512-pixel reconstructions of a 150-770 mm field of view.
CHEST_CT_SPACING_MM = (0.3, 1.5)
#: Fewer rows or columns than this cannot be a CT slice (the training pictures are at least 110 px high).
MIN_SLICE_PIXELS = 64
#: Feature reference file beside a model's card.
REFERENCE_FILE = "ood.npz"


def header_reasons(series: Series, slice_ref: SliceRef) -> list[str]:
    """Why a DICOM slice lies outside what a chest-CT slice classifier knows, from its header alone.

    Plain pictures (modality ``OT`` with no orientation) are only checked for size here: their content is judged by
    the feature score.
    """
    reasons = []
    if series.rows < MIN_SLICE_PIXELS or series.columns < MIN_SLICE_PIXELS:
        reasons.append(f"only {series.rows}×{series.columns} pixels (a CT slice is hundreds of pixels across)")
    if series.modality == "OT" and series.orientation is None and not series.has_hu:
        return reasons
    if series.modality != "CT":
        reasons.append(f"not CT (modality {series.modality or 'unknown'})")
    if any(value.upper() == "LOCALIZER" for value in series.image_type):
        reasons.append("scout/localiser image (ImageType LOCALIZER)")
    if series.orientation and len(series.orientation) == 6:
        cosine = abs(float(slice_normal(series.orientation)[2]))
        if cosine < AXIAL_MIN_COSINE:
            reasons.append(f"not axial (slice normal {np.degrees(np.arccos(min(cosine, 1.0))):.0f}° from head-foot)")
    spacing = slice_ref.pixel_spacing
    low, high = CHEST_CT_SPACING_MM
    if spacing and not all(low <= value <= high for value in spacing):
        reasons.append(f"pixel spacing {spacing[0]:.2g}×{spacing[1]:.2g} mm is far from chest CT ({low}-{high} mm)")
    return reasons


@dataclass(frozen=True, eq=False)
class FeatureReference:
    """Training-feature statistics for a Mahalanobis out-of-distribution score.

    Attributes
    ----------
    mean : numpy.ndarray
        ``[D]`` mean feature vector of the training images.
    components : numpy.ndarray
        ``[k, D]`` top principal directions (orthonormal rows).
    variances : numpy.ndarray
        ``[k]`` variance along each direction.
    residual_variance : float
        Mean variance of the remaining directions.
    threshold : float
        Scores above this are out of distribution (a high quantile of the training images' scores).
    quantile : float
        The quantile ``threshold`` was taken at.
    model_sha256 : str
        SHA-256 of the weights whose features these are; a reference for other weights is meaningless.
    """

    mean: np.ndarray
    components: np.ndarray
    variances: np.ndarray
    residual_variance: float
    threshold: float
    quantile: float
    model_sha256: str = ""

    def score(self, features: np.ndarray) -> np.ndarray:
        """Mahalanobis distance of each row of ``features`` ``[N, D]`` from the training features."""
        centred = np.atleast_2d(np.asarray(features, dtype=np.float64)) - self.mean
        projected = centred @ self.components.T
        residual = np.maximum((centred**2).sum(axis=1) - (projected**2).sum(axis=1), 0.0)
        squared = (projected**2 / self.variances).sum(axis=1) + residual / self.residual_variance
        return np.sqrt(squared)

    def save(self, path: Path) -> None:
        """Write the reference as an ``.npz`` of plain arrays (no pickled objects)."""
        np.savez(
            path,
            mean=self.mean.astype(np.float32),
            components=self.components.astype(np.float32),
            variances=self.variances.astype(np.float64),
            scalars=np.array([self.residual_variance, self.threshold, self.quantile], dtype=np.float64),
            model_sha256=np.array(self.model_sha256),
        )

    @classmethod
    def load(cls, path: Path) -> FeatureReference:
        """Read a reference written by :meth:`save`; ValueError when the file is not one."""
        try:
            with np.load(path, allow_pickle=False) as data:
                residual, threshold, quantile = (float(v) for v in data["scalars"])
                return cls(
                    data["mean"].astype(np.float64),
                    data["components"].astype(np.float64),
                    data["variances"],
                    residual,
                    threshold,
                    quantile,
                    str(data["model_sha256"]) if "model_sha256" in data else "",
                )
        except (OSError, KeyError, ValueError) as error:
            raise ValueError(f"the out-of-distribution reference {path.name} cannot be read ({error})") from None


def fit_feature_reference(
    features: np.ndarray,
    held_out: np.ndarray | None = None,
    components: int = 32,
    quantile: float = 0.99,
    model_sha256: str = "",
) -> FeatureReference:
    """Fit the probabilistic-PCA Mahalanobis reference to training features ``[N, D]``.

    The threshold is the ``quantile`` of the scores of ``held_out`` features (validation images the fit never
    saw; the training features themselves when None), so about ``1 - quantile`` of images like the training data
    are flagged.
    """
    features = np.asarray(features, dtype=np.float64)
    count, dim = features.shape
    k = max(1, min(components, count - 1, dim - 1))
    mean = features.mean(axis=0)
    _, singular, directions = np.linalg.svd(features - mean, full_matrices=False)
    eigen = singular**2 / max(count - 1, 1)
    floor = max(float(eigen[0]) * 1e-6, 1e-12)
    rest = eigen[k:]
    residual = max(float(rest.sum() / max(dim - k, 1)), floor)
    reference = FeatureReference(mean, directions[:k], np.maximum(eigen[:k], floor), residual, 0.0, quantile)
    threshold = float(np.quantile(reference.score(features if held_out is None else held_out), quantile))
    return FeatureReference(mean, directions[:k], reference.variances, residual, threshold, quantile, model_sha256)


def score_reason(score: float, threshold: float) -> list[str]:
    """The out-of-distribution reason for a feature score above ``threshold``, or none."""
    if score > threshold:
        return [f"image unlike the training data (OOD score {score:.1f} > {threshold:.1f})"]
    return []
