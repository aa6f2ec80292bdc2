#!/usr/bin/env bash
# README command 1: set everything up and run Odoo with credit_wallet and demo data.
#   DEMO_DB    database to create/upgrade and serve (default credit_wallet_demo)
#   HTTP_PORT  port to serve on (default 8069)
# plus ODOO_SRC, VENV, PGHOST, PGPORT, DB_USER (see scripts/lib.sh).
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DEMO_DB="${DEMO_DB:-credit_wallet_demo}"
HTTP_PORT="${HTTP_PORT:-8069}"

[ -f "$REPO_ROOT/credit_wallet/__manifest__.py" ] ||
    die "The add-on is missing ($REPO_ROOT/credit_wallet/__manifest__.py): run this script from a complete checkout."

ensure_python_venv
ensure_odoo_source
ensure_postgres
ensure_wkhtmltopdf
write_odoo_conf

# Fail early and clearly rather than after a long install.
if "$PYTHON" - "$HTTP_PORT" <<'EOF'; then
import socket, sys
with socket.socket() as s:
    sys.exit(0 if s.connect_ex(("127.0.0.1", int(sys.argv[1]))) == 0 else 1)
EOF
    die "Port $HTTP_PORT is already in use (another Odoo?): stop that server or set HTTP_PORT to a free port, and re-run."
fi

# A database where credit_wallet is installed gets upgraded; anything else (missing, or
# left half-made by an interrupted first run) gets the install, which Odoo resumes.
installed=""
if db_exists "$DEMO_DB"; then
    installed="$(psql_db_user -d "$DEMO_DB" -Atc \
        "SELECT 1 FROM ir_module_module WHERE name = 'credit_wallet' AND state = 'installed'" 2>/dev/null || true)"
fi
if [ "$installed" = 1 ]; then
    log "Upgrading credit_wallet in database $DEMO_DB"
    odoo_bin -d "$DEMO_DB" -u credit_wallet --stop-after-init
else
    # Demo data is on (without_demo = False in the config): it creates the portal customer.
    log "Creating database $DEMO_DB with credit_wallet, payment_demo and demo data (a few minutes)"
    odoo_bin -d "$DEMO_DB" -i credit_wallet,payment_demo --stop-after-init
fi

banner="Odoo is running at http://localhost:$HTTP_PORT — admin login: admin / admin — demo portal customer: customer / customer"

# Print the banner once the server really answers, after its startup logs. The watcher
# follows this shell's PID, which becomes the Odoo server's PID through exec below, and
# gives up if the server dies. It is started from a short-lived subshell so that it does
# not stay a child of the server (which would never reap it).
server_pid=$$
( (
    for _ in $(seq 1 300); do
        kill -0 "$server_pid" 2>/dev/null || exit 0
        if "$PYTHON" -c 'import sys, urllib.request
urllib.request.urlopen(sys.argv[1], timeout=5)' "http://127.0.0.1:$HTTP_PORT/web/login" >/dev/null 2>&1; then
            printf '\n%s\n(stop it with Ctrl+C)\n\n' "$banner"
            exit 0
        fi
        sleep 1
    done
) & )

log "Starting Odoo — when it is ready: $banner"
exec "$PYTHON" "$ODOO_SRC/odoo-bin" -c "$ODOO_CONF" -d "$DEMO_DB" --db-filter "^${DEMO_DB}\$" --http-port "$HTTP_PORT"
