"""LungView: an offline chest-CT viewer with an AI second reader.

Research and education. A second reader, not a diagnosis.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("lungview")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+source"

INTENDED_USE = "Research and education. A second reader, not a diagnosis."
