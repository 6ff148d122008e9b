"""A network's architecture as data, and its name as model cards store it.

A name is ``<backbone>[-cells[-ms][-lunggate][-mirror]][-sizes-<side>-<side>...]``, e.g. ``efficientnet-lite0``,
``efficientnet-lite0-cells-ms`` or ``efficientnet-lite0-sizes-288-352``. :meth:`Architecture.parse` reads one and
:attr:`Architecture.name` writes it back; :func:`lungview.models.backbones.build_classifier` builds the network.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

_SIZES = re.compile(r"^(?P<member>.+)-sizes(?P<sides>(-\d+)+)$")
_CELLS = "-cells"
#: Options of a cell classifier, in the order they appear in a name.
_CELL_OPTIONS = ("ms", "lunggate", "mirror")


@dataclass(frozen=True)
class Architecture:
    """What a network is made of (:mod:`lungview.models.cell_classifier` describes the cell options).

    Attributes
    ----------
    backbone
        A key of :data:`lungview.models.backbones.BACKBONES`.
    cells
        A per-cell head whose slice score is the most tumour-like cell, instead of a global average pool.
    multi_scale
        Cells of 16 input pixels holding the stride-16 and the upsampled stride-32 features (cells only).
    lung_gate
        The cell map is zero outside a lung field computed from the input (cells only).
    mirror
        The cell map is the mean of the slice's and its left-right mirror image's (cells only).
    sizes
        The input sides of a resolution ensemble's members (:mod:`lungview.models.ensemble`), ascending; empty for
        a single network.
    """

    backbone: str
    cells: bool = False
    multi_scale: bool = False
    lung_gate: bool = False
    mirror: bool = False
    sizes: tuple[int, ...] = ()

    @classmethod
    def parse(cls, name: str) -> Architecture:
        """The architecture a name describes; ValueError for a name that is not of that form."""
        sizes: tuple[int, ...] = ()
        match = _SIZES.match(name)
        if match is not None:
            name, sizes = match["member"], tuple(sorted(int(side) for side in match["sides"].strip("-").split("-")))
        backbone, cells, options = name.partition(_CELLS)
        chosen = options.strip("-").split("-") if options else []
        unknown = [option for option in chosen if option not in _CELL_OPTIONS]
        if not backbone or unknown or (options and not options.startswith("-")):
            raise ValueError(f"unknown architecture {name!r}")
        return cls(backbone, bool(cells), "ms" in chosen, "lunggate" in chosen, "mirror" in chosen, sizes)

    @property
    def name(self) -> str:
        """The name model cards store, e.g. ``efficientnet-lite0-cells-ms``."""
        name = self.backbone
        if self.cells:
            flags = (self.multi_scale, self.lung_gate, self.mirror)
            name += _CELLS + "".join(f"-{option}" for option, on in zip(_CELL_OPTIONS, flags) if on)
        if self.sizes:
            name += "-sizes-" + "-".join(str(side) for side in sorted(self.sizes))
        return name

    @property
    def member(self) -> Architecture:
        """One network of a resolution ensemble (the architecture itself for a single network)."""
        return dataclasses.replace(self, sizes=())

    def with_sizes(self, sides: tuple[int, ...]) -> Architecture:
        """The resolution ensemble of this network at ``sides``."""
        return dataclasses.replace(self, sizes=tuple(sorted(sides)))
