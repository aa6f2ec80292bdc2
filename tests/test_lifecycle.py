"""The add-on's own life cycle on real databases: upgrades and uninstall.

- An upgrade of the add-on on a database holding wallets, ledger, purchases, requests and
  spends changes none of them and logs no warning.
- An upgrade from each previous release (its code taken from git history) runs the
  migration scripts: the books and every balance stay as they were, and what the new
  release records (the spending each return gives back, auto-pay per company, credits as a
  unit at one credit per unit of the company currency) is filled in.
- An uninstall keeps every journal entry and payment in the books, and a reinstall installs
  cleanly.
"""

import configparser
import io
import os
import re
import subprocess
import tarfile
from collections import Counter

import pytest
from conftest import DATABASE, LOG_PREFIX, assert_audit_finds_nothing, assert_every_invariant
from odoo_server import (
    ODOO_CONF,
    REPO_ROOT,
    OdooServer,
    adjust_wallet,
    buy_by_transfer,
    connect,
    copy_database,
    create_database_with_module,
    create_invoices,
    drop_database,
    odoo_bin,
    odoo_shell,
    poll_payment_status,
    rpc_result,
    simulate_demo_payment,
    start_credit_payment,
    start_package_purchase,
    submit_credit_payment,
)

# What the add-on keeps, and what the books keep of it, row by row
SNAPSHOT = {
    "wallets": "SELECT id, partner_id, company_id, balance FROM credit_wallet ORDER BY id",
    "ledger": """SELECT id, wallet_id, kind, entry_type, amount, running_balance, move_id,
                        payment_transaction_id, reversed_entry_id, description, date
                   FROM credit_ledger_entry ORDER BY id""",
    "requests": """SELECT id, state, payment_transaction_id, wallet_id, rejection_reason
                     FROM credit_request ORDER BY id""",
    "packages": "SELECT id, price, credit_amount, is_published FROM credit_package ORDER BY id",
    "purchases": """SELECT id, credit_wallet_id, credit_package_id, credit_amount
                      FROM payment_transaction WHERE credit_wallet_id IS NOT NULL ORDER BY id""",
    "spends": """SELECT tx.id, tx.amount, tx.credit_returned_amount FROM payment_transaction tx
                   JOIN payment_provider provider ON provider.id = tx.provider_id
                  WHERE provider.code = 'credit' ORDER BY tx.id""",
}
BOOKS = {
    "journal entries": """SELECT m.id, m.name, m.state, m.journal_id, m.partner_id, m.date,
                                 m.amount_total, m.payment_state FROM account_move m
                           WHERE m.id IN (SELECT move_id FROM account_move_line
                                           WHERE account_id IN %(credit_accounts)s)
                           ORDER BY m.id""",
    "journal items": """SELECT l.id, l.move_id, l.account_id, l.partner_id, l.debit, l.credit,
                               l.amount_residual, l.reconciled, l.parent_state
                          FROM account_move_line l
                         WHERE l.move_id IN (SELECT move_id FROM account_move_line
                                              WHERE account_id IN %(credit_accounts)s)
                         ORDER BY l.id""",
    "payments": """SELECT id, amount, state, payment_transaction_id, move_id, journal_id
                     FROM account_payment WHERE payment_transaction_id IS NOT NULL
                    ORDER BY id""",
    "transactions": """SELECT id, reference, state, amount, provider_id, partner_id
                         FROM payment_transaction ORDER BY id""",
    "Customer Credit account": """SELECT account_id, SUM(credit - debit), COUNT(*)
                                    FROM account_move_line
                                   WHERE account_id IN %(credit_accounts)s
                                     AND parent_state = 'posted' GROUP BY account_id""",
}
# the Credits providers (code "credit", "none" once uninstalled) and the cryptocurrency one
OFFERED_PROVIDERS_OF_THE_ADDON = """
    SELECT id, code, name->>'en_US', state FROM payment_provider
     WHERE state <> 'disabled'
       AND (code IN ('credit', 'none')
            OR id IN (SELECT res_id FROM ir_model_data
                       WHERE module = 'credit_wallet' AND model = 'payment.provider'))"""
