#!/usr/bin/env bash
# Make .venv with a Python >= 3.12 (Mesa 3.5 needs it) and install summit-sim into it, editable.
# The default python3 on this kind of machine is 3.11; 3.12/3.13 live under pyenv but are not on
# PATH as python3.12, so we look for an interpreter ourselves instead of trusting PATH.
set -euo pipefail
cd "$(dirname "$0")/.."

ok() { "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1; }

find_python() {
    local c
    for c in "${SUMMIT_PYTHON:-}" python3.13 python3.12 python3; do
        [ -n "$c" ] && command -v "$c" >/dev/null 2>&1 && ok "$c" && { command -v "$c"; return; }
    done
    local root="${PYENV_ROOT:-$HOME/.pyenv}"
    command -v pyenv >/dev/null 2>&1 && root="$(pyenv root)"
    for c in "$root"/versions/3.13*/bin/python3 "$root"/versions/3.12*/bin/python3 \
             /usr/bin/python3.13 /usr/bin/python3.12 /usr/local/bin/python3.1[23]; do
        [ -x "$c" ] && ok "$c" && { echo "$c"; return; }
    done
    return 1
}

if [ ! -x .venv/bin/python ] || ! ok .venv/bin/python; then
    py="$(find_python)" || {
        echo "bootstrap: no Python >= 3.12 found (tried PATH, pyenv, /usr/bin); set SUMMIT_PYTHON" >&2
        exit 2
    }
    echo "bootstrap: creating .venv with $py ($("$py" --version))" >&2
    rm -rf .venv
    "$py" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[dev,plots,analysis,dask,viz]"
