#!/usr/bin/env bash
# Set up a development environment in .venv (idempotent), then run the tests or the viewer.
#   bash packaging/dev.sh test [PYTEST ARGS]   set up, then run the whole test suite
#   bash packaging/dev.sh run [PATH]           set up, then start the viewer (the bundled sample without PATH)
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

case "$action" in
    test) exec .venv/bin/python -m pytest "$@" ;;
    run) exec .venv/bin/lungview "$@" ;;
    *) echo "usage: bash packaging/dev.sh test|run [ARGS]" >&2; exit 2 ;;
esac