# the triggers and function of the add-on's journal item guard (models/account_move_line.py)
BOOKS_GUARD = """
    SELECT tgname FROM pg_trigger WHERE tgname LIKE 'credit_wallet%%'
     UNION ALL
    SELECT proname FROM pg_proc WHERE proname LIKE 'credit_wallet%%'"""
BOOKS_GUARD_OBJECTS = [
    ("credit_wallet_guard_insert_delete",),
    ("credit_wallet_guard_journal_items",),
    ("credit_wallet_guard_update",),
]
LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d [\d:,]+ \d+ (WARNING|ERROR|CRITICAL) ", re.M)
ADDON_TABLES = ("credit_wallet", "credit_ledger_entry", "credit_request", "credit_package")
# Odoo tries to delete each record the add-on created and keeps those still referenced
# (packages of purchases, the demo customers of journal entries...): the add-on logs the
# queries PostgreSQL refuses for them at INFO
KEPT_RECORD = re.compile(
    r"^\S+ \S+ \d+ INFO \S+ odoo\.sql_db: uninstall: b'DELETE FROM \"credit_package\"[^\n]*"
    r"refused, the record is kept or already gone: update or delete on table "
    r"\"credit_package\" violates foreign key constraint",
    re.M,
)


def snapshot(database, queries):
    connection = connect(database)
    try:
        cursor = connection.cursor()
        cursor.execute(
            "SELECT DISTINCT account_id FROM account_move_line l JOIN account_account a "
            "ON a.id = l.account_id WHERE a.name->>'en_US' = 'Customer Credit'"
        )
        credit_accounts = tuple(account_id for (account_id,) in cursor.fetchall())
        state = {}
        for name, query in queries.items():
            cursor.execute(query, {"credit_accounts": credit_accounts})
            state[name] = cursor.fetchall()
        return state
    finally:
        connection.close()


def populate(server):
    """Credits moved every way the add-on knows, on the demo customer's wallet.

    :return: the id of the wallet's company
    """
    wallet_id = server.ref("credit_wallet.demo_wallet_northwind")
    northwind = server.ref("credit_wallet.demo_partner_northwind")
    cookies = server.authenticate("customer", "customer")
    adjust_wallet(server, wallet_id, 500, "upgrade test")
    adjust_wallet(server, wallet_id, -20, "upgrade test")
    # a purchase with bonus credits, paid online
    reference = start_package_purchase(server, cookies, "Growth", [("code", "=", "demo")])[
        "reference"
    ]
    rpc_result(simulate_demo_payment(server, reference))
    rpc_result(poll_payment_status(server, cookies))
    # bank transfers: one accepted into the bank journal, one left pending
    request_id = buy_by_transfer(server, cookies, "Starter")
    wizard_id = server.call("credit.request.accept", "create", {"request_id": request_id})
    server.call("credit.request.accept", "action_accept", [wizard_id])
    buy_by_transfer(server, cookies, "Starter")
    # spends: an invoice paid in the portal, another in part from the backend
    invoice_ids = create_invoices(server, northwind, [45.0, 80.0])
    submit_credit_payment(server, start_credit_payment(server, cookies, invoice_ids[0]), Counter())
    wizard_id = server.call(
        "credit.invoice.payment", "create", {"invoice_id": invoice_ids[1], "amount": 30.0}
    )
    server.call("credit.invoice.payment", "action_pay", [wizard_id])
    # a manager reverses the last adjustment
    [entry_id] = server.call(
        "credit.ledger.entry",
        "search",
        [("wallet_id", "=", wallet_id), ("kind", "=", "adjustment")],
        limit=1,
    )
    server.call("credit.ledger.entry", "action_reverse", [entry_id])
    # returns: a credit note of the invoice paid in the portal, Odoo's refund of the other
    [invoice] = server.call("account.move", "read", invoice_ids[:1], ["journal_id"])
    reversal_id = server.call(
        "account.move.reversal",
        "create",
        {"reason": "upgrade test", "journal_id": invoice["journal_id"][0]},
        context={"active_model": "account.move", "active_ids": invoice_ids[:1]},
    )
    note_id = server.call("account.move.reversal", "refund_moves", [reversal_id])["res_id"]
    server.call("account.move", "action_post", [note_id])
    server.call("account.move", "action_credit_return", [note_id])
    [spend_id] = server.call(
        "payment.transaction",
        "search",
        [("invoice_ids", "in", invoice_ids[1:]), ("provider_code", "=", "credit")],
    )
    server.call("payment.transaction", "action_refund", [spend_id], amount_to_refund=10.0)
    # a retainer customer
    server.call("res.partner", "write", [northwind], {"credit_autopay": "always"})
    [wallet] = server.call("credit.wallet", "read", [wallet_id], ["company_id"])
    return wallet["company_id"][0]


