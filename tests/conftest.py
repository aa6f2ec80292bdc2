import os

import psycopg2
import pytest
from odoo_server import PG_ARGS, REPO_ROOT, OdooServer, create_database_with_module, drop_database

WORKERS = 4
# CI uses the default; a developer running the tests beside CI picks another name
DEFAULT_DATABASE = "cw_repo_tests"
DATABASE = os.environ.get("REPO_TEST_DB") or DEFAULT_DATABASE
# the default database keeps CI's log names; another one logs beside them, not into them
LOG_PREFIX = "repo-tests" if DATABASE == DEFAULT_DATABASE else DATABASE


@pytest.fixture(scope="session")
def log_dir():
    path = REPO_ROOT / ".odoo" / "logs"
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="session")
def module_database(log_dir):
    """A committed database with credit_wallet and its demo data, dropped afterwards.

    Named ``cw_repo_tests`` unless ``REPO_TEST_DB`` says otherwise.
    """
    create_database_with_module(DATABASE, log_dir / f"{LOG_PREFIX}-install.log")
    yield DATABASE
    drop_database(DATABASE)


@pytest.fixture(scope="session")
def server(module_database, log_dir):
    """A 4-worker odoo-bin serving the module database; ``uid`` is the admin's."""
    with OdooServer(module_database, log_dir / f"{LOG_PREFIX}-server.log", workers=WORKERS) as srv:
        srv.uid = srv.login("admin", "admin")
        assert srv.uid, "the demo database's admin / admin login must work"
        yield srv


@pytest.fixture
def db(module_database):
    """An autocommit cursor on the module database, to check what workers committed."""
    host, port, user = PG_ARGS[1], PG_ARGS[3], PG_ARGS[5]
    connection = psycopg2.connect(host=host, port=port, user=user, dbname=module_database)
    connection.autocommit = True
    yield connection.cursor()
    connection.close()


def assert_books_match_wallets(db, company_id):
    """DESIGN.md invariant 3: wallets sum to the Customer Credit account balance."""
    db.execute(
        """SELECT (SELECT COALESCE(SUM(balance), 0) FROM credit_wallet WHERE company_id = c.id),
                  (SELECT COALESCE(SUM(l.credit - l.debit), 0) FROM account_move_line l
                    WHERE l.company_id = c.id AND l.account_id = c.credit_account_id
                      AND l.parent_state = 'posted')
             FROM res_company c WHERE c.id = %s""",
        [company_id],
    )
    wallets_total, account_balance = db.fetchone()
    assert wallets_total == account_balance


def assert_ledger_matches_wallet(db, wallet_id):
    """Balance = sum of the wallet's entries = running balance of the latest, never negative.

    DESIGN.md invariants 1 and 2, entry by entry: each running balance is the previous one
    plus the entry's amount.
    """
    db.execute("SELECT balance FROM credit_wallet WHERE id = %s", [wallet_id])
    balance = db.fetchone()[0]
    db.execute(
        "SELECT amount, running_balance FROM credit_ledger_entry WHERE wallet_id = %s ORDER BY id",
        [wallet_id],
    )
    running = 0
    for amount, running_balance in db.fetchall():
        running += amount
        assert running_balance == running >= 0
    assert balance == running
