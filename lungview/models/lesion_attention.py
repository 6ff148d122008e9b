"""Grad-CAM of the lesion network's tumour output: where the network looked to segment a slice's tumour.

pytorch-grad-cam's ``SemanticSegmentationTarget`` sums the tumour logits over the predicted tumour pixels (over
every pixel when none is predicted); the gradients are taken at the decoder's last block (stride 4).
"""

from __future__ import annotations

import numpy as np
import torch

from lungview.models.lesion_input import map_to_slice, network_inputs, resize_hu


def segmentation_cam(network, image: np.ndarray, size: int) -> np.ndarray:
    """The Grad-CAM heatmap in [0, 1] of one HU slice on its own grid (its neighbour planes taken as itself)."""
    from pytorch_grad_cam import GradCAM
    from pytorch_grad_cam.utils.model_targets import SemanticSegmentationTarget

    resized = resize_hu(np.asarray(image, np.float32), size)[None]
    inputs = torch.from_numpy(network_inputs(resized, np.zeros(1)))
    with torch.enable_grad():
        with torch.no_grad():
            logits = network(inputs)[0, 0].numpy()
        region = (logits > 0).astype(np.float32)
        if not region.any():
            region[:] = 1.0
        with GradCAM(model=network, target_layers=[network.decoder.up4]) as cam:
            heatmap = cam(input_tensor=inputs, targets=[SemanticSegmentationTarget(0, region)])[0]
    heatmap = map_to_slice(np.asarray(heatmap, np.float32), *image.shape)
    peak = float(heatmap.max())
    return np.clip(heatmap / peak, 0.0, 1.0) if peak > 0 else heatmap
