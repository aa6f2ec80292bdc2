"""Faults while money moves, and the add-on's own life cycle, on real Odoo servers.

- A worker process killed (SIGKILL) in the middle of crediting a purchase and of paying an
  invoice with credits: the test holds a PostgreSQL lock the posting service waits for,
  sees the worker wait for it, kills that worker, then lets go. The movement is whole or
  absent, and the same notification or payment, sent again, completes it exactly once.
- The workers' database connections cut (``pg_terminate_backend``) again and again while
  clients move wallets: clients get errors, the books never hold half a movement, and the
  server serves again afterwards.

The add-on's own life cycle (upgrades, uninstall) is in test_lifecycle.py.
"""

import contextlib
import signal
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import NamedTuple

import psutil
import pytest
import requests
from conftest import assert_every_invariant
from odoo_server import (
    CREDIT_REFUSAL,
    RpcError,
    adjust_wallet,
    connect,
    create_invoices,
    create_portal_customers,
    credit_purchase_form,
    payment_provider,
    poll_payment_status,
    rpc_result,
    simulate_demo_payment,
    start_credit_payment,
    start_credit_purchase,
    start_package_purchase,
    submit_credit_payment,
)

WAIT = 30  # seconds, for a worker to reach a pause and for a killed backend to go


# -------------------------------------------------------------------------------------------
# a. A worker killed in the middle of a movement
# -------------------------------------------------------------------------------------------


class Pause(NamedTuple):
    """A lock the test holds, and the statement of the posting service that waits for it."""

    lock: str
    waiting_statement: str  # a LIKE pattern


PAUSES = {
    # the service waits for the wallet's row lock: the purchase's transaction is already
    # marked done in the worker's database transaction
    "at the wallet lock": Pause(
        "SELECT id FROM credit_wallet WHERE id = %(wallet)s FOR UPDATE",
        "SELECT balance FROM credit_wallet WHERE id = % FOR UPDATE",
    ),
    # the service waits to write the ledger entry: its journal entry and payment are written
    "before the ledger entry": Pause(
        "LOCK TABLE credit_ledger_entry IN SHARE MODE", 'INSERT INTO "credit_ledger_entry"%'
    ),
}


@contextlib.contextmanager
def holding(database, lock, wallet_id):
    """Hold ``lock`` in a transaction of the test's own until the block ends."""
    connection = connect(database)
    connection.autocommit = False
    try:
        connection.cursor().execute(lock, {"wallet": wallet_id})
        yield
    finally:
        connection.rollback()
        connection.close()


def waiting_worker(server, db, statement):
    """The database backend waiting for the test's lock, and the Odoo worker it serves."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        db.execute(
            """SELECT pid, client_port FROM pg_stat_activity
                WHERE datname = current_database() AND wait_event_type = 'Lock'
                  AND query LIKE %s""",
            [statement],
        )
        rows = db.fetchall()
        if rows:
            [(backend_pid, client_port)] = rows
            return backend_pid, worker_connected_from(server, client_port)
        time.sleep(0.05)
    raise AssertionError(f"no worker waited on {statement!r} within {WAIT} s")


def worker_connected_from(server, port):
    """The worker of ``server`` whose database connection leaves from local ``port``.

    Workers inherit the registry of the preforking server, so Odoo's application_name
    (odoo-<pid>) names the server, not the worker: the socket tells them apart.
    """
    assert port and port > 0, "the test needs Odoo to reach PostgreSQL over TCP (PGHOST)"
    for worker in psutil.Process(server.process.pid).children():
        if any(
            connection.laddr and connection.laddr.port == port
            for connection in worker.connections(kind="tcp")
        ):
            return worker
    raise AssertionError(f"no worker of the server has a connection from port {port}")


def tables_written(db, backend_pid):
    """Tables the backend's open transaction has inserted into or updated."""
    db.execute(
        """SELECT DISTINCT c.relname FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
            WHERE l.pid = %s AND l.mode = 'RowExclusiveLock' AND l.granted AND c.relkind = 'r'
            ORDER BY 1""",
        [backend_pid],
    )
    return [name for (name,) in db.fetchall()]


def wait_until_gone(db, backend_pid):
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        db.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [backend_pid])
        if not db.fetchone():
            return
        time.sleep(0.05)
    raise AssertionError(f"backend {backend_pid} still there {WAIT} s after its worker died")


