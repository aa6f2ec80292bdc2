#!/usr/bin/env bash
# Shared setup for scripts/demo.sh, scripts/test.sh and scripts/lint.sh.
# Source it; it only defines variables and functions. Every ensure_* function is
# idempotent, so the scripts can call them on each run and stay fast once set up.
# shellcheck shell=bash

# The repository root is where this file lives, one level up: works from any cwd,
# in a fresh clone and in an exported tree without .git.
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# Everything below can be overridden from the environment.
ODOO_SRC="${ODOO_SRC:-$HOME/.cache/credit_wallet/odoo-18.0}"
VENV="${VENV:-$REPO_ROOT/.venv}"
PGHOST="${PGHOST:-127.0.0.1}"
PGPORT="${PGPORT:-5432}"
DB_USER="${DB_USER:-credit_wallet}"
# psql/createdb/dropdb read these; Odoo gets them through the config file.
export PGHOST PGPORT

ODOO_TARBALL_URL="${ODOO_TARBALL_URL:-https://github.com/odoo/odoo/archive/refs/heads/18.0.tar.gz}"
ODOO_DIR="$REPO_ROOT/.odoo"            # gitignored: config, filestore, logs
ODOO_CONF="$ODOO_DIR/odoo.conf"
ODOO_LOG_DIR="$ODOO_DIR/logs"
PYTHON="$VENV/bin/python"             # valid once ensure_python_venv has run

log() { printf '==> %s\n' "$*"; }

# Stop with one sentence saying what to do.
die() {
    printf 'ERROR: %s\n' "$*" >&2
    exit 1
}

is_root() { [ "$(id -u)" -eq 0 ]; }

# Odoo 18.0 supports Python 3.10-3.12 (the pinned wheels do not exist for 3.13).
# Prefer the user's python3, then any supported versioned interpreter.
find_python() {
    local candidate
    for candidate in "${PYTHON3:-python3}" python3.12 python3.11 python3.10; do
        if command -v "$candidate" >/dev/null 2>&1 &&
            "$candidate" -c 'import sys, venv, ensurepip
sys.exit(not ((3, 10) <= sys.version_info[:2] <= (3, 12)))' >/dev/null 2>&1; then
            command -v "$candidate"
            return 0
        fi
    done
    return 1
}

requirements_hash() {
    cat "$REPO_ROOT/requirements.txt" "$REPO_ROOT/requirements-test.txt" | sha256sum | cut -d' ' -f1
}

# Create/refresh the venv; pip runs only when the requirements files changed since the
# last successful install (the stamp is written last, so an interrupted install retries).
ensure_python_venv() {
    local python stamp wanted site
    if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c '' >/dev/null 2>&1; then
        python="$(find_python)" ||
            die "Python 3.10, 3.11 or 3.12 with the venv module is required: install it (Debian/Ubuntu: apt-get install python3 python3-venv) or set PYTHON3 to such an interpreter, then re-run."
        log "Creating the Python virtualenv in $VENV (with $python)"
        rm -rf "$VENV"
        "$python" -m venv "$VENV" || die "Creating the virtualenv in $VENV failed: install the venv module (Debian/Ubuntu: apt-get install python3-venv) and re-run."
    fi
    stamp="$VENV/.credit_wallet-requirements.sha256"
    wanted="$(requirements_hash)"
    if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
        log "Installing Python dependencies into $VENV"
        "$VENV/bin/python" -m pip install --no-input --quiet --upgrade pip wheel ||
            die "Upgrading pip in $VENV failed: check your network access to PyPI and re-run."
        "$VENV/bin/python" -m pip install --no-input --quiet -r "$REPO_ROOT/requirements-test.txt" ||
            die "Installing the Python dependencies failed (see pip's output above): on Debian/Ubuntu install the build tools with 'apt-get install build-essential python3-dev libpq-dev' and re-run."
        printf '%s\n' "$wanted" >"$stamp"
    fi
    # Odoo is not pip-installable: a .pth file puts its source on sys.path so that
    # 'import odoo' works in the venv (pytest-odoo and pylint need it).
    site="$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
    if [ "$(cat "$site/odoo-src.pth" 2>/dev/null)" != "$ODOO_SRC" ]; then
        printf '%s\n' "$ODOO_SRC" >"$site/odoo-src.pth"
    fi
    PYTHON="$VENV/bin/python"
}

