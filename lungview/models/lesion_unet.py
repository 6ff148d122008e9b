"""A lesion segmentation network: a U-Net decoder on an ImageNet-pretrained EfficientNet-Lite0 encoder.

The encoder is EfficientNet-Lite0 (frozen in training, so its features can be computed once and cached); the
decoder upsamples its stride-32 features step by step, each time joined with the encoder's features of that
stride (16, 8, 4), and predicts one tumour logit per stride-4 cell, bilinearly upsampled to the input size. Input:
three channels in [-1, 1] (:mod:`lungview.models.lesion_input`); output: ``[batch, 1, size, size]`` logits.
"""

from __future__ import annotations

import torch
from torch import nn

#: Indices (in the EfficientNet-Lite0 ``nn.Sequential`` of stem and blocks) whose outputs the decoder uses: the
#: last block of stride 4, 8, 16 and 32.
ENCODER_TAPS = (3, 5, 11, 16)
#: Channels of those outputs.
ENCODER_CHANNELS = (24, 40, 112, 320)
#: Decoder channels at stride 16, 8 and 4 (narrow: the decoder alone is trained, on two CPU cores).
DECODER_CHANNELS = (32, 24, 16)


def conv_block(channels_in: int, channels_out: int) -> nn.Sequential:
    """3x3 convolution, batch norm, ReLU."""
    return nn.Sequential(
        nn.Conv2d(channels_in, channels_out, 3, padding=1, bias=False), nn.BatchNorm2d(channels_out), nn.ReLU()
    )


class Encoder(nn.Module):
    """The EfficientNet-Lite0 stem and blocks up to stride 32; returns the features at :data:`ENCODER_TAPS`."""

    def __init__(self, stages: nn.Sequential):
        super().__init__()
        self.stages = nn.Sequential(*list(stages)[: ENCODER_TAPS[-1] + 1])

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        taps = []
        for index, stage in enumerate(self.stages):
            x = stage(x)
            if index in ENCODER_TAPS:
                taps.append(x)
        return tuple(taps)


class Decoder(nn.Module):
    """Stride-32 features up to stride-4 tumour logits, joined with the encoder's features on the way."""

    def __init__(self):
        super().__init__()
        s4, s8, s16, s32 = ENCODER_CHANNELS
        d16, d8, d4 = DECODER_CHANNELS
        self.reduce = nn.Sequential(nn.Conv2d(s32, d16, 1, bias=False), nn.BatchNorm2d(d16), nn.ReLU())
        self.up16 = conv_block(d16 + s16, d16)
        self.up8 = conv_block(d16 + s8, d8)
        self.up4 = conv_block(d8 + s4, d4)
        self.logits = nn.Conv2d(d4, 1, 1)

    def forward(self, f4: torch.Tensor, f8: torch.Tensor, f16: torch.Tensor, f32: torch.Tensor) -> torch.Tensor:
        """Logits at stride 4 (``[batch, 1, h/4, w/4]``)."""
        x = self.reduce(f32)
        x = self.up16(torch.cat([_up(x, f16), f16], 1))
        x = self.up8(torch.cat([_up(x, f8), f8], 1))
        x = self.up4(torch.cat([_up(x, f4), f4], 1))
        return self.logits(x)


def _up(x: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    return nn.functional.interpolate(x, size=like.shape[-2:], mode="bilinear", align_corners=False)


class LesionUNet(nn.Module):
    """Encoder and decoder: ``[batch, 3, size, size]`` in, tumour logits ``[batch, 1, size, size]`` out."""

    def __init__(self, encoder: Encoder, decoder: Decoder):
        super().__init__()
        self.encoder = encoder
        self.decoder = decoder

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        logits = self.decoder(*self.encoder(x))
        return nn.functional.interpolate(logits, size=x.shape[-2:], mode="bilinear", align_corners=False)


def build_lesion_unet(pretrained: bool = False, size: int = 224) -> tuple[LesionUNet, str]:
    """The network and where its encoder weights come from (ImageNet only with ``pretrained``; a shipped model
    loads its own trained weights over a random initialisation)."""
    import contextlib
    import sys

    from lungview.models.backbones import efficientnet_lite0

    with contextlib.redirect_stdout(sys.stderr):  # the library prints "Loaded pretrained weights"
        stages, source = efficientnet_lite0(pretrained, size)
    return LesionUNet(Encoder(stages), Decoder()).eval(), source


class WithAttention(nn.Module):
    """The network with a second output for export: the stride-4 tumour logits less their bias (the Grad-CAM map of
    the tumour output at the decoder's last block, before its ReLU; see :mod:`lungview.inference.lesion_segmenter`)."""

    def __init__(self, network: LesionUNet):
        super().__init__()
        self.network = network

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        coarse = self.network.decoder(*self.network.encoder(x))
        logits = nn.functional.interpolate(coarse, size=x.shape[-2:], mode="bilinear", align_corners=False)
        return logits, coarse - self.network.decoder.logits.bias.view(1, -1, 1, 1)
