#!/usr/bin/env bash
# Set up a development environment in .venv (idempotent), then run the tests or the viewer.
#   bash packaging/dev.sh test [PYTEST ARGS]   set up, then run the whole test suite
#   bash packaging/dev.sh run [PATH]           set up, then start the viewer (the bundled sample without PATH)
#   bash packaging/dev.sh lint                 set up, then check style (ruff) and the layers (import-linter)
set -euo pipefail
cd "$(dirname "$0")/.."
action="${1:-run}"
shift || true

python="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
    "$python" -m venv .venv
fi
stamp=.venv/.lungview-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    .venv/bin/python -m pip install --quiet -e ".[test]"
    touch "$stamp"
fi

# Qt's X11 plugin needs a few system libraries that minimal Linux installs lack; fetch them with apt when missing.
ensure_qt_display_libraries() {
    [ "$(uname -s)" = Linux ] && [ -n "${DISPLAY:-}" ] || return 0
    local plugin
    plugin=$(.venv/bin/python -c "import PySide6, pathlib; print(pathlib.Path(PySide6.__file__).parent / 'Qt/plugins/platforms/libqxcb.so')")
    ldd "$plugin" 2>/dev/null | grep -q "not found" || return 0
    local sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    echo "Installing the X11 libraries Qt needs (apt-get)..." >&2
    $sudo apt-get update -qq && $sudo apt-get install -y -qq libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 \
        libxcb-image0 libxcb-render-util0 libxcb-shape0 libxcb-randr0 libxcb-xinerama0 libxcb-xkb1 \
        libxkbcommon-x11-0 libegl1 libgl1 libfontconfig1 >&2
}

case "$action" in
    test) exec .venv/bin/python -m pytest "$@" ;;
    run) ensure_qt_display_libraries; exec .venv/bin/lungview "$@" ;;
    lint) .venv/bin/ruff check --no-cache . && exec .venv/bin/lint-imports --no-cache ;;
    *) echo "usage: bash packaging/dev.sh test|run|lint [ARGS]" >&2; exit 2 ;;
esac
