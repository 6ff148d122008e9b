"""The main window's actions, menus and toolbar, built in one place (Qt for Python ``imageviewer``).

:func:`create_actions` sets each action as an attribute of the window (``window.play_action``,
``window.preset_actions[name]``, ...) so panels and tests reach them by name; :func:`create_menus` and
:func:`create_toolbar` only arrange them. Every action's shortcut works in the whole window and is listed under F1.
"""

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence

from lungview.windowing import PRESETS

PAGE_STEP = 10
PRESET_LABELS = {"lung": "Lung", "mediastinum": "Mediastinum", "soft-tissue": "Soft tissue", "bone": "Bone"}
LAYOUT_KEYS = {
    "1x1": ("One view (1×1)", "F2"),
    "1x3": ("Three planes (1×3)", "F3"),
    "2x2": ("Three planes (2×2)", "F4"),
}
PLANE_KEYS = {"axial": "Shift+A", "coronal": "Shift+C", "sagittal": "Shift+S"}
TOOL_KEYS = {"rectangle": ("Rectangle ROI", "R"), "ellipse": ("Ellipse ROI", "E"), "polygon": ("Freehand ROI", "D")}


def window_action(
    window, text: str, slot: Callable, shortcut: str | list[str] | None = None, checkable: bool = False
) -> QAction:
    """An action of ``window`` calling ``slot`` (toggled when ``checkable``), its shortcut live in the whole window."""
    action = QAction(text, window)
    if shortcut:
        shortcuts = [shortcut] if isinstance(shortcut, str) else shortcut
        action.setShortcuts([QKeySequence(keys) for keys in shortcuts])
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
    action.setCheckable(checkable)
    (action.toggled if checkable else action.triggered).connect(slot)
    window.add_shortcut_action(action)  # shortcuts work even with the menu bar hidden
    return action


def create_actions(window) -> None:
    """Create the window's actions (File, navigation, window presets, zoom, tools, layouts, identifiers, help)."""
    w, action = window, window_action
    w.open_folder_action = action(w, "Open &folder…", w.open_folder_dialog, "Ctrl+O")
    w.open_files_action = action(w, "Open fi&les…", w.open_files_dialog, "Ctrl+Shift+O")
    w.open_worklist_action = action(w, "Open &worklist…", w.open_worklist_dialog)
    w.quit_action = action(w, "&Quit", w.close, "Ctrl+Q")
    w.previous_slice_action = action(w, "Previous slice", lambda: w.step_slice(-1), "Up")
    w.next_slice_action = action(w, "Next slice", lambda: w.step_slice(1), "Down")
    w.page_back_action = action(w, f"Back {PAGE_STEP} slices", lambda: w.step_slice(-PAGE_STEP), "PgUp")
    w.page_forward_action = action(w, f"Forward {PAGE_STEP} slices", lambda: w.step_slice(PAGE_STEP), "PgDown")
    w.first_slice_action = action(w, "First slice", lambda: w.set_slice(0), "Home")
    w.last_slice_action = action(w, "Last slice", lambda: w.set_slice(10**9), "End")
    w.play_action = action(w, "Play / pause cine", lambda on: w.cine.toggle(on), "P", checkable=True)
    w.play_action.setIconText("Play")
    _create_window_actions(w)
    w.fit_action = action(w, "&Fit to window", lambda: [view.fit() for view in w.mpr.views.values()], "F")
    w.one_to_one_action = action(w, "Actual pixels (1:1)", lambda: w.active_view().one_to_one(), "Ctrl+1")
    w.zoom_in_action = action(w, "Zoom in", lambda: w.active_view().zoom_by(1.25), ["Ctrl++", "Ctrl+="])
    w.zoom_out_action = action(w, "Zoom out", lambda: w.active_view().zoom_by(0.8), "Ctrl+-")
    w.reset_view_action = action(w, "&Reset view", w.reset_view, "Ctrl+0")
    w.ruler_action = action(w, "Ruler", lambda on: w.toggle_tool("ruler", on), "M", checkable=True)
    w.tool_actions = {"ruler": w.ruler_action}
    for kind, (text, key) in TOOL_KEYS.items():
        w.tool_actions[kind] = action(w, text, lambda on, k=kind: w.toggle_tool(k, on), key, checkable=True)
    w.boxes_action = action(w, "AI finding boxes", lambda _on: w.finding_boxes.refresh(), "B", checkable=True)
    w.boxes_action.setChecked(True)
    _create_layout_actions(w)
    w.hide_identifiers_action = action(w, "Hide identifiers", w.set_identifiers_hidden, "Ctrl+I", checkable=True)
    w.tags_action = action(w, "DICOM &tags…", w.show_tags, "T")
    w.shortcuts_action = action(w, "&Keyboard shortcuts", w.show_shortcuts, "F1")
    toolbar_labels = {
        w.open_folder_action: "Open",
        w.stored_window_action: "Stored",
        w.fit_action: "Fit",
        w.one_to_one_action: "1:1",
        w.reset_view_action: "Reset",
        w.tags_action: "Tags",
    }
    for labelled, label in toolbar_labels.items():
        labelled.setIconText(label)


