"""Customers pay invoices with credits from several browser tabs, on several workers, at once.

A real ``odoo-bin --workers=4`` serves the portal to ``requests`` sessions signed in as the
demo customer. Each payment follows the browser's path: the invoice page (its payment form
and the fingerprint beside the Credits option), the invoice's transaction route, then the
form it returns, POSTed to ``/payment/credit/process``. The POSTs are sent from threads
released together, so that two workers settle payments of one wallet at the same moment;
only the database (row locks, constraints, Odoo's retry of serialization failures) stands
between them and an overdraft or a double debit.
"""

import html
import time
from collections import Counter
from decimal import Decimal

import requests
from conftest import (
    assert_audit_finds_nothing,
    assert_books_match_wallets,
    assert_ledger_matches_wallet,
)
from odoo_server import (
    CREDIT_REFUSAL,
    adjust_wallet,
    at_once,
    create_invoices,
    start_credit_payment,
    submit_credit_payment,
)

RACE_ROUNDS = 5
DOUBLE_SUBMITS = 8
MANY_TABS = 6
RATE_ROUNDS = 4
RATE_TABS = 3


def create_invoice(server, amount):
    """A posted invoice of ``amount`` for Northwind, sent to the customer."""
    partner_id = server.ref("credit_wallet.demo_partner_northwind")
    return create_invoices(server, partner_id, [amount])[0]


def wallet_balance(db, wallet_id):
    db.execute("SELECT balance FROM credit_wallet WHERE id = %s", [wallet_id])
    return db.fetchone()[0]


def set_balance(server, db, wallet_id, target):
    """Bring the wallet to ``target`` credits with the manual adjustment wizard."""
    difference = Decimal(target) - wallet_balance(db, wallet_id)
    if difference:
        adjust_wallet(server, wallet_id, float(difference), "spend concurrency test")
    assert wallet_balance(db, wallet_id) == Decimal(target)


def transaction(db, reference):
    db.execute(
        """SELECT id, state, state_message, is_post_processed
             FROM payment_transaction WHERE reference = %s""",
        [reference],
    )
    return db.fetchone()


def invoice_payment(db, invoice_id):
    db.execute(
        "SELECT payment_state, amount_residual FROM account_move WHERE id = %s", [invoice_id]
    )
    return db.fetchone()


def spendings(db, tx_ids):
    """(transaction, amount) of the spend entries and of the account payments of ``tx_ids``."""
    db.execute(
        """SELECT payment_transaction_id, amount FROM credit_ledger_entry
            WHERE kind = 'spend' AND payment_transaction_id = ANY(%s) ORDER BY id""",
        [list(tx_ids)],
    )
    entries = db.fetchall()
    db.execute(
        """SELECT payment_transaction_id, amount FROM account_payment
            WHERE payment_transaction_id = ANY(%s) ORDER BY id""",
        [list(tx_ids)],
    )
    return entries, db.fetchall()


def status_page(server, cookies):
    page = requests.get(f"{server.url}/payment/status", cookies=cookies, timeout=60)
    page.raise_for_status()
    return html.unescape(page.text)


def assert_paid(db, payment, amount):
    """The payment is done and post-processed; its invoice is paid in full."""
    tx_id, state, message, post_processed = transaction(db, payment.reference)
    assert (state, post_processed) == ("done", True), (payment.reference, state, message)
    assert invoice_payment(db, payment.invoice_id) == ("paid", 0)
    entries, payments = spendings(db, [tx_id])
    assert entries == [(tx_id, -amount)]
    assert payments == [(tx_id, amount)]


def assert_refused(server, db, payment, amount):
    """The payment ended in error, says why, and left the wallet and its invoice alone."""
    tx_id, state, message, _post_processed = transaction(db, payment.reference)
    assert state == "error", (payment.reference, state, message)
    assert CREDIT_REFUSAL.search(message or ""), message
    assert message in status_page(server, payment.cookies), "the customer is told why"
    assert invoice_payment(db, payment.invoice_id) == ("not_paid", amount)
    assert spendings(db, [tx_id]) == ([], [])


def northwind(server):
    """The demo customer's wallet and company."""
    [wallet] = server.call(
        "credit.wallet",
        "read",
        [server.ref("credit_wallet.demo_wallet_northwind")],
        ["company_id"],
    )
    return wallet["id"], wallet["company_id"][0]


