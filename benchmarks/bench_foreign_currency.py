"""Paying an invoice in a foreign currency with credits versus one in the company currency.

Usage:  .venv/bin/python benchmarks/bench_foreign_currency.py [--samples 25] [--warm-up 3]

It works in a throwaway database (``BENCH_DB``, default ``cw_bench_foreign_currency``),
dropped at the end unless ``BENCH_KEEP_DB=1``, built as bench_credit_invoice_payment.py
builds its own. A real ``odoo-bin`` serves it. As admin, over JSON-RPC, it activates the
euro, gives it an Odoo exchange rate and a conversion rate of 9 credits per euro, then
creates per sample two posted, sent invoices for the demo customer Northwind Studio (one
"Monthly SEO Report" line, no tax): 80.00 in the company currency and 80.00 EUR. Each
sample pays one of each with Pay with Credits (``credit.invoice.payment`` then
``action_pay``, the path of the backend button), alternating which goes first. The foreign
one converts the money into credits at the euro's rate, books Customer Credit at the
credits' value, the receivable at Odoo's conversion and the difference on Credit Exchange
Difference.

It checks that every invoice ended paid and the wallet lost exactly the credits expected
(80 + 720 per sample), then prints per side the median, 90th percentile and minimum time,
the SQL queries Odoo logs, and the ratio foreign / company currency of the medians (target:
at most 1.1). It only reports: the exit status does not depend on the timings.

Environment: as bench_credit_invoice_payment.py.
"""

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from bench_credit_invoice_payment import pay_with_credits, wallet_balance  # noqa: E402
from odoo_server import (  # noqa: E402
    OdooServer,
    adjust_wallet,
    create_invoices,
    sample_arguments,
    throwaway_database,
)

SAMPLES = 25
WARM_UP = 3
TARGET_RATIO = 1.1
INVOICE_AMOUNT = 80.0
EURO_CREDITS_PER_UNIT = 9.0
COMPANY = "company"
FOREIGN = "foreign"
LABELS = {COMPANY: "company currency", FOREIGN: "euro invoice"}


def set_up_the_euro(server, company_id):
    """The euro active, at an Odoo rate of 0.9 per company currency unit, 9 credits each."""
    [euro_id] = server.call(
        "res.currency", "search", [("name", "=", "EUR")], context={"active_test": False}
    )
    server.call("res.currency", "write", [euro_id], {"active": True})
    server.call(
        "res.currency.rate",
        "create",
        {"currency_id": euro_id, "company_id": company_id, "name": "2000-01-01", "rate": 0.9},
    )
    server.call(
        "credit.conversion.rate",
        "create",
        {"currency_id": euro_id, "company_id": company_id, "rate": EURO_CREDITS_PER_UNIT},
    )
    return euro_id


def measure(server, samples, warm_up):
    wallet_id = server.ref("credit_wallet.demo_wallet_northwind")
    partner_id = server.ref("credit_wallet.demo_partner_northwind")
    [wallet] = server.call("credit.wallet", "read", [wallet_id], ["company_id"])
    euro_id = set_up_the_euro(server, wallet["company_id"][0])
    rounds = warm_up + samples
    invoices = {
        COMPANY: create_invoices(server, partner_id, [INVOICE_AMOUNT] * rounds),
        FOREIGN: create_invoices(
            server, partner_id, [INVOICE_AMOUNT] * rounds, currency_id=euro_id
        ),
    }
    credits_per_round = INVOICE_AMOUNT * (1 + EURO_CREDITS_PER_UNIT)
    adjust_wallet(server, wallet_id, credits_per_round * rounds, "benchmark")
    balance_before = wallet_balance(server, wallet_id)

    timings = {side: [] for side in LABELS}
    order = []
    log_position = None
    to_pay = {side: list(ids) for side, ids in invoices.items()}
    for index in range(rounds):
        if index == warm_up:
            log_position = server.log_position()
        sides = (COMPANY, FOREIGN) if index % 2 == 0 else (FOREIGN, COMPANY)
        for side in sides:
            start = time.perf_counter()
            pay_with_credits(server, to_pay[side].pop(), None)
            if index >= warm_up:
                timings[side].append((time.perf_counter() - start) * 1000)
                order.append(side)
    calls = server.logged_requests(log_position, "POST /jsonrpc")
    if len(calls) != 2 * len(order):
        raise SystemExit(f"Expected {2 * len(order)} logged calls, found {len(calls)}.")
    queries = {side: [] for side in LABELS}
    for index, side in enumerate(order):
        (create_queries, _create_ms), (button_queries, _button_ms) = calls[
            2 * index : 2 * index + 2
        ]
        queries[side].append(create_queries + button_queries)

    paid = server.call(
        "account.move", "read", [*invoices[COMPANY], *invoices[FOREIGN]], ["payment_state"]
    )
    unpaid = [invoice for invoice in paid if invoice["payment_state"] not in ("paid", "in_payment")]
    if unpaid:
        raise SystemExit(f"Not every benchmark invoice ended paid: {unpaid}")
    spent = balance_before - wallet_balance(server, wallet_id)
    if abs(spent - credits_per_round * rounds) > 0.005:
        raise SystemExit(f"The wallet lost {spent:.2f} credits, not {credits_per_round * rounds}.")
    return timings, queries


def report(samples, warm_up, timings, queries):
    print()
    print(
        f"Pay with Credits on posted invoices of {INVOICE_AMOUNT:.2f}, over JSON-RPC as admin: "
        f"{samples} of each, interleaved, after {warm_up} warm-up rounds"
    )
    print(f"{'':>16} | {'median ms':>9} | {'p90 ms':>7} | {'min ms':>7} | {'SQL queries':>11}")
    print(f"{'-' * 16}-+-{'-' * 9}-+-{'-' * 7}-+-{'-' * 7}-+-{'-' * 11}")
    for side, label in LABELS.items():
        values = timings[side]
        p90 = statistics.quantiles(values, n=10)[-1]
        print(
            f"{label:>16} | {statistics.median(values):>9.1f} | {p90:>7.1f} | "
            f"{min(values):>7.1f} | {statistics.median(queries[side]):>11.0f}"
        )
    ratio = statistics.median(timings[FOREIGN]) / statistics.median(timings[COMPANY])
    verdict = "OK" if ratio <= TARGET_RATIO else "ABOVE TARGET"
    print(
        f"\nratio median euro invoice / company currency: {ratio:.2f} (target <= "
        f"{TARGET_RATIO}) {verdict}"
    )


def main():
    args = sample_arguments(__doc__.split("\n")[0], SAMPLES, WARM_UP)
    label = "bench-foreign-currency"
    with throwaway_database("cw_bench_foreign_currency", label) as (database, log_dir):
        with OdooServer(database, log_dir / f"{label}-server.log", args.workers) as server:
            timings, queries = measure(server, args.samples, args.warm_up)
    report(args.samples, args.warm_up, timings, queries)
    return 0


if __name__ == "__main__":
    sys.exit(main())
