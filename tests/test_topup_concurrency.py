"""One credit purchase notified by several Odoo workers at the same moment credits once.

A real ``odoo-bin --workers=4`` receives the demo provider's payment notification, and then
the customer's status polls (each one post-processes the transaction), from many threads
at once: every request runs in its own worker process and PostgreSQL transaction, as
Stripe or PayPal webhooks, return pages and status polls do in production.
"""

from conftest import (
    assert_audit_finds_nothing,
    assert_books_match_wallets,
    movements_of_transaction,
)
from odoo_server import (
    at_once,
    poll_payment_status,
    simulate_demo_payment,
    start_package_purchase,
)

SIMULTANEOUS = 12


def start_purchase(server, cookies, package_name):
    """Start buying a package with the demo provider, as the Buy Credits page does.

    The session then monitors the transaction, like the customer's browser.
    """
    return start_package_purchase(server, cookies, package_name, [("code", "=", "demo")])[
        "reference"
    ]


def purchase_state(db, reference):
    db.execute(
        """SELECT tx.id, tx.state, tx.credit_wallet_id, wallet.balance, wallet.company_id
             FROM payment_transaction tx
             JOIN credit_wallet wallet ON wallet.id = tx.credit_wallet_id
            WHERE tx.reference = %s""",
        [reference],
    )
    tx_id, state, wallet_id, balance, company_id = db.fetchone()
    entries, payments = movements_of_transaction(db, tx_id)
    return tx_id, state, wallet_id, balance, company_id, entries, payments


def wallet_balance(db, reference):
    return purchase_state(db, reference)[3]


def test_simultaneous_notifications_and_polls_credit_once(server, db):
    """12 'payment done' notifications at once, then 12 status polls at once: one credit."""
    cookies = server.authenticate("customer", "customer")
    reference = start_purchase(server, cookies, "Growth")  # 500.00 for 550.00 credits
    balance_before = wallet_balance(db, reference)

    answers = at_once([lambda: simulate_demo_payment(server, reference)] * SIMULTANEOUS)
    assert not [answer for answer in answers if "error" in answer], answers
    # the customer's browser polls the status page, which post-processes the transaction
    at_once([lambda: poll_payment_status(server, cookies)] * SIMULTANEOUS)

    _tx_id, state, _wallet, balance, company_id, entries, payments = purchase_state(db, reference)
    assert state == "done"
    assert entries == [("purchase", 500), ("bonus", 50)]
    assert payments == 1
    assert balance == balance_before + 550
    assert_books_match_wallets(db, company_id)
    assert_audit_finds_nothing(server, company_id)


def test_simultaneous_post_processing_of_a_done_transaction_credits_once(server, db):
    """A paid purchase whose credits could not be granted at first, post-processed by 12
    workers at once once the cause is fixed: only the row lock and the unique constraint
    stand between the polls."""
    cookies = server.authenticate("customer", "customer")
    reference = start_purchase(server, cookies, "Starter")  # 100.00 for 100.00 credits
    tx_id, _state, wallet_id, *_rest = purchase_state(db, reference)
    balance_before = wallet_balance(db, reference)
    db.execute("SELECT partner_id FROM credit_wallet WHERE id = %s", [wallet_id])
    customer_id = db.fetchone()[0]
    # an archived customer cannot be credited: the payment is done, the credit waits
    server.call("res.partner", "write", [customer_id], {"active": False})
    try:
        answer = simulate_demo_payment(server, reference)
        assert "error" not in answer, answer
        db.execute("SELECT state, credit_issue FROM payment_transaction WHERE id = %s", [tx_id])
        state, issue = db.fetchone()
        assert state == "done" and "archived" in issue
        assert wallet_balance(db, reference) == balance_before
    finally:
        server.call("res.partner", "write", [customer_id], {"active": True})

    answers = at_once([lambda: poll_payment_status(server, cookies)] * SIMULTANEOUS)
    # a poll that lost the race answers "retry", as Odoo's status page expects; the page polls
    # again, and so does the test
    print(f"{sum('error' in answer for answer in answers)} of {SIMULTANEOUS} polls lost the race")
    answer = poll_payment_status(server, cookies)
    assert answer["result"]["state"] == "done", answer

    _tx_id, state, _wallet, balance, company_id, entries, payments = purchase_state(db, reference)
    assert entries == [("purchase", 100)]
    assert payments == 1
    assert balance == balance_before + 100
    assert_books_match_wallets(db, company_id)
    assert_audit_finds_nothing(server, company_id)
