"""32 clients move a handful of wallets at once through a 4-worker server, 1,000+ times.

A real ``odoo-bin --workers=4`` serves five customer companies, each with a wallet and a
portal user. 32 client threads send, at once, what moves money, each the way a browser or
the back office does it:

- two browsers of each customer (10 signed-in sessions) buy credits with the demo provider
  (transaction route, the provider's "done" notification, the status page's poll) and pay
  invoices in full with Credits (invoice page, transaction route, POST
  /payment/credit/process);
- 22 back-office clients (JSON-RPC as admin) click Pay with Credits on invoices, paying
  them in parts (``credit.invoice.payment``), and add and remove credits
  (``credit.wallet.adjustment``). Their wizards are opened before the run; the run clicks
  the buttons.

Outflows outweigh inflows, so the wallets run dry again and again and many spends are
refused. An attempt is one request that moves money (a spend, a top-up's notification, an
adjustment); a request Odoo gave up on after its own retries of serialization failures is
sent again (bounded) and counted.

Then what every client was told is checked against the books: no balance ever below zero
(the running balance of every entry), balance = sum of entries = running balance of the
latest = what the clients were told moved, every invoice's amount due = its amount less
what its payments were told they paid, the wallets sum to the Customer Credit account,
each transaction credited once, no half-written movement, and no error reached a client
except "Not enough credits" / "does not cover".
"""

import random
import threading
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import NamedTuple

from conftest import assert_every_invariant
from odoo_server import (
    CONCURRENCY_FAILURE,
    CREDIT_REFUSAL,
    CreditsRefused,
    create_invoices,
    create_portal_customers,
    credit_purchase_form,
    payment_provider,
    poll_payment_status,
    resubmitting,
    rpc_result,
    simulate_demo_payment,
    start_credit_payment,
    start_credit_purchase,
    submit_credit_payment,
)

WALLETS = 5
BROWSERS_PER_WALLET = 2
BACK_OFFICE_CLIENTS = 22
BROWSERS = WALLETS * BROWSERS_PER_WALLET
CLIENTS = BROWSERS + BACK_OFFICE_CLIENTS
# each client's attempts, drawn with these weights
BROWSER_ATTEMPTS = 15
BROWSER_MIX = {"top_up": 2, "portal_spend": 1}
BACK_OFFICE_ATTEMPTS = 40
BACK_OFFICE_MIX = {"adjust_in": 35, "adjust_out": 40, "backend_spend": 25}
SEED = 20261127
OPENING_BALANCE = Decimal(150)
TOP_UPS = {"Starter": 100, "custom 40": 40}  # credits bought, for the same price
# the back office pays each invoice in this many parts
PARTS_PER_INVOICE = 6
RESUBMISSIONS = 10
POLLS = 10


class Attempt(NamedTuple):
    client: int
    wallet: int
    kind: str
    amount: Decimal
    invoice_id: int = 0
    wizard_id: int = 0


class Outcome(NamedTuple):
    attempt: Attempt
    moved: Decimal | None  # credits in (positive) or out (negative), 0 when refused
    reference: str = ""  # the payment transaction, for top-ups and portal spends


class Customer(NamedTuple):
    partner_id: int
    wallet_id: int
    login: str
    forms: dict  # the Buy Credits payment forms, by top-up


def plan(rng):
    """Every client's attempts, drawn once: kind, wallet and amount."""
    attempts = []
    for client in range(CLIENTS):
        browser = client < BROWSERS
        mix = BROWSER_MIX if browser else BACK_OFFICE_MIX
        for _index in range(BROWSER_ATTEMPTS if browser else BACK_OFFICE_ATTEMPTS):
            kind = rng.choices(list(mix), list(mix.values()))[0]
            if kind == "top_up":
                amount = TOP_UPS[rng.choice(list(TOP_UPS))]
            elif kind == "adjust_in":
                amount = rng.randrange(5, 40)
            else:
                amount = rng.randrange(5, 60)
            attempts.append(Attempt(client, client % WALLETS, kind, Decimal(amount)))
    return attempts


