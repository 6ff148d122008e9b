"""A network's architecture as data, and its name as model cards store it.

A name is ``<backbone>[-sizes-<side>-<side>...]``, e.g. ``efficientnet-lite0`` or
``efficientnet-lite0-sizes-288-352``. :meth:`Architecture.parse` reads one and :attr:`Architecture.name` writes it
back; :func:`lungview.models.backbones.build_classifier` builds the network.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

_SIZES = re.compile(r"^(?P<member>.+)-sizes(?P<sides>(-\d+)+)$")


@dataclass(frozen=True)
class Architecture:
    """What a network is made of.

    Attributes
    ----------
    backbone
        A key of :data:`lungview.models.backbones.BACKBONES`.
    sizes
        The input sides of a resolution ensemble's members (:mod:`lungview.models.ensemble`), ascending; empty for
        a single network.
    """

    backbone: str
    sizes: tuple[int, ...] = ()

    @classmethod
    def parse(cls, name: str) -> Architecture:
        """The architecture a name describes; ValueError for a name that is not of that form."""
        sizes: tuple[int, ...] = ()
        match = _SIZES.match(name)
        if match is not None:
            name, sizes = match["member"], tuple(sorted(int(side) for side in match["sides"].strip("-").split("-")))
        if not name:
            raise ValueError(f"unknown architecture {name!r}")
        return cls(name, sizes)

    @property
    def name(self) -> str:
        """The name model cards store, e.g. ``efficientnet-lite0-sizes-288-352``."""
        if self.sizes:
            return self.backbone + "-sizes-" + "-".join(str(side) for side in sorted(self.sizes))
        return self.backbone

    @property
    def member(self) -> Architecture:
        """One network of a resolution ensemble (the architecture itself for a single network)."""
        return dataclasses.replace(self, sizes=())

    def with_sizes(self, sides: tuple[int, ...]) -> Architecture:
        """The resolution ensemble of this network at ``sides``."""
        return dataclasses.replace(self, sizes=tuple(sorted(sides)))
