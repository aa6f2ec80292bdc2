"""Auto-pay never pays an invoice twice, whatever runs at the same moment on several workers.

A real ``odoo-bin --workers=4``: the daily auto-pay action started by an accountant while the
customer pays the same invoice with credits from the portal, or by card; and one draft
invoice posted by two requests at once. Each scenario uses a customer of its own, so that no
other test's open invoices take part. Posting only triggers the action (the server runs no
cron thread): the tests run it as Odoo's cron runner would, once the posting committed.
"""

import itertools
from collections import Counter
from decimal import Decimal

from conftest import (
    assert_audit_finds_nothing,
    assert_books_match_wallets,
    assert_ledger_matches_wallet,
)
from odoo_server import (
    RpcError,
    adjust_wallet,
    at_once,
    invoice_payment_page,
    payment_provider,
    poll_payment_status,
    rpc_result,
    run_autopay,
    simulate_demo_payment,
    start_credit_payment,
    start_invoice_transaction,
    submit_credit_payment,
)

ROUNDS = 3
_customer_numbers = itertools.count(1)


def new_autopay_customer(server, balance, autopay=False):
    """A customer company with a portal contact, ``balance`` credits, auto-pay on or off."""
    number = next(_customer_numbers)
    company_id = server.call(
        "res.partner",
        "create",
        {"name": f"Autopay Race {number} Ltd", "is_company": True, "email": "race@example.com"},
    )
    contact_id = server.call(
        "res.partner",
        "create",
        {"name": f"Rita Race {number}", "parent_id": company_id, "email": "rita@example.com"},
    )
    login = f"autopay_race_{number}_{company_id}"
    portal_group_id = server.ref("base.group_portal")
    server.call(
        "res.users",
        "create",
        {
            "name": f"Rita Race {number}",
            "login": login,
            "password": login,
            "partner_id": contact_id,
            "groups_id": [(6, 0, [portal_group_id])],
        },
    )
    wallet_id = server.call("credit.wallet", "create", {"partner_id": company_id})
    adjust_wallet(server, wallet_id, balance, "race")
    if autopay:
        server.call("res.partner", "write", [company_id], {"credit_autopay": "always"})
    return company_id, wallet_id, server.authenticate(login, login)


def draft_invoice(server, partner_id, amount):
    return server.call(
        "account.move",
        "create",
        {
            "move_type": "out_invoice",
            "partner_id": partner_id,
            "is_move_sent": True,
            "invoice_line_ids": [
                (
                    0,
                    0,
                    {
                        "product_id": server.ref("credit_wallet.demo_product_seo_report"),
                        "quantity": 1,
                        "price_unit": amount,
                        "tax_ids": [(6, 0, [])],
                    },
                )
            ],
        },
    )


def spends_of_invoice(db, invoice_id):
    """The spend entries of the transactions paying ``invoice_id``."""
    db.execute(
        """SELECT entry.amount FROM credit_ledger_entry entry
             JOIN account_invoice_transaction_rel rel
               ON rel.transaction_id = entry.payment_transaction_id
            WHERE rel.invoice_id = %s AND entry.kind = 'spend'""",
        [invoice_id],
    )
    return [row[0] for row in db.fetchall()]


def invoice_state(db, invoice_id):
    db.execute(
        "SELECT state, payment_state, amount_residual FROM account_move WHERE id = %s",
        [invoice_id],
    )
    return db.fetchone()


def wallet_company(db, wallet_id):
    db.execute("SELECT balance, company_id FROM credit_wallet WHERE id = %s", [wallet_id])
    return db.fetchone()


def test_the_daily_action_and_a_portal_payment_at_once_pay_once(server, db):
    winners = Counter()
    for _round in range(ROUNDS):
        customer_id, wallet_id, cookies = new_autopay_customer(server, 100.0)
        invoice_id = draft_invoice(server, customer_id, 80.0)
        server.call("account.move", "action_post", [invoice_id])
        assert invoice_state(db, invoice_id)[1] == "not_paid", "auto-pay is still off"
        payment = start_credit_payment(server, cookies, invoice_id)
        server.call("res.partner", "write", [customer_id], {"credit_autopay": "always"})

        stats = Counter()
        at_once(
            [
                lambda payment=payment, stats=stats: submit_credit_payment(server, payment, stats),
                lambda: run_autopay(server),
            ]
        )

        assert invoice_state(db, invoice_id) == ("posted", "paid", 0)
        assert spends_of_invoice(db, invoice_id) == [Decimal("-80.00")]
        balance, company_id = wallet_company(db, wallet_id)
        assert balance == Decimal("20.00")
        db.execute(
            "SELECT state FROM payment_transaction WHERE reference = %s", [payment.reference]
        )
        portal_state = db.fetchone()[0]
        winners["portal" if portal_state == "done" else "daily action"] += 1
        assert_ledger_matches_wallet(db, wallet_id)
        assert_books_match_wallets(db, company_id)
        assert_audit_finds_nothing(server, company_id)
    print(f"{ROUNDS} rounds of daily action vs portal payment, won by: {dict(winners)}")