# Download Odoo 18.0 when ODOO_SRC is absent. The archive is unpacked into a temporary
# sibling directory and moved into place only when complete, so an interrupted
# download never leaves a half-made source tree at ODOO_SRC.
ensure_odoo_source() {
    local parent tmp
    if [ -f "$ODOO_SRC/odoo-bin" ] && [ -f "$ODOO_SRC/odoo/release.py" ]; then
        grep -q '^version_info = (18, 0,' "$ODOO_SRC/odoo/release.py" ||
            die "ODOO_SRC=$ODOO_SRC is not Odoo 18.0: point ODOO_SRC at an Odoo 18.0 source tree (or unset it) and re-run."
        return 0
    fi
    if [ -e "$ODOO_SRC" ] && [ -n "$(ls -A "$ODOO_SRC" 2>/dev/null)" ]; then
        die "ODOO_SRC=$ODOO_SRC exists but holds no Odoo source (no odoo-bin): remove it or point ODOO_SRC at an Odoo 18.0 checkout, then re-run."
    fi
    command -v curl >/dev/null 2>&1 || die "curl is needed to download Odoo: install it (Debian/Ubuntu: apt-get install curl) or set ODOO_SRC to an Odoo 18.0 checkout, then re-run."
    parent="$(dirname "$ODOO_SRC")"
    mkdir -p "$parent"
    # Leftovers of an earlier interrupted download.
    rm -rf "$parent/.$(basename "$ODOO_SRC").part."*
    tmp="$(mktemp -d "$parent/.$(basename "$ODOO_SRC").part.XXXXXX")"
    log "Downloading the Odoo 18.0 source (about 300 MB, once) into $ODOO_SRC"
    if ! curl -fSL --retry 3 --progress-bar "$ODOO_TARBALL_URL" | tar -xz --strip-components=1 -C "$tmp"; then
        rm -rf "$tmp"
        die "Downloading Odoo from $ODOO_TARBALL_URL failed: check your internet access, or set ODOO_SRC to an Odoo 18.0 checkout, and re-run."
    fi
    [ -f "$tmp/odoo-bin" ] || {
        rm -rf "$tmp"
        die "The downloaded Odoo archive has no odoo-bin: set ODOO_SRC to an Odoo 18.0 checkout and re-run."
    }
    chmod 755 "$tmp" # mktemp made it private
    rmdir "$ODOO_SRC" 2>/dev/null || true # an empty placeholder directory is fine
    mv "$tmp" "$ODOO_SRC"
}

# psql as the project role. -w: never prompt for a password (CI has no stdin).
psql_db_user() {
    psql -w -X -q -v ON_ERROR_STOP=1 -U "$DB_USER" "$@"
}

# Run SQL as a PostgreSQL superuser: 'postgres' over TCP (trust/password setups), or via
# the local socket as the postgres OS user (Debian's default peer authentication).
psql_superuser() {
    local sql="$1"
    if psql -w -X -q -v ON_ERROR_STOP=1 -U postgres -d postgres -c "$sql" >/dev/null 2>&1; then
        return 0
    fi
    if is_root && command -v runuser >/dev/null 2>&1 && id postgres >/dev/null 2>&1; then
        runuser -u postgres -- psql -w -X -q -v ON_ERROR_STOP=1 -p "$PGPORT" -d postgres -c "$sql" >/dev/null 2>&1 && return 0
    fi
    if command -v sudo >/dev/null 2>&1; then
        sudo -n -u postgres psql -w -X -q -v ON_ERROR_STOP=1 -p "$PGPORT" -d postgres -c "$sql" >/dev/null 2>&1 && return 0
    fi
    return 1
}