def set_up_customers(server):
    """Customer companies with a portal user, a funded wallet and their Buy Credits forms."""
    logins = [f"load{number}" for number in range(WALLETS)]
    partner_ids = create_portal_customers(server, logins)
    wallet_ids = server.call(
        "credit.wallet", "create", [{"partner_id": partner_id} for partner_id in partner_ids]
    )
    wizard_ids = server.call(
        "credit.wallet.adjustment",
        "create",
        [
            {"wallet_id": wallet_id, "amount": float(OPENING_BALANCE), "reason": "opening"}
            for wallet_id in wallet_ids
        ],
    )
    server.call("credit.wallet.adjustment", "action_apply", wizard_ids)
    starter_id = server.ref("credit_wallet.demo_package_starter")

    def with_forms(login):
        cookies = server.authenticate(login, login)
        # the form's access token is the customer's: each of its browsers may use it
        return {
            "Starter": credit_purchase_form(server, cookies, package_id=starter_id),
            "custom 40": credit_purchase_form(server, cookies, amount=40),
        }

    with ThreadPoolExecutor(max_workers=WALLETS) as pool:
        forms = list(pool.map(with_forms, logins))
    return [
        Customer(*values) for values in zip(partner_ids, wallet_ids, logins, forms, strict=True)
    ]


def prepare(server, customers, attempts):
    """Give each spend its invoice and each back-office attempt its opened wizard.

    A portal spend pays an invoice of its amount; the back office pays an invoice in
    PARTS_PER_INVOICE parts, whose amounts add up to the invoice's.
    """
    attempts = list(attempts)
    invoiced = defaultdict(list)  # wallet -> [(attempt indexes, invoice amount)]
    parts = defaultdict(list)
    for index, attempt in enumerate(attempts):
        if attempt.kind == "portal_spend":
            invoiced[attempt.wallet].append(([index], attempt.amount))
        elif attempt.kind == "backend_spend":
            parts[attempt.wallet].append(index)
    for wallet, indexes in parts.items():
        for start in range(0, len(indexes), PARTS_PER_INVOICE):
            group = indexes[start : start + PARTS_PER_INVOICE]
            invoiced[wallet].append((group, sum(attempts[index].amount for index in group)))

    def create(wallet):
        amounts = [float(amount) for _group, amount in invoiced[wallet]]
        return wallet, create_invoices(server, customers[wallet].partner_id, amounts)

    with ThreadPoolExecutor(max_workers=WALLETS) as pool:
        for wallet, invoice_ids in pool.map(create, invoiced):
            for (group, _amount), invoice_id in zip(invoiced[wallet], invoice_ids, strict=True):
                for index in group:
                    attempts[index] = attempts[index]._replace(invoice_id=invoice_id)

    wizards = {
        "credit.wallet.adjustment": [
            (
                index,
                {
                    "wallet_id": customers[attempt.wallet].wallet_id,
                    "direction": "in" if attempt.kind == "adjust_in" else "out",
                    "amount": float(attempt.amount),
                    "reason": "load test",
                },
            )
            for index, attempt in enumerate(attempts)
            if attempt.kind in ("adjust_in", "adjust_out")
        ],
        "credit.invoice.payment": [
            (index, {"invoice_id": attempt.invoice_id, "amount": float(attempt.amount)})
            for index, attempt in enumerate(attempts)
            if attempt.kind == "backend_spend"
        ],
    }
    for model, opened in wizards.items():
        wizard_ids = server.call(model, "create", [values for _index, values in opened])
        for (index, _values), wizard_id in zip(opened, wizard_ids, strict=True):
            attempts[index] = attempts[index]._replace(wizard_id=wizard_id)
    return attempts


