#!/usr/bin/env bash
# README command 2: set everything up, then
#   a. build the template database cw_test_deps (credit_wallet's dependencies + demo data),
#   b. install and upgrade credit_wallet in cw_test (a copy of it); any WARNING/ERROR/
#      CRITICAL line in those logs is a failure,
#   c. build the add-on's wheel, install it into a throwaway venv and credit_wallet from
#      there into cw_test_wheel (another copy), with the repository off the addons_path
#      (scripts/check_wheel.sh),
#   d. run credit_wallet/tests with pytest-odoo (browser tests included),
#   e. run the repository-level tests in tests/ (they start their own Odoo servers),
#   f. print "N passed, N failed[, N skipped]" and exit non-zero if anything failed.
# Extra arguments go to the pytest run of step d, e.g. scripts/test.sh -k wallet.
# REUSE_TEMPLATE=1 keeps an existing cw_test_deps (faster local iterations).
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# Overridable, to run a second checkout's tests beside these (TEST_DB=cw_test_mine).
TEMPLATE_DB="${TEMPLATE_DB:-cw_test_deps}"
TEST_DB="${TEST_DB:-cw_test}"
WHEEL_DB="${WHEEL_DB:-${TEST_DB}_wheel}"
ADDON_DIR="$REPO_ROOT/credit_wallet"

failures=()       # one line per failed step, printed at the end
junit_files=()    # junit reports to add up
t_start=$SECONDS

fail() {
    failures+=("$1")
    printf 'FAILED: %s\n' "$1"
}

took() { log "$1 took $((SECONDS - $2))s"; }

# Run pytest; a pytest exit code 5 (no tests collected) is a failure too.
run_pytest() {
    local name="$1" junit="$ODOO_LOG_DIR/pytest-$1.xml" rc=0
    shift
    rm -f "$junit"
    "$PYTHON" -m pytest -p no:cacheprovider --junitxml="$junit" "$@" || rc=$?
    [ -f "$junit" ] && junit_files+=("$junit")
    case "$rc" in
        0) ;;
        5) fail "$name tests: pytest collected no tests" ;;
        *) fail "$name tests: pytest exited with code $rc" ;;
    esac
}

[ -f "$ADDON_DIR/__manifest__.py" ] ||
    die "The add-on is missing ($ADDON_DIR/__manifest__.py): run this script from a complete checkout."

t=$SECONDS
ensure_python_venv
ensure_odoo_source
ensure_postgres
ensure_chromium
write_odoo_conf
took "setup" "$t"

# The template gets the add-on's own dependencies (read from its manifest, so it follows
# changes) plus the payment providers the tests use, with demo data, so that (b) shows credit_wallet's log alone.
deps="$("$PYTHON" - "$ADDON_DIR/__manifest__.py" <<'EOF'
import ast, sys
manifest = ast.literal_eval(open(sys.argv[1]).read())
# payment providers the tests drive: demo (tours), Stripe and PayPal (webhook tests)
extra = ["payment_demo", "payment_stripe", "payment_paypal"]
print(",".join(dict.fromkeys(list(manifest.get("depends", [])) + extra)))
EOF
)"

# --- a. template database ------------------------------------------------------------
t=$SECONDS
drop_db "$TEST_DB" # it is a copy of the template; drop it first
if [ "${REUSE_TEMPLATE:-}" = 1 ] && db_exists "$TEMPLATE_DB"; then
    log "a. Reusing database $TEMPLATE_DB (REUSE_TEMPLATE=1)"
else
    log "a. Creating database $TEMPLATE_DB with $deps and demo data (log: .odoo/logs/deps.log)"
    drop_db "$TEMPLATE_DB"
    if ! odoo_bin -d "$TEMPLATE_DB" -i "$deps" --stop-after-init --log-level=info >"$ODOO_LOG_DIR/deps.log" 2>&1; then
        tail -n 40 "$ODOO_LOG_DIR/deps.log"
        drop_db "$TEMPLATE_DB"
        die "Installing the dependencies ($deps) into $TEMPLATE_DB failed (log above, full log in $ODOO_LOG_DIR/deps.log): fix the environment and re-run."
    fi
    # Informational only: these come from Odoo's own modules, not from credit_wallet.
    dep_warnings="$(bad_log_lines "$ODOO_LOG_DIR/deps.log")"
    if [ -n "$dep_warnings" ]; then
        log "a. Note: warnings while installing the dependencies (not counted as failures):"
        printf '%s\n' "$dep_warnings"
    fi
fi
took "a. template database" "$t"

