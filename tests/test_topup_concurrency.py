"""One credit purchase notified by several Odoo workers at the same moment credits once.

A real ``odoo-bin --workers=4`` receives the demo provider's payment notification, and then
the customer's status polls (each one post-processes the transaction), from many threads
at once: every request runs in its own worker process and PostgreSQL transaction, as
Stripe or PayPal webhooks, return pages and status polls do in production.
"""

import re
from concurrent.futures import ThreadPoolExecutor

import requests
from conftest import assert_books_match_wallets
from odoo_server import jsonrpc

SIMULTANEOUS = 12


def customer_cookies(server):
    """The session cookie of the demo portal customer, signed in."""
    response = requests.post(
        f"{server.url}/web/session/authenticate",
        json={
            "jsonrpc": "2.0",
            "method": "call",
            "params": {"db": server.database, "login": "customer", "password": "customer"},
        },
        timeout=60,
    )
    response.raise_for_status()
    assert "result" in response.json(), response.json()
    return response.cookies.get_dict()


def start_purchase(server, cookies, package_name):
    """Open Buy Credits, choose the package and create its transaction, as the page's JS does.

    The session then monitors the transaction, like the customer's browser.
    """
    admin = (server.uid, "admin")
    [customer] = server.execute_kw(
        *admin, "res.users", "search_read", [("login", "=", "customer")], fields=["company_id"]
    )
    company_id = customer["company_id"][0]
    [package] = server.execute_kw(
        *admin,
        "credit.package",
        "search_read",
        [("name", "=", package_name), ("company_id", "=", company_id)],
        fields=["id"],
    )
    [provider] = server.execute_kw(
        *admin,
        "payment.provider",
        "search_read",
        [("code", "=", "demo"), ("company_id", "=", company_id)],
        fields=["id", "payment_method_ids"],
    )
    page = requests.get(
        f"{server.url}/my/credits/buy?package_id={package['id']}", cookies=cookies, timeout=60
    )
    page.raise_for_status()
    form = {
        key: re.search(rf'data-{key}="([^"]*)"', page.text).group(1)
        for key in ("amount", "transaction-route", "access-token")
    }
    answer = jsonrpc(
        f"{server.url}{form['transaction-route']}",
        {
            "provider_id": provider["id"],
            "payment_method_id": provider["payment_method_ids"][0],
            "token_id": None,
            "amount": float(form["amount"]),
            "flow": "direct",
            "tokenization_requested": False,
            "landing_route": "/my/credits",
            "is_validation": False,
            "access_token": form["access-token"],
        },
        cookies,
    )
    assert "result" in answer, answer
    return answer["result"]["reference"]


def call_admin(server, model, method, *args):
    return server.execute_kw(server.uid, "admin", model, method, *args)


def at_once(function, count=SIMULTANEOUS):
    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(lambda _index: function(), range(count)))


def purchase_state(db, reference):
    db.execute(
        """SELECT tx.id, tx.state, tx.credit_wallet_id, wallet.balance, wallet.company_id
             FROM payment_transaction tx
             JOIN credit_wallet wallet ON wallet.id = tx.credit_wallet_id
            WHERE tx.reference = %s""",
        [reference],
    )
    tx_id, state, wallet_id, balance, company_id = db.fetchone()
    db.execute(
        "SELECT kind, amount FROM credit_ledger_entry WHERE payment_transaction_id = %s "
        "ORDER BY id",
        [tx_id],
    )
    entries = db.fetchall()
    db.execute("SELECT COUNT(*) FROM account_payment WHERE payment_transaction_id = %s", [tx_id])
    payments = db.fetchone()[0]
    return tx_id, state, wallet_id, balance, company_id, entries, payments


def wallet_balance(db, reference):
    return purchase_state(db, reference)[3]


def test_simultaneous_notifications_and_polls_credit_once(server, db):
    """12 'payment done' notifications at once, then 12 status polls at once: one credit."""
    cookies = customer_cookies(server)
    reference = start_purchase(server, cookies, "Growth")  # 500.00 for 550.00 credits
    balance_before = wallet_balance(db, reference)

    answers = at_once(
        lambda: jsonrpc(
            f"{server.url}/payment/demo/simulate_payment",
            {"reference": reference, "simulated_state": "done", "payment_details": "4242"},
        )
    )
    assert not [answer for answer in answers if "error" in answer], answers
    # the customer's browser polls the status page, which post-processes the transaction
    at_once(lambda: jsonrpc(f"{server.url}/payment/status/poll", {}, cookies))

    _tx_id, state, _wallet, balance, company_id, entries, payments = purchase_state(db, reference)
    assert state == "done"
    assert entries == [("purchase", 500), ("bonus", 50)]
    assert payments == 1
    assert balance == balance_before + 550
    assert_books_match_wallets(db, company_id)


def test_simultaneous_post_processing_of_a_done_transaction_credits_once(server, db):
    """A paid purchase whose credits could not be granted at first, post-processed by 12
    workers at once once the cause is fixed: only the row lock and the unique constraint
    stand between the polls."""
    cookies = customer_cookies(server)
    reference = start_purchase(server, cookies, "Starter")  # 100.00 for 100.00 credits
    tx_id, _state, wallet_id, *_rest = purchase_state(db, reference)
    balance_before = wallet_balance(db, reference)
    db.execute("SELECT partner_id FROM credit_wallet WHERE id = %s", [wallet_id])
    customer_id = db.fetchone()[0]
    # an archived customer cannot be credited: the payment is done, the credit waits
    call_admin(server, "res.partner", "write", [customer_id], {"active": False})
    try:
        answer = jsonrpc(
            f"{server.url}/payment/demo/simulate_payment",
            {"reference": reference, "simulated_state": "done", "payment_details": "4242"},
        )
        assert "error" not in answer, answer
        db.execute("SELECT state, credit_issue FROM payment_transaction WHERE id = %s", [tx_id])
        state, issue = db.fetchone()
        assert state == "done" and "archived" in issue
        assert wallet_balance(db, reference) == balance_before
    finally:
        call_admin(server, "res.partner", "write", [customer_id], {"active": True})

    answers = at_once(lambda: jsonrpc(f"{server.url}/payment/status/poll", {}, cookies))
    # a poll that lost the race answers "retry", as Odoo's status page expects; the page polls
    # again, and so does the test
    print(f"{sum('error' in answer for answer in answers)} of {SIMULTANEOUS} polls lost the race")
    answer = jsonrpc(f"{server.url}/payment/status/poll", {}, cookies)
    assert answer["result"]["state"] == "done", answer

    _tx_id, state, _wallet, balance, company_id, entries, payments = purchase_state(db, reference)
    assert entries == [("purchase", 100)]
    assert payments == 1
    assert balance == balance_before + 100
    assert_books_match_wallets(db, company_id)