class Client:
    """A customer's browser (signed in) or a back-office user, sending its attempts."""

    def __init__(self, server, customer, demo_provider, browser):
        self.server = server
        self.customer = customer
        self.demo_provider = demo_provider
        self.cookies = server.authenticate(customer.login, customer.login) if browser else None
        # one counter per client thread: resubmissions, polls repeated
        self.stats = Counter()

    def run(self, attempt):
        return getattr(self, attempt.kind)(attempt)

    def resubmitting(self, send):
        """Send a request until Odoo did not give up on it; return None or the refusal."""
        return resubmitting(send, self.stats, CREDIT_REFUSAL, RESUBMISSIONS)

    def click(self, attempt, model, button, moved):
        refusal = self.resubmitting(lambda: self.server.call(model, button, [attempt.wizard_id]))
        return Outcome(attempt, Decimal(0) if refusal else moved)

    def adjust_in(self, attempt):
        return self.click(attempt, "credit.wallet.adjustment", "action_apply", attempt.amount)

    def adjust_out(self, attempt):
        return self.click(attempt, "credit.wallet.adjustment", "action_apply", -attempt.amount)

    def backend_spend(self, attempt):
        return self.click(attempt, "credit.invoice.payment", "action_pay", -attempt.amount)

    def portal_spend(self, attempt):
        try:
            payment = start_credit_payment(self.server, self.cookies, attempt.invoice_id)
        except CreditsRefused as refusal:
            # not offered: the page found the balance short; refused: the route did
            if "does not offer" not in str(refusal) and not CREDIT_REFUSAL.search(str(refusal)):
                raise
            return Outcome(attempt, Decimal(0))
        submit_credit_payment(self.server, payment, self.stats, RESUBMISSIONS)
        # the status page tells the customer; the test reads the transaction's state later
        return Outcome(attempt, None, payment.reference)

    def top_up(self, attempt):
        form = self.customer.forms["Starter" if attempt.amount == 100 else "custom 40"]
        processing = {}
        # the purchase's transaction refers to the wallet, which other workers move
        self.resubmitting(
            lambda: processing.update(
                start_credit_purchase(self.server, self.cookies, form, self.demo_provider)
            )
        )
        reference = processing["reference"]
        self.resubmitting(lambda: rpc_result(simulate_demo_payment(self.server, reference)))
        for _poll in range(POLLS):
            answer = poll_payment_status(self.server, self.cookies)
            if "result" in answer:
                assert answer["result"]["state"] == "done", answer
                break
            # a poll that lost a race answers "retry", and the status page polls again
            assert "retry" in str(answer["error"]), answer
            self.stats["polled again"] += 1
        else:
            raise AssertionError(f"{reference} still not post-processed after {POLLS} polls")
        return Outcome(attempt, attempt.amount, reference)


def run_clients(clients, attempts):
    """Each client sends its attempts one after the other, all clients at once."""
    barrier = threading.Barrier(len(clients))
    errors = []

    def run(client_number):
        outcomes = []
        barrier.wait(timeout=120)
        for attempt in attempts:
            if attempt.client != client_number:
                continue
            try:
                outcomes.append(clients[client_number].run(attempt))
            except Exception as error:  # noqa: BLE001 - every unexpected error is reported
                errors.append(f"{attempt}: {type(error).__name__}: {error}"[:500])
        return outcomes

    with ThreadPoolExecutor(max_workers=len(clients)) as pool:
        results = list(pool.map(run, range(len(clients))))
    return [outcome for outcomes in results for outcome in outcomes], errors


def settle_portal_spends(db, outcomes):
    """What each portal spend moved, read from its transaction: done, or refused in error."""
    settled = []
    for outcome in outcomes:
        if outcome.moved is not None:
            settled.append(outcome)
            continue
        db.execute(
            "SELECT state, state_message FROM payment_transaction WHERE reference = %s",
            [outcome.reference],
        )
        state, message = db.fetchone()
        if state == "done":
            settled.append(outcome._replace(moved=-outcome.attempt.amount))
        else:
            assert state == "error" and CREDIT_REFUSAL.search(message or ""), (
                outcome,
                state,
                message,
            )
            settled.append(outcome._replace(moved=Decimal(0)))
    return settled


