#!/usr/bin/env bash
# Install credit_wallet the way OCA publishes add-ons, from a wheel, and check that it
# installs into a database (scripts/test.sh runs this as its step c):
#   1. build odoo_addon_credit_wallet-<version>.whl from credit_wallet/ with whool (pinned in
#      requirements-test.txt, so no build isolation and no download); whool packages the
#      files under git control and takes the version from the manifest and the git history;
#   2. install it with pip --no-deps (Odoo is not on PyPI) into a throwaway venv outside the
#      repository, which sees Odoo's source and the project venv's packages through a .pth;
#   3. copy TEMPLATE_DB (made by scripts/test.sh step a) to WHEEL_DB and install
#      credit_wallet there with odoo-bin, run from that venv with an addons_path that holds
#      Odoo's own add-ons only: Odoo finds credit_wallet through odoo.addons.__path__;
#   4. fail unless the module that odoo-bin process imported is the venv's copy, the module
#      is 'installed', and the log (.odoo/logs/wheel.log) has no WARNING/ERROR/CRITICAL line.
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

TEMPLATE_DB="${TEMPLATE_DB:-cw_test_deps}"
WHEEL_DB="${WHEEL_DB:-cw_test_wheel}"
ADDON_DIR="$REPO_ROOT/credit_wallet"
t_start=$SECONDS

ensure_python_venv
ensure_odoo_source
ensure_postgres
db_exists "$TEMPLATE_DB" ||
    die "The template database $TEMPLATE_DB is missing: run scripts/test.sh (it builds it), or set TEMPLATE_DB to a database with credit_wallet's dependencies, and re-run."

work="$(mktemp -d "${TMPDIR:-/tmp}/credit_wallet-wheel.XXXXXX")"
trap 'rm -rf "$work"' EXIT
log_file="$ODOO_LOG_DIR/wheel.log"
mkdir -p "$ODOO_LOG_DIR"

# --- 1. the wheel --------------------------------------------------------------------
"$PYTHON" -m pip wheel --quiet --no-input --no-deps --no-build-isolation \
    --wheel-dir "$work/dist" "$ADDON_DIR" ||
    die "Building the wheel of $ADDON_DIR with whool failed (pip's output above)."
wheel="$(find "$work/dist" -name 'odoo_addon_credit_wallet-*.whl' -print -quit)"
[ -n "$wheel" ] || die "pip built no odoo_addon_credit_wallet-*.whl wheel in $work/dist."
log "Built $(basename "$wheel")"

# --- 2. a venv with the wheel installed ----------------------------------------------
venv="$work/venv"
"$PYTHON" -m venv --without-pip "$venv"
site_of() { "$1" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])'; }
venv_site="$(site_of "$venv/bin/python")"
# addsitedir also reads the project venv's .pth files, among them the one for Odoo's source.
printf 'import site; site.addsitedir(%s)\n' "'$(site_of "$PYTHON")'" >"$venv_site/project-venv.pth"
"$PYTHON" -m pip --python "$venv/bin/python" install --quiet --no-input --no-index --no-deps "$wheel" ||
    die "pip could not install $wheel into $venv."
"$venv/bin/python" -c '
from importlib.metadata import distribution
dist = distribution("odoo-addon-credit_wallet")
print("==> Installed", dist.metadata["Name"], dist.version, "requiring", ", ".join(dist.requires or []))'

# --- 3. install the add-on from there ------------------------------------------------
conf="$work/odoo.conf"
write_odoo_conf "$conf" "$ODOO_SRC/addons,$ODOO_SRC/odoo/addons"
clone_db "$TEMPLATE_DB" "$WHEEL_DB"
log "Installing credit_wallet from the wheel into $WHEEL_DB, a copy of $TEMPLATE_DB (log: .odoo/logs/wheel.log)"
# odoo-bin itself, in a process that writes down, as it exits, where it imported the add-on from.
loaded_from="$work/loaded_from"
rc=0
(cd "$work" && "$venv/bin/python" -c '
import atexit, runpy, sys
report_to = sys.argv.pop(1)
def report():
    module = sys.modules.get("odoo.addons.credit_wallet")
    with open(report_to, "w") as f:
        f.write(getattr(module, "__file__", None) or "")
atexit.register(report)
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
' "$loaded_from" "$ODOO_SRC/odoo-bin" -c "$conf" -d "$WHEEL_DB" -i credit_wallet \
    --stop-after-init --log-level=info) >"$log_file" 2>&1 || rc=$?

# --- 4. checks -----------------------------------------------------------------------
failed=0
problem() {
    printf 'FAILED: %s\n' "$1"
    failed=1
}
[ "$rc" -eq 0 ] || {
    tail -n 40 "$log_file"
    problem "odoo-bin exited with code $rc while installing credit_wallet from the wheel (see $log_file)"
}
origin="$(cat "$loaded_from" 2>/dev/null || true)"
case "$origin" in
    "$venv_site/odoo/addons/credit_wallet/__init__.py")
        log "odoo-bin imported credit_wallet from the wheel's install: ${origin#"$work/"}" ;;
    *) problem "odoo-bin did not import credit_wallet from $venv_site but from '${origin:-nowhere}'" ;;
esac
state="$(psql_db_user -d "$WHEEL_DB" -Atc "SELECT state FROM ir_module_module WHERE name = 'credit_wallet'")"
[ "$state" = installed ] || problem "credit_wallet is in state '${state:-absent}' in $WHEEL_DB, not 'installed'"
bad="$(bad_log_lines "$log_file")"
if [ -n "$bad" ]; then
    printf '%s\n' "$bad"
    problem "the install log from the wheel has WARNING/ERROR/CRITICAL lines (above)"
fi
log "check_wheel.sh took $((SECONDS - t_start))s"
[ "$failed" -eq 0 ] && log "wheel install: clean"
exit "$failed"