@pytest.fixture(scope="module")
def database_in_use(log_dir):
    """A throwaway database where customers bought, requested and spent credits."""
    name = f"{DATABASE}_lifecycle"
    create_database_with_module(name, log_dir / f"{LOG_PREFIX}-lifecycle-install.log")
    try:
        with OdooServer(name, log_dir / f"{LOG_PREFIX}-lifecycle-server.log", workers=2) as srv:
            assert_audit_finds_nothing(srv, populate(srv))
        yield name
    finally:
        drop_database(name)


def run_without_warnings(database, install_or_update, log_path):
    """Install (-i) or upgrade (-u) credit_wallet; its log has no WARNING, ERROR, CRITICAL."""
    odoo_bin(
        "-d",
        database,
        install_or_update,
        "credit_wallet",
        "--stop-after-init",
        "--log-level=info",
        log_path=log_path,
    )
    assert LOG_LINE.findall(log_path.read_text(errors="replace")) == [], f"see {log_path}"


def test_upgrade_with_data_in_place_changes_nothing(database_in_use, log_dir):
    """``-u credit_wallet`` on a database in use: no warning, every row as it was."""
    before = snapshot(database_in_use, SNAPSHOT | BOOKS)
    assert before["ledger"] and before["requests"] and before["payments"]
    log_path = log_dir / f"{LOG_PREFIX}-lifecycle-upgrade.log"

    run_without_warnings(database_in_use, "-u", log_path)

    after = snapshot(database_in_use, SNAPSHOT | BOOKS)
    for name in before:
        assert after[name] == before[name], name
    print(f"\nupgrade: {', '.join(f'{len(rows)} {name}' for name, rows in before.items())}")


def module_state(database):
    connection = connect(database)
    try:
        cursor = connection.cursor()
        cursor.execute("SELECT state FROM ir_module_module WHERE name = 'credit_wallet'")
        state = cursor.fetchone()[0]
        cursor.execute(
            "SELECT tablename FROM pg_tables WHERE tablename = ANY(%s)", [list(ADDON_TABLES)]
        )
        return state, sorted(name for (name,) in cursor.fetchall())
    finally:
        connection.close()


def test_uninstall_keeps_the_books_and_reinstall_starts_afresh(database_in_use, log_dir):
    """Uninstalling drops the wallets, their ledger, requests and packages, and keeps every
    journal entry, payment and transaction in the books; reinstalling installs cleanly,
    with empty wallets on a new Customer Credit account."""
    books = snapshot(database_in_use, BOOKS)
    wallets = snapshot(database_in_use, {"total": "SELECT SUM(balance) FROM credit_wallet"})
    [(old_account, unspent, _items)] = books["Customer Credit account"]
    assert unspent == wallets["total"][0][0]
    uninstall_log = log_dir / f"{LOG_PREFIX}-lifecycle-uninstall.log"

    odoo_shell(
        database_in_use,
        "env['ir.module.module'].search([('name', '=', 'credit_wallet')])"
        ".button_immediate_uninstall()\n",
        uninstall_log,
    )

    log = uninstall_log.read_text(errors="replace")
    failure = re.findall(r"^(?:\w+\.)*\w+(?:Error|Violation): .*(?:\nDETAIL: .*)?", log, re.M)
    assert module_state(database_in_use) == ("uninstalled", []), (uninstall_log, failure[-1:])
    assert LOG_LINE.findall(log) == [], f"see {uninstall_log}: no WARNING, ERROR, CRITICAL"
    assert KEPT_RECORD.search(log), "bought packages are kept, and said so"
    # the unspent credits stay a liability on the Customer Credit account
    assert snapshot(database_in_use, BOOKS) == books, "the books lost or changed entries"
    # and the database's journal item guard went with the add-on
    assert snapshot(database_in_use, {"guard": BOOKS_GUARD})["guard"] == []
    # customers are offered no payment method of the removed add-on
    offered = snapshot(database_in_use, {"providers": OFFERED_PROVIDERS_OF_THE_ADDON})
    assert offered["providers"] == [], offered

    # reinstalled as in a production database, which has no demo data
    connection = connect(database_in_use)
    connection.cursor().execute("UPDATE ir_module_module SET demo = false")
    connection.close()
    install_log = log_dir / f"{LOG_PREFIX}-lifecycle-reinstall.log"
    run_without_warnings(database_in_use, "-i", install_log)

    assert module_state(database_in_use) == ("installed", sorted(ADDON_TABLES))
    assert snapshot(database_in_use, BOOKS) == books
    assert sorted(snapshot(database_in_use, {"guard": BOOKS_GUARD})["guard"]) == (
        BOOKS_GUARD_OBJECTS
    )
    fresh = snapshot(
        database_in_use,
        {
            "wallets": "SELECT COUNT(*) FROM credit_wallet",
            "accounts": "SELECT credit_account_id FROM res_company",
        },
    )
    assert fresh["wallets"] == [(0,)]
    assert old_account not in {account_id for (account_id,) in fresh["accounts"]}