def kill_worker_in_the_middle(server, db, pause, wallet_id, send):
    """Send a request, let the posting service reach ``pause``, SIGKILL its worker, let go.

    :return: the tables the killed worker had written to, uncommitted
    """
    with ThreadPoolExecutor(max_workers=1) as pool:
        with holding(server.database, pause.lock, wallet_id):
            request = pool.submit(send)
            backend_pid, worker = waiting_worker(server, db, pause.waiting_statement)
            written = tables_written(db, backend_pid)
            worker.send_signal(signal.SIGKILL)
            worker.wait(timeout=WAIT)
        # the worker died under the request: the client's connection is cut
        with pytest.raises(requests.ConnectionError):
            request.result(timeout=WAIT)
    wait_until_gone(db, backend_pid)
    return written


@pytest.fixture(scope="module")
def fault_customer(server):
    """A portal customer of its own: partner, wallet (100 credits), company, session."""
    [partner_id] = create_portal_customers(server, ["faults"])
    wallet_id = server.call("credit.wallet", "create", {"partner_id": partner_id})
    adjust_wallet(server, wallet_id, 100, "fault tests")
    [wallet] = server.call("credit.wallet", "read", [wallet_id], ["company_id"])
    cookies = server.authenticate("faults", "faults")
    return partner_id, wallet_id, wallet["company_id"][0], cookies


def ledger_of_transaction(db, reference):
    """State of a transaction, its wallet's balance, its entries and its payments."""
    db.execute(
        """SELECT tx.id, tx.state, w.balance FROM payment_transaction tx
             JOIN credit_wallet w ON w.partner_id = (
                  SELECT commercial_partner_id FROM res_partner WHERE id = tx.partner_id)
            WHERE tx.reference = %s""",
        [reference],
    )
    tx_id, state, balance = db.fetchone()
    db.execute(
        "SELECT kind, amount FROM credit_ledger_entry WHERE payment_transaction_id = %s "
        "ORDER BY id",
        [tx_id],
    )
    entries = db.fetchall()
    db.execute(
        "SELECT amount FROM account_payment WHERE payment_transaction_id = %s ORDER BY id",
        [tx_id],
    )
    return state, balance, entries, [amount for (amount,) in db.fetchall()]


@pytest.mark.parametrize("pause", PAUSES)
def test_worker_killed_while_crediting_a_purchase(server, db, fault_customer, pause):
    """The demo provider's "done" notification, its worker killed mid-crediting: no credit,
    no payment; the same notification again credits the purchase once, bonus included."""
    _partner_id, wallet_id, company_id, cookies = fault_customer
    reference = start_package_purchase(server, cookies, "Growth", [("code", "=", "demo")])[
        "reference"
    ]
    state, balance, entries, payments = ledger_of_transaction(db, reference)
    assert (state, entries, payments) == ("draft", [], [])

    written = kill_worker_in_the_middle(
        server, db, PAUSES[pause], wallet_id, lambda: simulate_demo_payment(server, reference)
    )

    print(f"\ntop-up, killed {pause}; the worker had written {', '.join(written)}")
    assert "payment_transaction" in written, "the purchase was being marked done"
    if pause == "before the ledger entry":
        assert {"account_move", "account_move_line", "account_payment"} <= set(written)
    assert ledger_of_transaction(db, reference) == ("draft", balance, [], [])
    assert_every_invariant(db, company_id, server)

    rpc_result(simulate_demo_payment(server, reference))
    assert rpc_result(poll_payment_status(server, cookies))["state"] == "done"
    rpc_result(simulate_demo_payment(server, reference))  # the provider notifies twice

    credited = ("done", balance + 550, [("purchase", 500), ("bonus", 50)], [500])
    assert ledger_of_transaction(db, reference) == credited
    assert_every_invariant(db, company_id, server)