def test_the_daily_action_and_a_card_payment_at_once_pay_once(server, db):
    """The customer pays by card while auto-pay runs: the card pays, the credits stay."""
    winners = Counter()
    for _round in range(ROUNDS):
        customer_id, wallet_id, cookies = new_autopay_customer(server, 100.0, autopay=True)
        invoice_id = draft_invoice(server, customer_id, 80.0)
        server.call("account.move", "action_post", [invoice_id])
        _balance, company_id = wallet_company(db, wallet_id)
        card = payment_provider(server, [("code", "=", "demo"), ("company_id", "=", company_id)])
        _tags, form = invoice_payment_page(server, cookies, invoice_id)
        reference = rpc_result(
            start_invoice_transaction(
                server, cookies, form, card["id"], card["payment_method_ids"][0], "direct"
            )
        )["reference"]

        def pay_by_card(reference=reference, cookies=cookies):
            rpc_result(simulate_demo_payment(server, reference))
            rpc_result(poll_payment_status(server, cookies))

        if _round % 2:
            at_once([pay_by_card, lambda: run_autopay(server)])
        else:
            # auto-pay wins for sure: the card payment, confirmed afterwards, takes over
            run_autopay(server)
            pay_by_card()
        # what the cron runner and the status page do next, whoever won
        run_autopay(server)
        rpc_result(poll_payment_status(server, cookies))

        assert invoice_state(db, invoice_id)[2] == 0, "paid"
        db.execute(
            """SELECT provider.code, payment.amount FROM account_payment payment
                 JOIN payment_transaction tx ON tx.id = payment.payment_transaction_id
                 JOIN payment_provider provider ON provider.id = tx.provider_id
                 JOIN account_move_line line ON line.move_id = payment.move_id
                 JOIN account_partial_reconcile partial
                   ON partial.credit_move_id = line.id
                 JOIN account_move_line invoice_line ON invoice_line.id = partial.debit_move_id
                WHERE invoice_line.move_id = %s""",
            [invoice_id],
        )
        assert db.fetchall() == [("demo", Decimal("80.00"))], "matched with the card payment"
        balance, company_id = wallet_company(db, wallet_id)
        assert balance == Decimal("100.00"), "the credits stay with the customer"
        spends = spends_of_invoice(db, invoice_id)
        winners["auto-pay first, then gave way" if spends else "card first"] += 1
        assert_ledger_matches_wallet(db, wallet_id)
        assert_books_match_wallets(db, company_id)
        assert_audit_finds_nothing(server, company_id)
    print(f"{ROUNDS} rounds of daily action vs card payment: {dict(winners)}")


def test_one_invoice_posted_twice_at_once_is_paid_once(server, db):
    outcomes = Counter()
    for _round in range(ROUNDS):
        customer_id, wallet_id, _cookies = new_autopay_customer(server, 100.0, autopay=True)
        invoice_id = draft_invoice(server, customer_id, 60.0)

        def post(invoice_id=invoice_id):
            try:
                server.call("account.move", "action_post", [invoice_id])
                return "posted"
            except RpcError as error:
                return f"refused: {str(error)[:60]}"

        for outcome in at_once([post, post]):
            outcomes[outcome] += 1
        run_autopay(server)

        assert invoice_state(db, invoice_id) == ("posted", "paid", 0)
        assert spends_of_invoice(db, invoice_id) == [Decimal("-60.00")]
        balance, company_id = wallet_company(db, wallet_id)
        assert balance == Decimal("40.00")
        assert_ledger_matches_wallet(db, wallet_id)
        assert_books_match_wallets(db, company_id)
        assert_audit_finds_nothing(server, company_id)
    print(f"{ROUNDS} rounds of two postings at once: {dict(outcomes)}")
