"""The PySide6 viewer: windows, widgets and background runners. Displays and wires; computes nothing."""

from lungview.qt.pyside_workarounds import pin_singletons_if_needed

pin_singletons_if_needed()
