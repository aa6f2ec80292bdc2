#!/usr/bin/env bash
# Lint step (also run by .ci/run): ruff lint + format check on the whole repository,
# then pylint with the pylint_odoo plugin and OCA's mandatory checks on the add-on.
# Runs every check even when one fails, so one run shows all problems.
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# pylint needs 'import odoo' to resolve the add-on's imports: venv + Odoo source.
ensure_python_venv
ensure_odoo_source
cd "$REPO_ROOT"

rc=0
log "ruff check"
"$VENV/bin/ruff" check . || rc=1
log "ruff format --check"
"$VENV/bin/ruff" format --check . || rc=1
if [ -f credit_wallet/__manifest__.py ]; then
    log "README.rst generated from readme/ fragments"
    "$VENV/bin/python" scripts/gen_readme.py --check || rc=1
    log "pylint (pylint_odoo, .pylintrc-mandatory) on credit_wallet"
    "$VENV/bin/pylint" --rcfile=.pylintrc-mandatory credit_wallet || rc=1
else
    log "pylint skipped: there is no credit_wallet add-on yet"
fi
if [ "$rc" -eq 0 ]; then
    log "lint: clean"
else
    log "lint: FAILED (see above)"
fi
exit "$rc"