is_local_pghost() {
    case "$PGHOST" in 127.0.0.1 | localhost | ::1 | /*) return 0 ;; *) return 1 ;; esac
}

# Start the local Debian cluster listening on PGPORT if it is installed but stopped.
start_local_postgres() {
    local conf version port started=1
    is_local_pghost && command -v pg_ctlcluster >/dev/null 2>&1 && is_root || return 1
    for conf in /etc/postgresql/*/main; do
        [ -f "$conf/postgresql.conf" ] || continue
        port="$(sed -n 's/^[[:space:]]*port[[:space:]]*=[[:space:]]*\([0-9]*\).*/\1/p' "$conf/postgresql.conf")"
        [ "${port:-5432}" = "$PGPORT" ] || continue
        version="$(basename "$(dirname "$conf")")"
        log "Starting PostgreSQL $version (cluster main)"
        pg_ctlcluster --skip-systemctl-redirect "$version" main start && started=0
    done
    return "$started"
}

# PostgreSQL must answer on PGHOST:PGPORT and the project role must exist with CREATEDB.
ensure_postgres() {
    local can_createdb
    if ! command -v psql >/dev/null 2>&1 || ! command -v pg_isready >/dev/null 2>&1; then
        die "The PostgreSQL client tools (psql) are missing: install PostgreSQL (Debian/Ubuntu: apt-get install postgresql) and re-run."
    fi
    [ "$DB_USER" != postgres ] ||
        die "Odoo refuses to connect as the 'postgres' superuser: set DB_USER to another role (default credit_wallet) and re-run."
    if ! pg_isready -q -h "$PGHOST" -p "$PGPORT"; then
        if start_local_postgres; then
            for _ in $(seq 1 30); do
                pg_isready -q -h "$PGHOST" -p "$PGPORT" && break
                sleep 1
            done
        fi
        pg_isready -q -h "$PGHOST" -p "$PGPORT" ||
            die "No PostgreSQL server answers on $PGHOST:$PGPORT: install and start PostgreSQL 13 or newer (Debian/Ubuntu: apt-get install postgresql, then pg_ctlcluster <version> main start) and re-run."
    fi
    if ! psql_db_user -d postgres -Atc 'SELECT 1' >/dev/null 2>&1; then
        log "Creating the PostgreSQL role $DB_USER (LOGIN CREATEDB)"
        psql_superuser "DO \$\$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$DB_USER') THEN CREATE ROLE \"$DB_USER\" LOGIN CREATEDB; END IF; END \$\$;" ||
            die "Cannot create the PostgreSQL role $DB_USER: as a database superuser run 'CREATE ROLE $DB_USER LOGIN CREATEDB;' and re-run."
        psql_db_user -d postgres -Atc 'SELECT 1' >/dev/null 2>&1 ||
            die "The PostgreSQL role $DB_USER cannot log in on $PGHOST:$PGPORT without a password: allow it in pg_hba.conf (e.g. 'host all $DB_USER 127.0.0.1/32 trust') or put its password in ~/.pgpass, then re-run."
    fi
    can_createdb="$(psql_db_user -d postgres -Atc 'SELECT rolcreatedb OR rolsuper FROM pg_roles WHERE rolname = current_user')"
    [ "$can_createdb" = t ] ||
        die "The PostgreSQL role $DB_USER may not create databases: as a superuser run 'ALTER ROLE $DB_USER CREATEDB;' and re-run."
}

# Same executable names Odoo's browser tests look for (odoo/tests/common.py).
find_chromium() {
    local bin
    for bin in google-chrome chromium chromium-browser google-chrome-stable; do
        if command -v "$bin" >/dev/null 2>&1; then
            command -v "$bin"
            return 0
        fi
    done
    return 1
}

