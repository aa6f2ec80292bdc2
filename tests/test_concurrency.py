"""Several Odoo worker processes move one wallet at the same moment.

A real ``odoo-bin --workers=4`` serves JSON-RPC calls sent from many threads at once;
each call runs in its own worker process and PostgreSQL transaction, exactly as in a
multi-worker production deployment. Correctness may rely only on the database.
"""

import random
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from conftest import (
    assert_audit_finds_nothing,
    assert_books_match_wallets,
    assert_ledger_matches_wallet,
)
from odoo_server import RpcError


def new_wallet(server, name):
    partner_id = server.call("res.partner", "create", {"name": name, "is_company": True})
    return server.call("credit.wallet", "create", {"partner_id": partner_id})


def prepare_adjustment(server, wallet_id, amount):
    return server.call(
        "credit.wallet.adjustment",
        "create",
        {
            "wallet_id": wallet_id,
            "direction": "in" if amount > 0 else "out",
            "amount": abs(amount),
            "reason": "concurrency test",
        },
    )


# A request Odoo gave up on after its own retries wrote nothing; a user would submit it
# again, and so does the test, a bounded number of times.
RESUBMISSIONS = 10


def apply_adjustment(server, wizard_id, stats):
    """Post a prepared adjustment: True if posted, False if refused for lack of credits."""
    for _attempt in range(RESUBMISSIONS):
        try:
            server.call("credit.wallet.adjustment", "action_apply", [wizard_id])
            return True
        except RpcError as error:
            if "Not enough credits" in str(error):
                return False
            if "could not serialize" not in str(error):
                raise
            stats["resubmitted"] += 1
    raise AssertionError(f"adjustment {wizard_id} still conflicting after {RESUBMISSIONS} tries")


def adjust(server, wallet_id, amount):
    return apply_adjustment(server, prepare_adjustment(server, wallet_id, amount), Counter())


def run_at_once(server, wallet_id, amounts):
    """Apply one adjustment per amount, 16 requests in flight on the server's workers."""
    wizard_ids = [prepare_adjustment(server, wallet_id, amount) for amount in amounts]
    stats = Counter()
    with ThreadPoolExecutor(max_workers=16) as pool:
        outcomes = list(pool.map(lambda wid: apply_adjustment(server, wid, stats), wizard_ids))
    print(f"{len(amounts)} concurrent adjustments, {stats['resubmitted']} resubmitted")
    return outcomes


def wallet_state(db, wallet_id):
    db.execute("SELECT balance, company_id FROM credit_wallet WHERE id = %s", [wallet_id])
    balance, company_id = db.fetchone()
    db.execute(
        "SELECT COALESCE(SUM(amount), 0), COUNT(*) FROM credit_ledger_entry WHERE wallet_id = %s",
        [wallet_id],
    )
    ledger_sum, entry_count = db.fetchone()
    db.execute(
        """SELECT running_balance FROM credit_ledger_entry
            WHERE wallet_id = %s ORDER BY id""",
        [wallet_id],
    )
    running = [row[0] for row in db.fetchall()]
    return balance, company_id, ledger_sum, entry_count, running


def test_spending_at_once_never_overdraws(server, db):
    """20 credits, 40 workers-wide spends of 1 credit: exactly 20 succeed."""
    wallet_id = new_wallet(server, "Concurrent Spender Ltd")
    assert adjust(server, wallet_id, 20.0)

    outcomes = run_at_once(server, wallet_id, [-1.0] * 40)

    balance, company_id, ledger_sum, entry_count, running = wallet_state(db, wallet_id)
    assert outcomes.count(True) == 20
    assert outcomes.count(False) == 20
    assert balance == 0
    assert ledger_sum == balance
    assert entry_count == 21
    # each running balance from 19 down to 0 appears once, in posting order
    assert running == [20 - n for n in range(21)]
    assert_books_match_wallets(db, company_id)
    assert_audit_finds_nothing(server, company_id)


def test_mixed_movements_at_once_keep_every_invariant(server, db):
    """Credits in and out from many workers: balance = ledger = books, never negative."""
    wallet_id = new_wallet(server, "Concurrent Mixer Ltd")
    rng = random.Random(42)
    amounts = [rng.choice([5.0, 3.0, -4.0, -2.0, -7.0]) for _ in range(60)]

    outcomes = run_at_once(server, wallet_id, amounts)

    balance, company_id, ledger_sum, entry_count, running = wallet_state(db, wallet_id)
    posted = [amount for amount, ok in zip(amounts, outcomes, strict=True) if ok]
    assert all(outcomes[i] for i, amount in enumerate(amounts) if amount > 0), "ins never fail"
    assert entry_count == len(posted)
    assert balance == ledger_sum == pytest.approx(sum(posted))
    # running balances chain from zero to the balance, never below zero
    assert_ledger_matches_wallet(db, wallet_id)
    assert_books_match_wallets(db, company_id)
    assert_audit_finds_nothing(server, company_id)
