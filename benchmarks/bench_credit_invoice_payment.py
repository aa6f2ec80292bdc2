"""Paying an invoice with credits versus Odoo's own Register Payment, on identical invoices.

Usage:  .venv/bin/python benchmarks/bench_credit_invoice_payment.py [--samples 25] [--warm-up 3]

It works in a throwaway database (``BENCH_DB``, default ``cw_bench_credit_invoice``),
dropped at the end unless ``BENCH_KEEP_DB=1``:

1. the database is a copy of ``MODULE_DB`` (credit_wallet installed with its demo data)
   or, without it, is built as the repository tests build theirs (``TEMPLATE_DB`` and
   ``-i credit_wallet``);
2. a real ``odoo-bin`` serves it (prefork workers, free 127.0.0.1 port). As admin, over
   JSON-RPC, it creates two identical posted invoices per sample for the demo customer
   Northwind Studio (one "Monthly SEO Report" line at 80.00, no tax), marked as sent (as an
   invoice a customer is asked to pay is; an unsent one would be rendered to PDF and
   emailed by Odoo's post-processing of the credit payment, with ``sale.automatic_invoice``
   on, which Register Payment does not do), and funds Northwind's wallet with the manual
   adjustment wizard;
3. each sample pays one invoice each way, through the same layer (JSON-RPC as admin, as the
   server buttons do): with credits, ``credit.invoice.payment`` created for the invoice
   then ``action_pay`` (a Credits transaction, the wallet debited by the posting service,
   a payment reconciled with the invoice); with Register Payment,
   ``account.payment.register`` created for the invoice (``active_model`` / ``active_ids``)
   on a bank journal then ``action_create_payments``. The two alternate (credits first,
   then Register Payment first, ...) after a warm-up, so that load from other processes on
   the machine hits both alike;
4. it checks that every invoice ended paid and the wallet lost exactly what it paid, then
   prints, per side, the median, 90th percentile and minimum wall-clock time of the two
   calls (wizard + button) and of the button alone, the SQL query count and SQL time Odoo
   logs for them, and the ratio credits / Register Payment of the medians (target: at most
   1.2). It only reports: the exit status does not depend on the timings.

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
    adjust_wallet,
    create_invoices,
    sample_arguments,
    throwaway_database,
)

SAMPLES = 25
WARM_UP = 3
TARGET_RATIO = 1.2
INVOICE_AMOUNT = 80.0
CREDITS = "credits"
REGISTER = "register"
LABELS = {CREDITS: "Pay with Credits", REGISTER: "Register Payment"}


def wallet_balance(server, wallet_id):
    [wallet] = server.call("credit.wallet", "read", [wallet_id], ["balance"])
    return wallet["balance"]


def pay_with_credits(server, invoice_id, _bank_journal_id):
    wizard_id = server.call("credit.invoice.payment", "create", {"invoice_id": invoice_id})
    start = time.perf_counter()
    server.call("credit.invoice.payment", "action_pay", [wizard_id])
    return time.perf_counter() - start


def register_payment(server, invoice_id, bank_journal_id):
    wizard_id = server.call(
        "account.payment.register",
        "create",
        {"journal_id": bank_journal_id},
        context={"active_model": "account.move", "active_ids": [invoice_id]},
    )
    start = time.perf_counter()
    server.call("account.payment.register", "action_create_payments", [wizard_id])
    return time.perf_counter() - start


PAYMENTS = {CREDITS: pay_with_credits, REGISTER: register_payment}


def pay(server, side, invoice_id, bank_journal_id):
    """Milliseconds of the whole payment (wizard + button) and of the button alone."""
    start = time.perf_counter()
    button = PAYMENTS[side](server, invoice_id, bank_journal_id)
    return (time.perf_counter() - start) * 1000, button * 1000


def measure(server, samples, warm_up):
    wallet_id = server.ref("credit_wallet.demo_wallet_northwind")
    [wallet] = server.call("credit.wallet", "read", [wallet_id], ["company_id"])
    bank_journal_ids = server.call(
        "account.journal",
        "search",
        [("type", "=", "bank"), ("company_id", "=", wallet["company_id"][0])],
    )
    if not bank_journal_ids:
        raise SystemExit("No bank journal in Northwind's company for Register Payment.")
    rounds = warm_up + samples
    invoice_ids = create_invoices(
        server, server.ref("credit_wallet.demo_partner_northwind"), [INVOICE_AMOUNT] * 2 * rounds
    )
    to_pay = list(invoice_ids)
    adjust_wallet(server, wallet_id, INVOICE_AMOUNT * rounds, "benchmark")
    balance_before = wallet_balance(server, wallet_id)

    timings = {side: [] for side in PAYMENTS}
    buttons = {side: [] for side in PAYMENTS}
    order = []
    log_position = None
    for index in range(rounds):
        if index == warm_up:
            log_position = server.log_position()
        sides = (CREDITS, REGISTER) if index % 2 == 0 else (REGISTER, CREDITS)
        for side in sides:
            total, button = pay(server, side, to_pay.pop(), bank_journal_ids[0])
            if index >= warm_up:
                timings[side].append(total)
                buttons[side].append(button)
                order.append(side)
    # calls are sequential: the log lists them in the order they were sent, two per payment
    calls = server.logged_requests(log_position, "POST /jsonrpc")
    if len(calls) != 2 * len(order):
        raise SystemExit(f"Expected {2 * len(order)} logged calls, found {len(calls)}.")
    queries = {side: [] for side in PAYMENTS}
    for index, side in enumerate(order):
        (create_queries, create_ms), (button_queries, button_ms) = calls[2 * index : 2 * index + 2]
        queries[side].append((create_queries + button_queries, create_ms + button_ms))
    check_outcome(
        server, invoice_ids, wallet_id, balance_before, INVOICE_AMOUNT * len(invoice_ids) / 2
    )
    return timings, buttons, queries


def check_outcome(server, invoice_ids, wallet_id, balance_before, paid_with_credits):
    """Every invoice paid in full, and the wallet debited by ``paid_with_credits`` exactly."""
    invoices = server.call(
        "account.move", "read", invoice_ids, ["name", "payment_state", "amount_residual"]
    )
    unpaid = [
        invoice
        for invoice in invoices
        if invoice["payment_state"] not in ("paid", "in_payment") or invoice["amount_residual"]
    ]
    if unpaid:
        raise SystemExit(f"Not every benchmark invoice ended paid: {unpaid}")
    spent = balance_before - wallet_balance(server, wallet_id)
    if abs(spent - paid_with_credits) > 0.005:
        raise SystemExit(f"The wallet lost {spent:.2f}, not {paid_with_credits:.2f}.")


def report(samples, warm_up, timings, buttons, queries):
    print()
    print(
        f"Paying a posted invoice of {INVOICE_AMOUNT:.2f} over JSON-RPC as admin: {samples} "
        f"payments each way, interleaved, after {warm_up} warm-up rounds"
    )
    header = ("", "median ms", "p90 ms", "min ms", "button ms", "SQL queries", "SQL ms")
    print(
        f"{header[0]:>16} | {header[1]:>9} | {header[2]:>7} | {header[3]:>7} | "
        f"{header[4]:>9} | {header[5]:>11} | {header[6]:>6}"
    )
    print(f"{'-' * 16}-+-{'-' * 9}-+-{'-' * 7}-+-{'-' * 7}-+-{'-' * 9}-+-{'-' * 11}-+-{'-' * 6}")
    for side, label in LABELS.items():
        values = timings[side]
        p90 = statistics.quantiles(values, n=10)[-1]
        counts = sorted({count for count, _sql_ms in queries[side]})
        query_text = "/".join(str(count) for count in counts[:3]) + ("/..." * (len(counts) > 3))
        sql_ms = statistics.median(sql_ms for _count, sql_ms in queries[side])
        print(
            f"{label:>16} | {statistics.median(values):>9.1f} | {p90:>7.1f} | "
            f"{min(values):>7.1f} | {statistics.median(buttons[side]):>9.1f} | "
            f"{query_text:>11} | {sql_ms:>6.1f}"
        )
    ratio = statistics.median(timings[CREDITS]) / statistics.median(timings[REGISTER])
    button_ratio = statistics.median(buttons[CREDITS]) / statistics.median(buttons[REGISTER])
    verdict = "OK" if ratio <= TARGET_RATIO else "ABOVE TARGET"
    print(
        f"\nratio median credits / Register Payment: {ratio:.2f} (target <= {TARGET_RATIO}) "
        f"{verdict}; button alone: {button_ratio:.2f}"
    )
    print("(SQL queries and SQL ms: wizard + button, as Odoo logs them per request)")


def main():
    args = sample_arguments(__doc__.split("\n")[0], SAMPLES, WARM_UP)
    label = "bench-credit-invoice-payment"
    with throwaway_database("cw_bench_credit_invoice", label) as (database, log_dir):
        with OdooServer(database, log_dir / f"{label}-server.log", args.workers) as server:
            timings, buttons, queries = measure(server, args.samples, args.warm_up)
    report(args.samples, args.warm_up, timings, buttons, queries)
    return 0


if __name__ == "__main__":
    sys.exit(main())
