"""Crediting a wallet from a paid purchase versus Odoo's own processing of an invoice payment.

Usage:  .venv/bin/python benchmarks/bench_crediting.py [--samples 25] [--warm-up 3]

Both sides are the same payment, made by the demo customer with Odoo's demo provider
(``payment_demo``), for the same amount (100.00):

- a credit purchase: Buy Credits with a custom amount of 100 (its transaction route);
- an invoice payment: Pay Now on a posted invoice of 100.00 (``/invoice/transaction/<id>``).

Each sample times what follows the customer's click on Pay, as the browser and the provider
send it: the provider's "done" notification (``/payment/demo/simulate_payment``), then the
status page's poll (``/payment/status/poll``), which post-processes the transaction. The
credit purchase is credited in the notification (payment posted on Customer Credit, ledger
entry, balance, confirmation email); the invoice's payment is created, posted and matched
with the invoice in the poll, by account_payment. The draft transactions are created
untimed just before (the session monitors the last one).

It works in a throwaway database (``BENCH_DB``, default ``cw_bench_crediting``), a copy of
``MODULE_DB`` (or built as the repository tests build theirs), dropped at the end unless
``BENCH_KEEP_DB=1``. Samples alternate (purchase first, then invoice first, ...) after a
warm-up. It checks that every purchase was credited once and every invoice paid, then
prints per side the median, 90th percentile and minimum of notification + poll, of each
part, the SQL query counts Odoo logs, and the ratio of the medians purchase / invoice
(target: at most 1.2). It only reports: the exit status does not depend on the timings.

Environment: ODOO_SRC, ODOO_CONF, PYTHON, PGHOST, PGPORT, DB_USER as for the repository
tests (tests/odoo_server.py); BENCH_DB, MODULE_DB, TEMPLATE_DB, BENCH_KEEP_DB.
"""

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from odoo_server import (  # noqa: E402
    OdooServer,
    connect,
    create_invoices,
    credit_purchase_form,
    invoice_payment_page,
    payment_provider,
    poll_payment_status,
    rpc_result,
    sample_arguments,
    simulate_demo_payment,
    start_credit_purchase,
    start_invoice_transaction,
    throwaway_database,
)

SAMPLES = 25
WARM_UP = 3
TARGET_RATIO = 1.2
AMOUNT = 100
PURCHASE, INVOICE = "purchase", "invoice"
LABELS = {PURCHASE: "Credit purchase", INVOICE: "Invoice payment"}
# the two requests timed: the provider's notification, and the status page's poll
TIMED = "POST /payment/(?:demo/simulate_payment|status/poll)"


def start_purchase(server, cookies, form, provider):
    return start_credit_purchase(server, cookies, form, provider)["reference"]


def start_invoice_payment(server, cookies, invoice_id, provider):
    _tags, form = invoice_payment_page(server, cookies, invoice_id)
    answer = start_invoice_transaction(
        server, cookies, form, provider["id"], provider["payment_method_ids"][0], "direct"
    )
    return rpc_result(answer)["reference"]


def pay(server, cookies, reference):
    """Milliseconds of the notification and of the poll that post-processes the payment."""
    start = time.perf_counter()
    rpc_result(simulate_demo_payment(server, reference))
    notified = time.perf_counter()
    answer = rpc_result(poll_payment_status(server, cookies))
    polled = time.perf_counter()
    if answer["state"] != "done":
        raise SystemExit(f"{reference} ended {answer['state']}")
    return (notified - start) * 1000, (polled - notified) * 1000


def measure(server, samples, warm_up):
    cookies = server.authenticate("customer", "customer")
    northwind = server.ref("credit_wallet.demo_partner_northwind")
    [wallet] = server.call(
        "credit.wallet", "read", [server.ref("credit_wallet.demo_wallet_northwind")], ["company_id"]
    )
    demo = payment_provider(
        server, [("code", "=", "demo"), ("company_id", "=", wallet["company_id"][0])]
    )
    rounds = warm_up + samples
    form = credit_purchase_form(server, cookies, amount=AMOUNT)
    invoice_ids = create_invoices(server, northwind, [float(AMOUNT)] * rounds)
    references = {PURCHASE: [], INVOICE: []}
    timings = {PURCHASE: [], INVOICE: []}
    order = []
    log_position = None
    for index in range(rounds):
        if index == warm_up:
            log_position = server.log_position()
        for side in (PURCHASE, INVOICE) if index % 2 == 0 else (INVOICE, PURCHASE):
            if side == PURCHASE:
                reference = start_purchase(server, cookies, form, demo)
            else:
                reference = start_invoice_payment(server, cookies, invoice_ids[index], demo)
            references[side].append(reference)
            parts = pay(server, cookies, reference)
            if index >= warm_up:
                timings[side].append(parts)
                order.append(side)
    calls = server.logged_requests(log_position, TIMED)
    if len(calls) != 2 * len(order):
        raise SystemExit(f"Expected {2 * len(order)} logged requests, found {len(calls)}.")
    queries = {PURCHASE: [], INVOICE: []}
    for index, side in enumerate(order):
        queries[side].append(calls[2 * index : 2 * index + 2])
    check_outcome(server.database, references, invoice_ids)
    return timings, queries


