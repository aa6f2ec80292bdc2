"""Credit managers decide one credit request from several Odoo workers at the same moment.

A real ``odoo-bin --workers=4`` serves the demo database. The demo customer buys a package
by wire transfer the way the browser does (Buy Credits page, transaction route, then the
redirect form POSTed to ``/payment/custom/process``, which sets the payment pending and
opens its credit request). The admin, a credit manager, then opens one decision wizard per
thread and the threads, released together, accept (or reject) the same request: each call
runs in its own worker and PostgreSQL transaction, as two managers clicking at once do.
Only the request's row lock and Odoo's retry of serialization failures stand between them
and a request decided twice or a wallet credited twice.
"""

import functools
from decimal import Decimal

from conftest import (
    assert_audit_finds_nothing,
    assert_books_match_wallets,
    assert_ledger_matches_wallet,
    movements_of_transaction,
)
from odoo_server import RpcError, at_once, buy_by_transfer

ACCEPT_ROUNDS = 3
ACCEPTS_AT_ONCE = 4
DECISION_ROUNDS = 4
# the demo packages of the main company: price and credits (bonus included)
GROWTH = ("Growth", Decimal(500), Decimal(550))
STARTER = ("Starter", Decimal(100), Decimal(100))


def decide_at_once(server, wizards):
    """Call each ``(model, id)`` wizard's button from threads released at the same moment.

    :return: per wizard, None when its decision was taken, else the refusal's message
    """

    def decide(wizard):
        model, wizard_id = wizard
        method = "action_accept" if model == "credit.request.accept" else "action_reject"
        try:
            server.call(model, method, [wizard_id])
        except RpcError as error:
            return str(error)
        return None

    return at_once([functools.partial(decide, wizard) for wizard in wizards])


def accept_wizard(server, request_id):
    """The Accept wizard as the manager opens it: the transfer's journal is proposed."""
    return "credit.request.accept", server.call(
        "credit.request.accept", "create", {"request_id": request_id}
    )


def reject_wizard(server, request_id):
    return "credit.request.reject", server.call(
        "credit.request.reject",
        "create",
        {"request_id": request_id, "reason": "No transfer with this reference arrived."},
    )


def request_outcome(db, request_id):
    """What the books say of a request: its state, its payment's, the wallet's movements."""
    db.execute(
        """SELECT r.state, tx.id, tx.state, w.id, w.balance, w.company_id
             FROM credit_request r
             JOIN payment_transaction tx ON tx.id = r.payment_transaction_id
             JOIN credit_wallet w ON w.id = r.wallet_id
            WHERE r.id = %s""",
        [request_id],
    )
    state, tx_id, tx_state, wallet_id, balance, company_id = db.fetchone()
    entries, payments = movements_of_transaction(db, tx_id)
    return {
        "state": state,
        "tx_state": tx_state,
        "wallet_id": wallet_id,
        "balance": balance,
        "company_id": company_id,
        "entries": entries,
        "payments": payments,
    }


def assert_credited_once(server, db, request_id, balance_before, price, credits):
    outcome = request_outcome(db, request_id)
    assert (outcome["state"], outcome["tx_state"]) == ("accepted", "done"), outcome
    expected_entries = [("purchase", price)]
    if credits > price:
        expected_entries.append(("bonus", credits - price))
    assert outcome["entries"] == expected_entries
    assert outcome["payments"] == 1
    assert outcome["balance"] == balance_before + credits
    assert_ledger_matches_wallet(db, outcome["wallet_id"])
    assert_books_match_wallets(db, outcome["company_id"])
    assert_audit_finds_nothing(server, outcome["company_id"])


def assert_credited_nothing(server, db, request_id, balance_before):
    outcome = request_outcome(db, request_id)
    assert (outcome["state"], outcome["tx_state"]) == ("rejected", "cancel"), outcome
    assert outcome["entries"] == []
    assert outcome["payments"] == 0
    assert outcome["balance"] == balance_before
    assert_ledger_matches_wallet(db, outcome["wallet_id"])
    assert_books_match_wallets(db, outcome["company_id"])
    assert_audit_finds_nothing(server, outcome["company_id"])


def test_simultaneous_accepts_credit_the_wallet_once(server, db):
    """4 managers accept one request at the same moment, 3 rounds: one wins each time."""
    cookies = server.authenticate("customer", "customer")
    package_name, price, credits = GROWTH
    for round_number in range(1, ACCEPT_ROUNDS + 1):
        request_id = buy_by_transfer(server, cookies, package_name)
        balance_before = request_outcome(db, request_id)["balance"]
        wizards = [accept_wizard(server, request_id) for _index in range(ACCEPTS_AT_ONCE)]
        since = server.log_position()

        refusals = decide_at_once(server, wizards)

        retried, given_up = server.concurrency_retries(since)
        print(
            f"\nround {round_number}: {refusals.count(None)} of {ACCEPTS_AT_ONCE} accepts won, "
            f"{retried} serialization retries, {given_up} given up"
        )
        assert refusals.count(None) == 1, refusals
        for refusal in filter(None, refusals):
            assert "already accepted" in refusal, refusal
        assert_credited_once(server, db, request_id, balance_before, price, credits)


def test_accept_and_reject_at_once_one_decision_wins(server, db):
    """An accept and a reject of one request at the same moment: the wallet follows the winner."""
    cookies = server.authenticate("customer", "customer")
    package_name, price, credits = STARTER
    winners = {"accept": 0, "reject": 0}
    for round_number in range(1, DECISION_ROUNDS + 1):
        request_id = buy_by_transfer(server, cookies, package_name)
        balance_before = request_outcome(db, request_id)["balance"]
        # the order the threads are handed the wizards in changes from round to round
        wizards = [accept_wizard(server, request_id), reject_wizard(server, request_id)]
        if round_number % 2:
            wizards.reverse()
        since = server.log_position()

        refusals = dict(
            zip([model for model, _id in wizards], decide_at_once(server, wizards), strict=True)
        )

        retried, _given_up = server.concurrency_retries(since)
        accept_refusal = refusals["credit.request.accept"]
        reject_refusal = refusals["credit.request.reject"]
        winner = "reject" if accept_refusal else "accept"
        winners[winner] += 1
        print(f"\nround {round_number}: {winner} won, {retried} serialization retries")
        assert [accept_refusal, reject_refusal].count(None) == 1, refusals
        if winner == "accept":
            assert "already accepted" in reject_refusal, reject_refusal
            assert_credited_once(server, db, request_id, balance_before, price, credits)
        else:
            assert "already rejected" in accept_refusal, accept_refusal
            assert_credited_nothing(server, db, request_id, balance_before)
    print(f"\n{winners['accept']} accepts and {winners['reject']} rejects won")
