"""Spends per second: distinct wallets with 1 and 2 workers, and one wallet (its row lock).

Usage:  .venv/bin/python benchmarks/bench_spend_throughput.py [--spends 60] [--clients 4]

Each configuration pays the same number of invoices of 10.00 with Pay with Credits
(``credit.invoice.payment``, its ``action_pay`` button over JSON-RPC as admin, the wizards
opened beforehand), sent by ``--clients`` threads at once:

- 1 worker, distinct wallets: one request at a time, the baseline;
- 2 workers, distinct wallets: two at a time, no two on one wallet's row lock (on this
  2-core machine the database shares the cores with the workers);
- 2 workers, one wallet: every payment takes the same wallet's row lock; under Odoo's
  REPEATABLE READ isolation, a payment that finds the row changed since its transaction
  began fails to serialize and Odoo retries the whole request after a random pause (up to
  5 times), and the client resubmits a request Odoo gave up on.

It works in a throwaway database (``BENCH_DB``, default ``cw_bench_spend``), a copy of
``MODULE_DB`` (or built as the repository tests build theirs), dropped at the end unless
``BENCH_KEEP_DB=1``. It checks that every payment went through and every wallet lost
exactly what it paid, then prints per configuration the spends per second, the median
latency of a payment, Odoo's retries and the clients' resubmissions. It only reports.

Environment: ODOO_SRC, ODOO_CONF, PYTHON, PGHOST, PGPORT, DB_USER as for the repository
tests (tests/odoo_server.py); BENCH_DB, MODULE_DB, TEMPLATE_DB, BENCH_KEEP_DB.
"""

import argparse
import statistics
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import NamedTuple

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from odoo_server import (  # noqa: E402
    OdooServer,
    adjust_wallet,
    create_invoices,
    resubmitting,
    throwaway_database,
)

SPENDS = 60
CLIENTS = 4
AMOUNT = 10.0


class Configuration(NamedTuple):
    label: str
    workers: int
    one_wallet: bool


CONFIGURATIONS = (
    Configuration("1 worker, distinct wallets", 1, False),
    Configuration("2 workers, distinct wallets", 2, False),
    Configuration("2 workers, one wallet", 2, True),
)


def prepare(server, configuration, spends, clients):
    """Wallets funded for their payments, and one opened Pay with Credits wizard per spend.

    :return: per client, its wizard ids; and the wallets with what they must end with
    """
    wallets = 1 if configuration.one_wallet else clients
    partner_ids = server.call(
        "res.partner",
        "create",
        [
            {"name": f"{configuration.label} customer {number}", "is_company": True}
            for number in range(wallets)
        ],
    )
    wallet_ids = server.call(
        "credit.wallet", "create", [{"partner_id": partner_id} for partner_id in partner_ids]
    )
    per_client = [[] for _client in range(clients)]
    expected = {}
    for number, (partner_id, wallet_id) in enumerate(zip(partner_ids, wallet_ids, strict=True)):
        owners = range(clients) if configuration.one_wallet else [number]
        count = sum(len(range(client, spends, clients)) for client in owners)
        adjust_wallet(server, wallet_id, AMOUNT * count, "spend throughput benchmark")
        invoice_ids = create_invoices(server, partner_id, [AMOUNT] * count)
        wizard_ids = server.call(
            "credit.invoice.payment",
            "create",
            [{"invoice_id": invoice_id, "amount": AMOUNT} for invoice_id in invoice_ids],
        )
        for client in owners:
            for _spend in range(client, spends, clients):
                per_client[client].append(wizard_ids.pop())
        expected[wallet_id] = 0.0
    return per_client, expected


def run(server, per_client):
    """Each client clicks its buttons one after the other, all clients at once."""
    stats = Counter()

    def click_all(wizard_ids):
        latencies = []
        for wizard_id in wizard_ids:
            start = time.perf_counter()
            resubmitting(
                lambda wizard_id=wizard_id: server.call(
                    "credit.invoice.payment", "action_pay", [wizard_id]
                ),
                stats,
            )
            latencies.append((time.perf_counter() - start) * 1000)
        return latencies

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=len(per_client)) as pool:
        latencies = [ms for result in pool.map(click_all, per_client) for ms in result]
    return time.perf_counter() - start, latencies, stats["resubmitted"]


def measure(database, log_dir, spends, clients):
    results = []
    by_workers = {}
    for configuration in CONFIGURATIONS:
        by_workers.setdefault(configuration.workers, []).append(configuration)
    for workers, configurations in by_workers.items():
        log_path = log_dir / f"bench-spend-throughput-{workers}-server.log"
        with OdooServer(database, log_path, workers=workers) as server:
            for configuration in configurations:
                per_client, expected = prepare(server, configuration, spends, clients)
                # warm every worker up: the first requests load caches
                for wizard_ids in per_client:
                    server.call("credit.invoice.payment", "read", wizard_ids[:1], ["amount"])
                since = server.log_position()
                elapsed, latencies, resubmitted = run(server, per_client)
                retried, _given_up = server.concurrency_retries(since)
                balances = server.call("credit.wallet", "read", list(expected), ["balance"])
                if any(wallet["balance"] != expected[wallet["id"]] for wallet in balances):
                    raise SystemExit(f"{configuration.label}: wallets left {balances}")
                results.append((configuration, elapsed, latencies, retried, resubmitted))
                print(f"  {configuration.label}: {elapsed:.1f} s", flush=True)
    return results


def report(spends, clients, results):
    print()
    print(
        f"{spends} payments of {AMOUNT:.2f} with credits per configuration (Pay with Credits "
        f"over JSON-RPC), {clients} clients at once"
    )
    header = ("configuration", "spends/s", "median ms", "p90 ms", "retries", "resubmitted")
    print(
        f"{header[0]:>28} | {header[1]:>8} | {header[2]:>9} | {header[3]:>7} | "
        f"{header[4]:>7} | {header[5]:>11}"
    )
    print(f"{'-' * 28}-+-{'-' * 8}-+-{'-' * 9}-+-{'-' * 7}-+-{'-' * 7}-+-{'-' * 11}")
    for configuration, elapsed, latencies, retried, resubmitted in results:
        print(
            f"{configuration.label:>28} | {spends / elapsed:>8.1f} | "
            f"{statistics.median(latencies):>9.1f} | "
            f"{statistics.quantiles(latencies, n=10)[-1]:>7.1f} | {retried:>7} | "
            f"{resubmitted:>11}"
        )
    print("(retries: requests Odoo retried after a serialization failure, as it logs them)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--spends", type=int, default=SPENDS)
    parser.add_argument("--clients", type=int, default=CLIENTS)
    args = parser.parse_args()
    if args.spends < args.clients or args.clients < 2:
        parser.error("at least 2 clients, and at least one spend per client")

    with throwaway_database("cw_bench_spend", "bench-spend-throughput") as (database, log_dir):
        results = measure(database, log_dir, args.spends, args.clients)
    report(args.spends, args.clients, results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