# --- b. install + upgrade credit_wallet ---------------------------------------------
t=$SECONDS
log "b. Installing credit_wallet into $TEST_DB, a copy of $TEMPLATE_DB (log: .odoo/logs/install.log)"
clone_db "$TEMPLATE_DB" "$TEST_DB"
installed=0
if odoo_bin -d "$TEST_DB" -i credit_wallet --stop-after-init --log-level=info >"$ODOO_LOG_DIR/install.log" 2>&1; then
    installed=1
    log "b. Upgrading credit_wallet in $TEST_DB (log: .odoo/logs/upgrade.log)"
    odoo_bin -d "$TEST_DB" -u credit_wallet --stop-after-init --log-level=info >"$ODOO_LOG_DIR/upgrade.log" 2>&1 ||
        fail "upgrade of credit_wallet exited non-zero (see $ODOO_LOG_DIR/upgrade.log)"
else
    tail -n 40 "$ODOO_LOG_DIR/install.log"
    fail "install of credit_wallet exited non-zero (see $ODOO_LOG_DIR/install.log)"
    : >"$ODOO_LOG_DIR/upgrade.log"
fi
# The installed module must also be really installed (Odoo exits 0 on some load errors).
if [ "$installed" = 1 ] && [ "$(psql_db_user -d "$TEST_DB" -Atc \
    "SELECT state FROM ir_module_module WHERE name = 'credit_wallet'")" != installed ]; then
    installed=0
    fail "credit_wallet is not in state 'installed' in $TEST_DB after the install"
fi
bad="$(bad_log_lines "$ODOO_LOG_DIR/install.log" "$ODOO_LOG_DIR/upgrade.log")"
if [ -n "$bad" ]; then
    printf '%s\n' "$bad"
    fail "install/upgrade log has WARNING/ERROR/CRITICAL lines (above)"
else
    log "install/upgrade log: clean"
fi
took "b. install + upgrade" "$t"

# --- c. install from the wheel -------------------------------------------------------
# The add-on as OCA publishes it: a wheel built with whool, installed with pip, found by
# Odoo in odoo/addons of the venv's site-packages instead of through the addons_path.
t=$SECONDS
log "c. Installing credit_wallet from its wheel (scripts/check_wheel.sh)"
TEMPLATE_DB="$TEMPLATE_DB" WHEEL_DB="$WHEEL_DB" bash "$REPO_ROOT/scripts/check_wheel.sh" ||
    fail "install of credit_wallet from its wheel (see above and $ODOO_LOG_DIR/wheel.log)"
took "c. install from the wheel" "$t"

# --- d. the add-on's tests (pytest-odoo) ---------------------------------------------
# pytest-odoo loads Odoo from the config (addons path, db) and the registry of cw_test;
# --odoo-http starts an HTTP server on a random port, without which it skips every
# HttpCase (browser/tour tests).
t=$SECONDS
if [ "$installed" = 1 ]; then
    log "d. Running credit_wallet/tests with pytest-odoo on $TEST_DB"
    run_pytest addon --odoo-database="$TEST_DB" --odoo-config="$ODOO_CONF" --odoo-http \
        "$ADDON_DIR/tests" "$@"
else
    fail "credit_wallet tests not run: the add-on did not install"
fi
took "d. add-on tests" "$t"

# --- e. repository-level tests -------------------------------------------------------
# These start their own Odoo servers, so pytest-odoo's in-process Odoo (-p no:odoo)
# stays off.
t=$SECONDS
if [ -n "$(find "$REPO_ROOT/tests" \( -name 'test_*.py' -o -name '*_test.py' \) -print -quit 2>/dev/null)" ]; then
    log "e. Running the repository tests in tests/"
    # MODULE_DB: cw_test, with credit_wallet installed, is copied instead of installing again
    ODOO_SRC="$ODOO_SRC" ODOO_CONF="$ODOO_CONF" TEMPLATE_DB="$TEMPLATE_DB" PYTHON="$PYTHON" \
        MODULE_DB="$([ "$installed" = 1 ] && echo "$TEST_DB")" DB_USER="$DB_USER" run_pytest repo -p no:odoo "$REPO_ROOT/tests"
else
    log "e. No repository tests in tests/ yet: skipped"
fi
took "e. repository tests" "$t"

# --- f. summary ----------------------------------------------------------------------
# Sum the junit reports: skipped tests are not passes; errors count as failures.
summary="$("$PYTHON" - "${junit_files[@]}" <<'EOF'
import sys
import xml.etree.ElementTree as ET
tests = failed = skipped = 0
for path in sys.argv[1:]:
    root = ET.parse(path).getroot()
    for suite in [root] if root.tag == "testsuite" else root.iter("testsuite"):
        tests += int(suite.get("tests", 0))
        failed += int(suite.get("failures", 0)) + int(suite.get("errors", 0))
        skipped += int(suite.get("skipped", 0))
line = f"{tests - failed - skipped} passed, {failed} failed"
print(line + (f", {skipped} skipped" if skipped else ""))
EOF
)"

took "test.sh" "$t_start"
if [ "${#failures[@]}" -gt 0 ]; then
    printf '\nFailed steps:\n'
    printf '  - %s\n' "${failures[@]}"
fi
printf '\n%s\n' "$summary"
[ "${#failures[@]}" -eq 0 ]