def test_two_tabs_paying_more_than_the_balance_pay_one_invoice(server, db):
    """100 credits, two invoices of 80 paid from two tabs at once: one paid, one refused."""
    wallet_id, company_id = northwind(server)
    tabs = [server.authenticate("customer", "customer") for _tab in range(2)]
    amount = Decimal("80.00")
    retried = given_up = 0
    stats, wins = Counter(), Counter()
    started = time.monotonic()
    for _round in range(RACE_ROUNDS):
        set_balance(server, db, wallet_id, 100)
        payments = [
            start_credit_payment(server, tab, create_invoice(server, float(amount))) for tab in tabs
        ]
        log_position = server.log_position()

        at_once(
            [
                lambda payment=payment: submit_credit_payment(server, payment, stats)
                for payment in payments
            ]
        )

        round_retried, round_given_up = server.concurrency_retries(log_position)
        retried, given_up = retried + round_retried, given_up + round_given_up
        states = {transaction(db, payment.reference)[1]: payment for payment in payments}
        assert sorted(states) == ["done", "error"], states
        wins[payments.index(states["done"]) + 1] += 1
        assert_paid(db, states["done"], amount)
        assert_refused(server, db, states["error"], amount)
        assert wallet_balance(db, wallet_id) == Decimal("20.00")
        assert_ledger_matches_wallet(db, wallet_id)
        assert_books_match_wallets(db, company_id)
        assert_audit_finds_nothing(server, company_id)
    print(
        f"\ntwo tabs: {RACE_ROUNDS} rounds in {time.monotonic() - started:.1f} s, won by tab "
        f"1 / tab 2: {wins[1]} / {wins[2]}; Odoo retried {retried} requests, gave up on "
        f"{given_up}; {stats['resubmitted']} resubmitted"
    )
    # a retry is the trace of two workers settling at once: without one, nothing raced
    assert retried, "no round raced: both payments were settled one after the other"
    # two payments cannot conflict twice: the retried one sees the other's commit
    assert (given_up, stats["resubmitted"]) == (0, 0)


def test_double_submit_of_one_payment_debits_once(server, db):
    """The same payment form POSTed 8 times at once: one debit, one payment, invoice paid."""
    wallet_id, company_id = northwind(server)
    tab = server.authenticate("customer", "customer")
    set_balance(server, db, wallet_id, 100)
    amount = Decimal("80.00")
    payment = start_credit_payment(server, tab, create_invoice(server, float(amount)))
    log_position = server.log_position()
    stats = Counter()

    at_once([lambda: submit_credit_payment(server, payment, stats)] * DOUBLE_SUBMITS)

    retried, given_up = server.concurrency_retries(log_position)
    print(
        f"\ndouble submit: {DOUBLE_SUBMITS} POSTs at once; Odoo retried {retried} requests, "
        f"gave up on {given_up}; {stats['resubmitted']} resubmitted"
    )
    # every submission shows the status page: the later ones find the payment done
    assert stats["resubmitted"] == 0
    assert_paid(db, payment, amount)
    assert wallet_balance(db, wallet_id) == Decimal("20.00")
    assert_ledger_matches_wallet(db, wallet_id)
    assert_books_match_wallets(db, company_id)
    assert_audit_finds_nothing(server, company_id)


def test_many_tabs_paying_many_invoices_never_overdraw(server, db):
    """100 credits, six invoices of 30 paid from six tabs at once: three paid, three refused."""
    wallet_id, company_id = northwind(server)
    tabs = [server.authenticate("customer", "customer") for _tab in range(MANY_TABS)]
    set_balance(server, db, wallet_id, 100)
    amount = Decimal("30.00")
    payments = [
        start_credit_payment(server, tab, create_invoice(server, float(amount))) for tab in tabs
    ]
    log_position = server.log_position()
    stats = Counter()
    started = time.monotonic()

    at_once(
        [
            lambda payment=payment: submit_credit_payment(server, payment, stats)
            for payment in payments
        ]
    )

    retried, given_up = server.concurrency_retries(log_position)
    print(
        f"\n{MANY_TABS} tabs: settled in {time.monotonic() - started:.1f} s; Odoo retried "
        f"{retried} requests, gave up on {given_up}; {stats['resubmitted']} resubmitted"
    )
    states = Counter()
    for payment in payments:
        state = transaction(db, payment.reference)[1]
        states[state] += 1
        if state == "done":
            assert_paid(db, payment, amount)
        else:
            assert_refused(server, db, payment, amount)
    assert states == {"done": 3, "error": 3}
    assert wallet_balance(db, wallet_id) == Decimal("10.00")
    assert_ledger_matches_wallet(db, wallet_id)
    assert_books_match_wallets(db, company_id)
    assert_audit_finds_nothing(server, company_id)