@pytest.mark.parametrize("pause", PAUSES)
def test_worker_killed_while_paying_an_invoice_with_credits(server, db, fault_customer, pause):
    """The portal's credit payment, its worker killed mid-debit: invoice unpaid, no debit;
    the same payment form submitted again pays the invoice once."""
    partner_id, wallet_id, company_id, cookies = fault_customer
    [invoice_id] = create_invoices(server, partner_id, [30.0])
    payment = start_credit_payment(server, cookies, invoice_id)
    _state, balance, _entries, _payments = ledger_of_transaction(db, payment.reference)

    written = kill_worker_in_the_middle(
        server,
        db,
        PAUSES[pause],
        wallet_id,
        lambda: requests.post(
            f"{server.url}{payment.action}",
            data=payment.fields,
            cookies=cookies,
            allow_redirects=False,
            timeout=WAIT,
        ),
    )

    print(f"\nportal spend, killed {pause}; the worker had written {', '.join(written)}")
    if pause == "before the ledger entry":
        # the payment was posted and matched with the invoice, uncommitted
        assert {"account_move", "account_payment", "account_partial_reconcile"} <= set(written)
    assert ledger_of_transaction(db, payment.reference) == ("draft", balance, [], [])
    db.execute("SELECT payment_state FROM account_move WHERE id = %s", [invoice_id])
    assert db.fetchone()[0] == "not_paid"
    assert_every_invariant(db, company_id, server)

    stats = Counter()
    submit_credit_payment(server, payment, stats)
    submit_credit_payment(server, payment, stats)  # a second click finds it paid

    paid = ("done", balance - 30, [("spend", -30)], [30])
    assert ledger_of_transaction(db, payment.reference) == paid
    db.execute("SELECT payment_state FROM account_move WHERE id = %s", [invoice_id])
    assert db.fetchone()[0] in ("paid", "in_payment")
    assert_every_invariant(db, company_id, server)


# -------------------------------------------------------------------------------------------
# b. The workers' database connections cut during traffic
# -------------------------------------------------------------------------------------------

CUT_EVERY = 0.3  # seconds between two rounds of pg_terminate_backend
CUT_WALLETS = 2
CUT_BACK_OFFICE = 6  # clients, each with CUT_ATTEMPTS adjustments and payments
CUT_ATTEMPTS = 10
CUT_TOP_UPS = 5  # per wallet, from a browser of its customer


def cut_connections(database, stop, terminated):
    """Terminate every connection of the Odoo server to ``database`` until ``stop``."""
    connection = connect(database)
    try:
        cursor = connection.cursor()
        while not stop.wait(CUT_EVERY):
            cursor.execute(
                """SELECT COUNT(*) FILTER (WHERE pg_terminate_backend(pid))
                     FROM pg_stat_activity
                    WHERE datname = current_database() AND pid <> pg_backend_pid()
                      AND application_name LIKE 'odoo-%%'"""
            )
            terminated.append(cursor.fetchone()[0])
    finally:
        connection.close()


def outcome_of(send):
    """'moved', 'refused', or the kind of error the client got."""
    try:
        send()
    except RpcError as error:
        return "refused" if CREDIT_REFUSAL.search(str(error)) else f"error: {error}"[:120]
    except (requests.RequestException, OSError) as error:
        return f"error: {type(error).__name__}"
    return "moved"