def assert_outcomes_are_in_the_books(db, customers, outcomes):
    """Each wallet and invoice moved by exactly what the clients were told, entry by entry."""
    kinds = {"top_up": "purchase", "adjust_in": "adjustment", "adjust_out": "adjustment"}
    for number, customer in enumerate(customers):
        mine = [outcome for outcome in outcomes if outcome.attempt.wallet == number]
        db.execute("SELECT balance FROM credit_wallet WHERE id = %s", [customer.wallet_id])
        assert db.fetchone()[0] == OPENING_BALANCE + sum(outcome.moved for outcome in mine)
        db.execute(
            "SELECT kind, COUNT(*) FROM credit_ledger_entry WHERE wallet_id = %s GROUP BY kind",
            [customer.wallet_id],
        )
        entries = Counter(dict(db.fetchall()))
        told = Counter(
            kinds.get(outcome.attempt.kind, "spend") for outcome in mine if outcome.moved
        )
        told["adjustment"] += 1  # the opening balance
        assert entries == told, (customer, entries, told)
    by_invoice = defaultdict(list)
    for outcome in outcomes:
        if outcome.attempt.invoice_id:
            by_invoice[outcome.attempt.invoice_id].append(outcome)
    db.execute(
        "SELECT id, amount_total, amount_residual FROM account_move WHERE id = ANY(%s)",
        [list(by_invoice)],
    )
    for invoice_id, total, residual in db.fetchall():
        paid = -sum(outcome.moved for outcome in by_invoice[invoice_id])
        assert residual == total - paid, (invoice_id, total, residual, by_invoice[invoice_id])
    for outcome in outcomes:
        if outcome.attempt.kind == "top_up":
            db.execute(
                """SELECT tx.state, tx.is_post_processed,
                          (SELECT COUNT(*) FROM account_payment p
                            WHERE p.payment_transaction_id = tx.id)
                     FROM payment_transaction tx WHERE tx.reference = %s""",
                [outcome.reference],
            )
            assert db.fetchone() == ("done", True, 1), outcome


def test_load_of_mixed_movements_keeps_every_invariant(server, db):
    """1,030 attempts from 32 clients on 5 wallets: no overdraft, books whole, all told true."""
    started = time.monotonic()
    customers = set_up_customers(server)
    attempts = prepare(server, customers, plan(random.Random(SEED)))
    db.execute("SELECT company_id FROM credit_wallet WHERE id = %s", [customers[0].wallet_id])
    company_id = db.fetchone()[0]
    demo_provider = payment_provider(
        server, [("code", "=", "demo"), ("company_id", "=", company_id)]
    )
    with ThreadPoolExecutor(max_workers=WALLETS) as pool:
        clients = list(
            pool.map(
                lambda number: Client(
                    server, customers[number % WALLETS], demo_provider, number < BROWSERS
                ),
                range(CLIENTS),
            )
        )
    db.execute("SELECT MAX(id) FROM credit_ledger_entry")
    last_entry_before = db.fetchone()[0]
    log_position = server.log_position()
    prepared = time.monotonic()

    outcomes, errors = run_clients(clients, attempts)

    elapsed = time.monotonic() - prepared
    stats = sum((client.stats for client in clients), Counter())
    retried, given_up = server.concurrency_retries(log_position)
    db.execute("SELECT COUNT(*) FROM credit_ledger_entry WHERE id > %s", [last_entry_before])
    movements = db.fetchone()[0]
    outcomes = settle_portal_spends(db, outcomes)
    tally = Counter(
        (outcome.attempt.kind, "moved" if outcome.moved else "refused") for outcome in outcomes
    )
    print(
        f"\nload: {len(attempts)} attempts from {CLIENTS} clients on {WALLETS} wallets in "
        f"{elapsed:.1f} s: {len(attempts) / elapsed:.1f} attempts/s, "
        f"{movements / elapsed:.1f} movements/s ({movements} movements); set up in "
        f"{prepared - started:.1f} s"
    )
    print(
        "  "
        + ", ".join(f"{kind} {state} {count}" for (kind, state), count in sorted(tally.items()))
    )
    print(
        f"  Odoo retried {retried} requests after serialization failures and gave up on "
        f"{given_up}; clients resubmitted {stats['resubmitted']}, polled again "
        f"{stats['polled again']}"
    )
    assert errors == [], "\n".join(errors[:20])
    assert len(outcomes) == len(attempts)
    # the server logged the queries that failed to serialize, and nothing else went wrong
    assert server.logged_errors(log_position, allowed=CONCURRENCY_FAILURE) == []
    # each resubmission answers a request Odoo gave up on, and nothing else
    assert stats["resubmitted"] == given_up
    for kind in ("adjust_out", "backend_spend", "portal_spend"):
        assert (
            tally[(kind, "moved")] and tally[(kind, "refused")]
        ), f"{kind}: the wallets never ran dry, or never had enough"
    assert_outcomes_are_in_the_books(db, customers, outcomes)
    assert_every_invariant(db, company_id, server)