def euro(server):
    """The euro, made active as an agency does to invoice in it."""
    [euro_id] = server.call(
        "res.currency", "search", [("name", "=", "EUR")], context={"active_test": False}
    )
    server.call("res.currency", "write", [euro_id], {"active": True})
    return euro_id


def euro_invoice(server, euro_id, amount):
    """A posted invoice of ``amount`` euros for Northwind, sent to the customer."""
    partner_id = server.ref("credit_wallet.demo_partner_northwind")
    return create_invoices(server, partner_id, [amount], currency_id=euro_id)[0]


def set_rate(server, company_id, currency_id, rate):
    """The agency sets a new conversion rate for the currency (it replaces the active one)."""
    server.call(
        "credit.conversion.rate",
        "create",
        [{"company_id": company_id, "currency_id": currency_id, "rate": rate}],
    )


def test_payments_in_flight_when_the_rate_changes_use_the_rate_they_showed(server, db):
    """Euro invoices paid from three tabs while the agency changes the euro's rate: each
    payment takes the credits its page showed, or is refused and takes nothing."""
    wallet_id, company_id = northwind(server)
    euro_id = euro(server)
    tabs = [server.authenticate("customer", "customer") for _tab in range(RATE_TABS + 1)]
    late_tab = tabs.pop()
    amount = Decimal("10.00")
    outcomes, stats = Counter(), Counter()
    for round_number in range(RATE_ROUNDS):
        shown_rate, new_rate = 2 + round_number, 3 + round_number
        set_rate(server, company_id, euro_id, shown_rate)
        set_balance(server, db, wallet_id, 1000)
        payments = [
            start_credit_payment(server, tab, euro_invoice(server, euro_id, float(amount)))
            for tab in tabs
        ]
        # one more tab showed its page before the change and submits after it
        late = start_credit_payment(server, late_tab, euro_invoice(server, euro_id, float(amount)))

        at_once(
            [
                *(
                    lambda payment=payment: submit_credit_payment(server, payment, stats)
                    for payment in payments
                ),
                lambda new_rate=new_rate: set_rate(server, company_id, euro_id, new_rate),
            ]
        )
        submit_credit_payment(server, late, stats)

        for payment in [*payments, late]:
            tx_id, state, message, _post_processed = transaction(db, payment.reference)
            entries, account_payments = spendings(db, [tx_id])
            if state == "done":
                # the credits its page showed: 10 euros at the rate before the change
                assert entries == [(tx_id, -amount * shown_rate)], (payment.reference, entries)
                assert account_payments == [(tx_id, amount)]
                assert invoice_payment(db, payment.invoice_id) == ("paid", 0)
                outcomes["paid at the rate shown"] += 1
            else:
                assert state == "error", (payment.reference, state, message)
                assert "changed since the page was shown" in message, message
                assert message in status_page(server, payment.cookies), "the customer is told"
                assert (entries, account_payments) == ([], [])
                assert invoice_payment(db, payment.invoice_id) == ("not_paid", amount)
                outcomes["refused"] += 1
        assert transaction(db, late.reference)[1] == "error", "its page showed the old rate"
        assert_ledger_matches_wallet(db, wallet_id)
        assert_books_match_wallets(db, company_id)
        assert_audit_finds_nothing(server, company_id)
    print(
        f"\nrate changed during payments: {RATE_ROUNDS} rounds of {RATE_TABS} tabs + 1 late: "
        f"{outcomes['paid at the rate shown']} paid at the rate shown, {outcomes['refused']} "
        f"refused; {stats['resubmitted']} resubmitted"
    )