# The releases before this one, by version, at their last commit: 18.0.1.0.0, before returns
# had a kind of their own ("refund" before) and auto-pay was per company; 18.0.1.1.0, before
# credits became a unit of their own
PREVIOUS_RELEASES = {"18.0.1.0.0": "c594ea8", "18.0.1.1.0": "a7e247b"}


@pytest.fixture(scope="module", params=sorted(PREVIOUS_RELEASES))
def previous_release(request):
    return request.param


@pytest.fixture(scope="module")
def previous_release_conf(previous_release, tmp_path_factory):
    """An Odoo configuration serving the add-on as released in ``previous_release``."""
    root = tmp_path_factory.mktemp("previous-release")
    archive = subprocess.run(
        [
            "git",
            "-C",
            str(REPO_ROOT),
            "archive",
            PREVIOUS_RELEASES[previous_release],
            "credit_wallet",
        ],
        capture_output=True,
        check=True,
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(root, filter="data")
    conf = configparser.ConfigParser()
    conf.read(ODOO_CONF)
    paths = conf.get("options", "addons_path").split(",")
    assert str(REPO_ROOT) in paths, f"{ODOO_CONF} serves the add-on from {REPO_ROOT}"
    conf.set(
        "options",
        "addons_path",
        ",".join(str(root) if path == str(REPO_ROOT) else path for path in paths),
    )
    path = root / "odoo.conf"
    with open(path, "w") as file:
        conf.write(file)
    return path


@pytest.fixture(scope="module")
def database_of_previous_release(previous_release_conf, log_dir):
    """A database made by the previous release, where credits moved every way it knows."""
    template = os.environ.get("TEMPLATE_DB")
    assert template, "TEMPLATE_DB (the dependencies, with demo data) is set by scripts/test.sh"
    name = f"{DATABASE}_previous"
    drop_database(name)
    copy_database(template, name)
    try:
        odoo_bin(
            "-d",
            name,
            "-i",
            "credit_wallet",
            "--stop-after-init",
            log_path=log_dir / f"{LOG_PREFIX}-previous-install.log",
            conf=previous_release_conf,
        )
        log_path = log_dir / f"{LOG_PREFIX}-previous-server.log"
        with OdooServer(name, log_path, workers=2, conf=previous_release_conf) as srv:
            populate(srv)
        yield name
    finally:
        drop_database(name)


MIGRATED = {
    # each return names the spending it gives back, whose transaction it refunds
    "returns": """SELECT returned.id, spend.kind, spend.wallet_id = returned.wallet_id,
                         spend.payment_transaction_id = tx.source_transaction_id
                    FROM credit_ledger_entry returned
                    JOIN payment_transaction tx ON tx.id = returned.payment_transaction_id
               LEFT JOIN credit_ledger_entry spend ON spend.id = returned.source_entry_id
                   WHERE returned.kind = 'return' ORDER BY returned.id""",
    "auto-pay": """SELECT partner.credit_autopay, (SELECT array_agg(id::text ORDER BY id)
                                                    FROM res_company)
                     FROM res_partner partner JOIN credit_wallet wallet
                       ON wallet.partner_id = partner.id
                    WHERE partner.credit_autopay IS NOT NULL ORDER BY partner.id""",
    # credits as a unit: each company's currency at 1 credit per unit, in hundredths, with
    # an exchange difference account; what transactions moved recorded in credits
    "credit unit": """SELECT company.credit_rounding, rate.rate::float, rate.active,
                             rate.currency_id = company.currency_id,
                             company.credit_exchange_account_id IS NOT NULL
                        FROM res_company company
                        JOIN credit_conversion_rate rate ON rate.company_id = company.id
                       WHERE company.credit_account_id IS NOT NULL
                         -- the rates of the release's new demo data are its own
                         AND rate.id NOT IN (SELECT res_id FROM ir_model_data
                                              WHERE model = 'credit.conversion.rate'
                                                AND module = 'credit_wallet')
                       ORDER BY company.id, rate.id""",
    "package currencies": """SELECT package.id, package.currency_id = company.currency_id
                               FROM credit_package package
                               JOIN res_company company ON company.id = package.company_id""",
    "purchase bonuses": """SELECT credit_bonus, credit_bonus = GREATEST(credit_amount - amount, 0)
                             FROM payment_transaction WHERE credit_wallet_id IS NOT NULL""",
    "spend credits": """SELECT tx.credit_amount = ABS(tx.amount) FROM payment_transaction tx
                          JOIN payment_provider provider ON provider.id = tx.provider_id
                         WHERE provider.code = 'credit'""",
}


def test_upgrade_from_a_previous_release_keeps_the_books(
    previous_release, database_of_previous_release, log_dir
):
    """``-u credit_wallet`` from 18.0.1.0.0 and from 18.0.1.1.0 to this release: no warning,
    the books, wallets, ledger, purchases and spends as they were; returns of their own kind,
    linked to their spending; each company keeps the customer's auto-pay choice; credits are
    a unit worth one unit of the company currency, and every figure is unchanged."""
    database = database_of_previous_release
    before = snapshot(database, SNAPSHOT | BOOKS)
    return_kind = "refund" if previous_release == "18.0.1.0.0" else "return"
    assert any(row[2] == return_kind for row in before["ledger"]), "returns were recorded"

    run_without_warnings(database, "-u", log_dir / f"{LOG_PREFIX}-previous-upgrade.log")

    after = snapshot(database, SNAPSHOT | BOOKS | MIGRATED)
    assert sorted(snapshot(database, {"guard": BOOKS_GUARD})["guard"]) == BOOKS_GUARD_OBJECTS
    # the release's new demo data (a package in euros) comes with the upgrade
    known_packages = {row[0] for row in before["packages"]}
    after["packages"] = [row for row in after["packages"] if row[0] in known_packages]
    for name in before:
        if name != "ledger":
            assert after[name] == before[name], name
    assert after["ledger"] == [
        (*row[:2], "return" if row[2] == "refund" else row[2], *row[3:]) for row in before["ledger"]
    ]
    assert len(after["returns"]) == 2
    assert all(row[1:] == ("spend", True, True) for row in after["returns"]), after["returns"]
    for choices, company_ids in after["auto-pay"]:
        assert choices == dict.fromkeys(company_ids, "always"), choices
    assert after["auto-pay"], "Northwind asked for auto-pay"
    assert after["credit unit"], "the companies with credits have a rate"
    assert set(after["credit unit"]) == {("0.01", 1.0, True, True, True)}, after["credit unit"]
    assert {
        same for package_id, same in after["package currencies"] if package_id in known_packages
    } == {True}
    assert {matches for _bonus, matches in after["purchase bonuses"]} == {True}
    assert any(bonus for bonus, _matches in after["purchase bonuses"]), "Growth has a bonus"
    assert set(after["spend credits"]) == {(True,)}
    log_path = log_dir / f"{LOG_PREFIX}-previous-upgraded-server.log"
    with OdooServer(database, log_path, workers=2) as server:
        connection = connect(database)
        try:
            cursor = connection.cursor()
            cursor.execute("SELECT id FROM res_company WHERE credit_account_id IS NOT NULL")
            for (company_id,) in cursor.fetchall():
                assert_every_invariant(cursor, company_id, server)
        finally:
            connection.close()