# Browser (HttpCase/tour) tests drive a headless Chromium; install it when we can.
ensure_chromium() {
    find_chromium >/dev/null && return 0
    if is_root && command -v apt-get >/dev/null 2>&1; then
        log "Installing chromium with apt-get (needed by the browser tests)"
        export DEBIAN_FRONTEND=noninteractive
        if ! apt-get update -q ||
            ! apt-get install -y -q --no-install-recommends chromium fonts-liberation; then
            die "Installing chromium with apt-get failed: install Chromium or Google Chrome yourself and re-run."
        fi
        find_chromium >/dev/null || die "chromium was installed but is not on PATH: install Chromium or Google Chrome yourself and re-run."
        return 0
    fi
    die "Chromium is needed for the browser tests: install it (Debian/Ubuntu: sudo apt-get install chromium) and re-run."
}

# Odoo prints PDFs (quotations attached to order confirmations, invoices) with wkhtmltopdf.
# Without it, confirming an order paid online fails in Odoo's post-processing: install it
# when we can, otherwise say what to do (the demo still starts).
ensure_wkhtmltopdf() {
    command -v wkhtmltopdf >/dev/null 2>&1 && return 0
    if is_root && command -v apt-get >/dev/null 2>&1; then
        log "Installing wkhtmltopdf with apt-get (Odoo prints quotations and invoices with it)"
        export DEBIAN_FRONTEND=noninteractive
        if (apt-get install -y -q --no-install-recommends wkhtmltopdf ||
            { apt-get update -q && apt-get install -y -q --no-install-recommends wkhtmltopdf; }) >/dev/null; then
            return 0
        fi
    fi
    log "Note: wkhtmltopdf is missing, so Odoo cannot print PDFs and orders paid online stay unconfirmed (Debian/Ubuntu: apt-get install wkhtmltopdf)."
}

# Write the project's Odoo config (gitignored). Rewritten on each run so that changes to
# the environment variables always take effect. Optional arguments: another file, and an
# addons_path without this repository (scripts/check_wheel.sh).
write_odoo_conf() {
    local conf="${1:-$ODOO_CONF}" addons_path="${2:-$ODOO_SRC/addons,$ODOO_SRC/odoo/addons,$REPO_ROOT}"
    mkdir -p "$ODOO_DIR/data" "$ODOO_LOG_DIR"
    cat >"$conf" <<EOF
; Generated by scripts/lib.sh on every run: edit the script, not this file.
[options]
db_host = $PGHOST
db_port = $PGPORT
db_user = $DB_USER
addons_path = $addons_path
data_dir = $ODOO_DIR/data
without_demo = False
EOF
}

# odoo-bin with the project config, from the venv.
odoo_bin() {
    "$PYTHON" "$ODOO_SRC/odoo-bin" -c "$ODOO_CONF" "$@"
}

db_exists() {
    [ "$(psql_db_user -d postgres -Atc "SELECT 1 FROM pg_database WHERE datname = '$1'")" = 1 ]
}

# Drop a database and its Odoo filestore. --force ends leftover connections (PG 13+).
drop_db() {
    PGOPTIONS='--client-min-messages=warning' dropdb -w -U "$DB_USER" --if-exists --force "$1"
    rm -rf "$ODOO_DIR/data/filestore/$1"
}

# Replace database $2 with a copy of $1. Odoo keeps attachments in the filestore, outside
# PostgreSQL: copy it with the database.
clone_db() {
    drop_db "$2"
    createdb -w -U "$DB_USER" -T "$1" "$2"
    if [ -d "$ODOO_DIR/data/filestore/$1" ]; then
        cp -a "$ODOO_DIR/data/filestore/$1" "$ODOO_DIR/data/filestore/$2"
    fi
}

# Odoo log lines at WARNING or above, in Odoo's format
# ("2026-11-27 07:40:01,123 4242 WARNING db logger: msg").
bad_log_lines() {
    grep -E '^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:,]+ [0-9]+ (WARNING|ERROR|CRITICAL) ' "$@" || true
}