def check_outcome(database, references, invoice_ids):
    """Each purchase credited its 100 credits once; each invoice paid by its transaction."""
    connection = connect(database)
    try:
        cursor = connection.cursor()
        cursor.execute(
            """SELECT tx.reference, COUNT(e.id), SUM(e.amount) FROM payment_transaction tx
                 LEFT JOIN credit_ledger_entry e ON e.payment_transaction_id = tx.id
                WHERE tx.reference = ANY(%s) GROUP BY tx.reference""",
            [references[PURCHASE]],
        )
        credited = {reference: (count, amount) for reference, count, amount in cursor.fetchall()}
        if set(credited.values()) != {(1, AMOUNT)} or len(credited) != len(references[PURCHASE]):
            raise SystemExit(f"Not every purchase was credited once: {credited}")
        cursor.execute(
            "SELECT COUNT(*) FROM account_move WHERE id = ANY(%s) AND payment_state NOT IN "
            "('paid', 'in_payment')",
            [invoice_ids],
        )
        if cursor.fetchone()[0]:
            raise SystemExit("Not every benchmark invoice ended paid.")
    finally:
        connection.close()


def report(samples, warm_up, timings, queries):
    print()
    print(
        f"A demo provider payment of {AMOUNT:.2f}, notified then polled: {samples} payments "
        f"each way, interleaved, after {warm_up} warm-up rounds"
    )
    header = ("", "median ms", "p90 ms", "min ms", "notify ms", "poll ms", "SQL queries")
    print(
        f"{header[0]:>16} | {header[1]:>9} | {header[2]:>7} | {header[3]:>7} | "
        f"{header[4]:>9} | {header[5]:>7} | {header[6]:>15}"
    )
    print(f"{'-' * 16}-+-{'-' * 9}-+-{'-' * 7}-+-{'-' * 7}-+-{'-' * 9}-+-{'-' * 7}-+-{'-' * 15}")
    medians = {}
    for side, label in LABELS.items():
        totals = [notify + poll for notify, poll in timings[side]]
        medians[side] = statistics.median(totals)
        notify = statistics.median(notify for notify, _poll in timings[side])
        poll = statistics.median(poll for _notify, poll in timings[side])
        counts = [
            f"{statistics.median(c[0][0] for c in queries[side]):.0f}+"
            f"{statistics.median(c[1][0] for c in queries[side]):.0f}"
        ]
        print(
            f"{label:>16} | {medians[side]:>9.1f} | "
            f"{statistics.quantiles(totals, n=10)[-1]:>7.1f} | {min(totals):>7.1f} | "
            f"{notify:>9.1f} | {poll:>7.1f} | {counts[0]:>15}"
        )
    ratio = medians[PURCHASE] / medians[INVOICE]
    verdict = "OK" if ratio <= TARGET_RATIO else "ABOVE TARGET"
    print(
        f"\nratio median credit purchase / invoice payment: {ratio:.2f} "
        f"(target <= {TARGET_RATIO}) {verdict}"
    )
    print("(SQL queries: notification + poll, medians, as Odoo logs them per request)")


def main():
    args = sample_arguments(__doc__.split("\n")[0], SAMPLES, WARM_UP)
    label = "bench-crediting"
    with throwaway_database("cw_bench_crediting", label) as (database, log_dir):
        with OdooServer(database, log_dir / f"{label}-server.log", args.workers) as server:
            timings, queries = measure(server, args.samples, args.warm_up)
    report(args.samples, args.warm_up, timings, queries)
    return 0


if __name__ == "__main__":
    sys.exit(main())