def _create_window_actions(w) -> None:
    """The preset windows (keys 1-4) and the stored window (5), one checked at a time (or none)."""
    w.preset_group = QActionGroup(w)
    w.preset_group.setExclusionPolicy(QActionGroup.ExclusionPolicy.ExclusiveOptional)
    w.preset_actions = {}
    for number, (name, label) in enumerate(PRESET_LABELS.items(), start=1):
        window = PRESETS[name]
        text = f"{label} window (W {window.width:g} / L {window.center:g})"
        preset = window_action(w, text, lambda _=False, n=name: w.apply_preset(n), str(number))
        preset.setIconText(label)
        preset.setCheckable(True)
        w.preset_group.addAction(preset)
        w.preset_actions[name] = preset
    w.stored_window_action = window_action(w, "Stored window", w.apply_stored_window, "5")
    w.stored_window_action.setToolTip("The window stored in the series' files (5)")
    w.stored_window_action.setCheckable(True)
    w.preset_group.addAction(w.stored_window_action)


def _create_layout_actions(w) -> None:
    """The layouts (F2-F4), one checked at a time, and the single-plane actions (Shift+A/C/S)."""
    w.layout_group = QActionGroup(w)
    w.layout_actions = {}
    for name, (text, key) in LAYOUT_KEYS.items():
        layout = window_action(w, text, lambda _=False, n=name: w.set_layout(n), key)
        layout.setCheckable(True)  # after connecting triggered: unchecking by the group must not re-layout
        w.layout_group.addAction(layout)
        w.layout_actions[name] = layout
    w.plane_actions = {}
    for plane, key in PLANE_KEYS.items():
        text = f"{plane.capitalize()} view alone"
        w.plane_actions[plane] = window_action(w, text, lambda _=False, p=plane: w.set_plane(p), key)
    w.layout_actions["1x1"].setChecked(True)


def create_menus(w) -> None:
    """File, View (with Layout), Window/Level, Navigate and Help menus; ``w.view_menu`` takes more actions."""
    file_menu = w.menuBar().addMenu("&File")
    file_menu.addActions([w.open_folder_action, w.open_files_action, w.open_worklist_action])
    w.recent_menu = file_menu.addMenu("&Recent folders")
    rebuild_recent_menu(w)
    file_menu.addSeparator()
    file_menu.addAction(w.quit_action)
    w.view_menu = w.menuBar().addMenu("&View")
    w.view_menu.addActions(
        [
            w.fit_action,
            w.one_to_one_action,
            w.zoom_in_action,
            w.zoom_out_action,
            w.reset_view_action,
            *w.tool_actions.values(),
            w.boxes_action,
            w.hide_identifiers_action,
            w.tags_action,
        ]
    )
    layout_menu = w.view_menu.addMenu("&Layout")
    layout_menu.addActions([*w.layout_actions.values(), *w.plane_actions.values()])
    w.view_menu.addSeparator()
    window_menu = w.menuBar().addMenu("&Window/Level")
    window_menu.addActions([*w.preset_actions.values(), w.stored_window_action])
    navigate_menu = w.menuBar().addMenu("&Navigate")
    navigate_menu.addActions(
        [
            w.previous_slice_action,
            w.next_slice_action,
            w.page_back_action,
            w.page_forward_action,
            w.first_slice_action,
            w.last_slice_action,
            w.play_action,
        ]
    )
    help_menu = w.menuBar().addMenu("&Help")
    help_menu.addAction(w.shortcuts_action)


def rebuild_recent_menu(w) -> None:
    """List the window's recent folders under File → Recent folders (disabled when there are none)."""
    w.recent_menu.clear()
    for folder in w.recent_folders():
        recent = w.recent_menu.addAction(folder)
        recent.triggered.connect(lambda _=False, f=folder: w.open_paths([f]))
    w.recent_menu.setEnabled(bool(w.recent_menu.actions()))


def create_toolbar(w) -> None:
    """The toolbar: open, windows, zoom and tools, layouts, identifiers and tags (``w.toolbar``)."""
    toolbar = w.addToolBar("Tools")
    toolbar.setObjectName("tools")
    toolbar.setMovable(False)
    toolbar.addAction(w.open_folder_action)
    toolbar.addSeparator()
    toolbar.addActions([*w.preset_actions.values(), w.stored_window_action])
    toolbar.addSeparator()
    toolbar.addActions([w.fit_action, w.one_to_one_action, w.reset_view_action, *w.tool_actions.values()])
    toolbar.addSeparator()
    toolbar.addActions(list(w.layout_actions.values()))
    toolbar.addSeparator()
    toolbar.addActions([w.hide_identifiers_action, w.tags_action])
    w.toolbar = toolbar