def test_connections_cut_during_traffic_leave_no_half_written_movement(server, db):
    """Adjustments, payments and top-ups while every Odoo connection is terminated each
    0.3 s: the clients get errors, the books stay whole, the server serves again."""
    logins = [f"cut{number}" for number in range(CUT_WALLETS)]
    partner_ids = create_portal_customers(server, logins)
    wallet_ids = server.call(
        "credit.wallet", "create", [{"partner_id": partner_id} for partner_id in partner_ids]
    )
    for wallet_id in wallet_ids:
        adjust_wallet(server, wallet_id, 200, "cut test")
    db.execute("SELECT company_id FROM credit_wallet WHERE id = %s", [wallet_ids[0]])
    company_id = db.fetchone()[0]
    # what the back-office clients click: an adjustment in or out, or Pay with Credits
    numbered = []
    for wallet in range(CUT_WALLETS):
        indexes = range(wallet, CUT_BACK_OFFICE * CUT_ATTEMPTS, CUT_WALLETS)
        spends = [index for index in indexes if index % 3 == 2]
        invoice_ids = create_invoices(
            server, partner_ids[wallet], [float(5 + index % 40) for index in spends]
        )
        wizard_ids = server.call(
            "credit.invoice.payment", "create", [{"invoice_id": id_} for id_ in invoice_ids]
        )
        numbered += [
            (index, ("credit.invoice.payment", "action_pay", wizard_id, invoice_id))
            for index, wizard_id, invoice_id in zip(spends, wizard_ids, invoice_ids, strict=True)
        ]
        adjustments = [index for index in indexes if index % 3 != 2]
        wizard_ids = server.call(
            "credit.wallet.adjustment",
            "create",
            [
                {
                    "wallet_id": wallet_ids[wallet],
                    "direction": "in" if index % 3 else "out",
                    "amount": 5 + index % 40,
                    "reason": f"cut test {index}",
                }
                for index in adjustments
            ],
        )
        numbered += [
            (index, ("credit.wallet.adjustment", "action_apply", wizard_id, f"cut test {index}"))
            for index, wizard_id in zip(adjustments, wizard_ids, strict=True)
        ]
    clicks = [click for _index, click in sorted(numbered)]
    browsers = [server.authenticate(login, login) for login in logins]
    demo = payment_provider(server, [("code", "=", "demo"), ("company_id", "=", company_id)])
    forms = [credit_purchase_form(server, cookies, amount=40) for cookies in browsers]
    references = []

    def back_office(client):
        return [
            (click, outcome_of(lambda click=click: server.call(click[0], click[1], [click[2]])))
            for click in clicks[client::CUT_BACK_OFFICE]
        ]

    def browser(number):
        outcomes = []
        for _top_up in range(CUT_TOP_UPS):
            processing = {}
            started = outcome_of(
                lambda processing=processing: processing.update(
                    start_credit_purchase(server, browsers[number], forms[number], demo)
                )
            )
            if started == "moved":
                references.append(processing["reference"])
                started = outcome_of(
                    lambda reference=processing["reference"]: rpc_result(
                        simulate_demo_payment(server, reference)
                    )
                )
            outcomes.append(started)
        return outcomes

    stop, terminated = threading.Event(), []
    with ThreadPoolExecutor(max_workers=CUT_BACK_OFFICE + CUT_WALLETS + 1) as pool:
        cutter = pool.submit(cut_connections, server.database, stop, terminated)
        started = time.monotonic()
        office = [pool.submit(back_office, client) for client in range(CUT_BACK_OFFICE)]
        shop = [pool.submit(browser, number) for number in range(CUT_WALLETS)]
        office_outcomes = [pair for future in office for pair in future.result()]
        shop_outcomes = [outcome for future in shop for outcome in future.result()]
        stop.set()
        cutter.result()
    elapsed = time.monotonic() - started

    # the server serves again: every worker answers a new request at once
    for wallet_id in wallet_ids * 4:
        adjust_wallet(server, wallet_id, 1, "after the cuts")

    outcomes = [outcome for _click, outcome in office_outcomes] + shop_outcomes
    tally = Counter(outcome.partition(":")[0] for outcome in outcomes)
    errors = Counter(outcome for outcome in outcomes if outcome.startswith("error"))
    committed_anyway = 0
    for (model, _button, _wizard_id, what), outcome in office_outcomes:
        if model == "credit.wallet.adjustment":
            db.execute(
                "SELECT COUNT(*) FROM credit_ledger_entry WHERE description = %s",
                [f"Adjustment: {what}"],
            )
        else:
            db.execute(
                """SELECT COUNT(*) FROM credit_ledger_entry e
                     JOIN account_invoice_transaction_rel r
                       ON r.transaction_id = e.payment_transaction_id
                    WHERE r.invoice_id = %s AND e.kind = 'spend'""",
                [what],
            )
        moved = db.fetchone()[0]
        expected = {"moved": {1}, "refused": {0}}.get(outcome, {0, 1})
        assert moved in expected, (model, what, outcome, moved)
        committed_anyway += outcome.startswith("error") and moved
    # every purchase, notified again, ends credited once
    for reference in references:
        for _try in range(10):
            notified = outcome_of(
                lambda reference=reference: rpc_result(simulate_demo_payment(server, reference))
            )
            if notified == "moved":
                break
        state, _balance, entries, payments = ledger_of_transaction(db, reference)
        assert (state, entries, payments) == ("done", [("purchase", 40)], [40]), reference
    print(
        f"\ncut connections: {len(clicks) + len(shop_outcomes)} attempts in {elapsed:.1f} s, "
        f"{sum(terminated)} connections terminated in {len(terminated)} rounds; outcomes "
        f"{dict(tally)}; {committed_anyway} errors after the movement was committed; "
        f"errors seen: {dict(errors.most_common(4))}"
    )
    assert sum(terminated) and tally["error"], "the cuts must have hit requests"
    assert_every_invariant(db, company_id, server)
