"""The PySide6 viewer: windows, widgets and background runners. Displays and wires; computes nothing."""
