import os

import pytest
from odoo_server import REPO_ROOT, OdooServer, connect, create_database_with_module, drop_database

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
    connection = connect(module_database)
    yield connection.cursor()
    connection.close()


def assert_books_match_wallets(db, company_id):
    """DESIGN.md invariant 3: the credits in wallets times a credit's value (1 / the company
    currency's rate) is the Customer Credit account balance."""
    db.execute(
        """SELECT ROUND((SELECT COALESCE(SUM(balance), 0) FROM credit_wallet
                          WHERE company_id = c.id)
                        / COALESCE((SELECT rate FROM credit_conversion_rate r
                                     WHERE r.company_id = c.id AND r.active
                                       AND r.currency_id = c.currency_id), 1),
                        currency.decimal_places),
                  (SELECT COALESCE(SUM(l.credit - l.debit), 0) FROM account_move_line l
                    WHERE l.company_id = c.id AND l.account_id = c.credit_account_id
                      AND l.parent_state = 'posted')
             FROM res_company c JOIN res_currency currency ON currency.id = c.currency_id
            WHERE c.id = %s""",
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


def assert_no_half_written_movement(db, company_id):
    """DESIGN.md invariant 5: a movement is whole or absent.

    Every ledger entry has its posted journal entry, which moves the Customer Credit account
    by the entry's amount, and every journal item on that account, in any state, belongs to
    the journal entry of a ledger entry.
    """
    db.execute(
        """SELECT e.id, m.state FROM credit_ledger_entry e
             LEFT JOIN account_move m ON m.id = e.move_id
            WHERE e.company_id = %s AND m.state IS DISTINCT FROM 'posted'""",
        [company_id],
    )
    assert db.fetchall() == [], "ledger entries without a posted journal entry"
    db.execute(
        """WITH entries AS (SELECT move_id, SUM(amount) AS amount FROM credit_ledger_entry
                             WHERE company_id = %(company)s GROUP BY move_id),
                credit_lines AS (SELECT l.move_id, SUM(l.credit - l.debit) AS amount
                                   FROM account_move_line l
                                   JOIN res_company c ON c.id = l.company_id
                                  WHERE l.company_id = %(company)s
                                    AND l.account_id = c.credit_account_id
                                  GROUP BY l.move_id)
           SELECT COALESCE(e.move_id, l.move_id), e.amount, l.amount
             FROM entries e FULL JOIN credit_lines l ON l.move_id = e.move_id
            WHERE e.amount IS DISTINCT FROM l.amount""",
        {"company": company_id},
    )
    assert db.fetchall() == [], "journal entries and ledger entries disagree on Customer Credit"


def assert_transactions_credit_once(db):
    """DESIGN.md invariant 4: a payment transaction moves a wallet once per kind, one payment."""
    db.execute(
        """SELECT payment_transaction_id, kind, COUNT(*) FROM credit_ledger_entry
            WHERE payment_transaction_id IS NOT NULL GROUP BY 1, 2 HAVING COUNT(*) > 1"""
    )
    assert db.fetchall() == [], "transactions that moved a wallet twice"
    db.execute(
        """SELECT payment_transaction_id, COUNT(*) FROM account_payment
            WHERE payment_transaction_id IS NOT NULL GROUP BY 1 HAVING COUNT(*) > 1"""
    )
    assert db.fetchall() == [], "transactions with two payments"


def assert_audit_finds_nothing(server, company_id):
    """DESIGN.md invariant 6: Run Audit Now, as an administrator clicks it for the company,
    leaves no open finding (each spend, return, invoice, order, purchase and entry checked)."""
    context = {"allowed_company_ids": [company_id]}
    server.call("credit.audit.finding", "action_run_audit", [], context=context)
    findings = server.call(
        "credit.audit.finding",
        "search_read",
        [("company_id", "=", company_id), ("state", "=", "open")],
        fields=["check", "document_name", "message"],
        context=context,
    )
    assert findings == [], findings


def assert_every_invariant(db, company_id, server):
    """DESIGN.md invariants 1 to 6 for every wallet of the company, its books and documents."""
    db.execute("SELECT id FROM credit_wallet WHERE company_id = %s ORDER BY id", [company_id])
    for (wallet_id,) in db.fetchall():
        assert_ledger_matches_wallet(db, wallet_id)
    assert_books_match_wallets(db, company_id)
    assert_no_half_written_movement(db, company_id)
    assert_transactions_credit_once(db)
    assert_audit_finds_nothing(server, company_id)


def movements_of_transaction(db, tx_id):
    """(kind, amount) of a transaction's ledger entries, and how many payments it has."""
    db.execute(
        "SELECT kind, amount FROM credit_ledger_entry WHERE payment_transaction_id = %s "
        "ORDER BY id",
        [tx_id],
    )
    entries = db.fetchall()
    db.execute("SELECT COUNT(*) FROM account_payment WHERE payment_transaction_id = %s", [tx_id])
    return entries, db.fetchone()[0]
