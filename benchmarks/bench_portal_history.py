"""Latency of the customer's /my/credits page with 100, 10,000 and 100,000 ledger entries.

Usage:  .venv/bin/python benchmarks/bench_portal_history.py [--sizes 100 10000 100000]

It works in a throwaway database (``BENCH_DB``, default ``cw_bench_portal``), dropped at
the end unless ``BENCH_KEEP_DB=1``:

1. the database is a copy of ``MODULE_DB`` (credit_wallet installed with its demo data)
   or, without it, is built as the repository tests build theirs (``TEMPLATE_DB`` and
   ``-i credit_wallet``);
2. a real ``odoo-bin`` serves it (prefork workers, free 127.0.0.1 port); one portal
   customer per size is created over JSON-RPC as admin;
3. each customer's wallet is filled with its number of ledger entries by ONE bulk
   ``INSERT ... SELECT generate_series``, then the table is vacuumed and analyzed (as
   autovacuum would). ONLY LEDGER ROWS are written, all pointing to one existing journal
   entry of the demo wallet: the books no longer match the wallets in this database
   (DESIGN.md invariant 3). That is deliberate: the benchmark measures page rendering,
   not posting, and the database is thrown away. The rows keep the ledger's own rules
   (In positive, Out negative, running balance = sum so far = wallet balance);
4. each customer signs in and warms up, then the customers' requests for /my/credits are
   interleaved (100, 10,000, 100,000, 100, ...) so that load from other processes on the
   machine hits every size alike. It prints the median, 90th percentile and minimum
   latency, the SQL query count Odoo logs for the request, and the ratio of the largest
   size's median to the smallest's (target: at most 1.3; exit status 1 above it), and,
   for information, the time of one full CSV export per size.

Environment: ODOO_SRC, ODOO_CONF, PYTHON, PGHOST, PGPORT, DB_USER as for the repository
tests (tests/odoo_server.py); BENCH_DB, MODULE_DB, TEMPLATE_DB, BENCH_KEEP_DB.
"""

import argparse
import re
import statistics
import sys
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from odoo_server import (  # noqa: E402
    OdooServer,
    connect,
    throwaway_database,
)

DEFAULT_SIZES = (100, 10_000, 100_000)
WARM_UP = 10
REQUESTS = 20
TARGET_RATIO = 1.3
PAGE = "/my/credits"
ROWS_PER_PAGE = 20


def keep_model_entry(cursor):
    """Save one real ledger entry (the demo's): the bulk rows copy its other columns."""
    cursor.execute("DROP TABLE IF EXISTS bench_entry_model")
    cursor.execute(
        "CREATE TABLE bench_entry_model AS SELECT * FROM credit_ledger_entry ORDER BY id LIMIT 1"
    )
    if not cursor.rowcount:
        raise SystemExit("No ledger entry to copy: is the demo data of credit_wallet installed?")


def create_customer(server, size):
    """A portal user of the main company, login and password ``bench<size>``."""
    login = f"bench{size}"
    server.call(
        "res.users",
        "create",
        {
            "name": f"Benchmark Customer {size}",
            "login": login,
            "password": login,
            "groups_id": [(6, 0, [server.ref("base.group_portal")])],
        },
    )
    return login


def fill_wallet(cursor, login, size):
    """Give ``login``'s partner a wallet with ``size`` entries, oldest first, in one INSERT.

    Odd entries add 10 credits, even ones take 5; the running balance is the window sum.
    """
    cursor.execute(
        """
        INSERT INTO credit_wallet (partner_id, company_id, balance, create_uid, write_uid,
                                   create_date, write_date)
        SELECT u.partner_id, u.company_id, 0, 1, 1, now(), now()
          FROM res_users u WHERE u.login = %s
        RETURNING id, partner_id, company_id
        """,
        [login],
    )
    wallet_id, partner_id, company_id = cursor.fetchone()
    overrides = {
        "wallet_id": "%(wallet)s",
        "partner_id": "%(partner)s",
        "company_id": "%(company)s",
        "date": "now() at time zone 'UTC' - make_interval(mins => %(size)s - n)",
        "entry_type": "CASE WHEN n %% 2 = 1 THEN 'in' ELSE 'out' END",
        "amount": "CASE WHEN n %% 2 = 1 THEN 10 ELSE -5 END",
        "running_balance": "SUM(CASE WHEN n %% 2 = 1 THEN 10 ELSE -5 END) OVER (ORDER BY n)",
        "description": "'Benchmark movement ' || n",
        "reference": "NULL",
        "reference_name": "'BENCH/' || n",
        "reversed_entry_id": "NULL",
        "payment_transaction_id": "NULL",
    }
    cursor.execute(
        """
        SELECT column_name FROM information_schema.columns
         WHERE table_schema = current_schema() AND table_name = 'credit_ledger_entry'
           AND column_name <> 'id'
         ORDER BY ordinal_position
        """
    )
    columns = [name for (name,) in cursor.fetchall()]
    values = [overrides.get(name, f"model.{name}") for name in columns]
    parameters = {"wallet": wallet_id, "partner": partner_id, "company": company_id, "size": size}
    cursor.execute(
        f"""
        INSERT INTO credit_ledger_entry ({", ".join(columns)})
        SELECT {", ".join(values)}
          FROM bench_entry_model model, generate_series(1, %(size)s) AS n
         ORDER BY n
        """,
        parameters,
    )
    cursor.execute(
        """
        UPDATE credit_wallet SET balance = (
            SELECT running_balance FROM credit_ledger_entry
             WHERE wallet_id = %(wallet)s ORDER BY id DESC LIMIT 1)
         WHERE id = %(wallet)s
        """,
        parameters,
    )


def sign_in(url, login):
    session = requests.Session()
    page = session.get(f"{url}/web/login", timeout=60)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    answer = session.post(
        f"{url}/web/login",
        data={"login": login, "password": login, "csrf_token": token, "redirect": PAGE},
        timeout=60,
    )
    if answer.status_code != 200 or "o_credit_wallet_history" not in answer.text:
        raise SystemExit(f"Signing in as {login!r} did not lead to the credit history.")
    return session


def get_page(session, url):
    """Milliseconds for one GET of the history page, checked for a full first page."""
    start = time.perf_counter()
    response = session.get(f"{url}{PAGE}", timeout=60)
    elapsed = (time.perf_counter() - start) * 1000
    rows = response.text.count('class="o_credit_wallet_entry"')
    if response.status_code != 200 or rows != ROWS_PER_PAGE:
        raise SystemExit(f"{PAGE} answered {response.status_code} with {rows} rows.")
    return elapsed


def measure(server, cursor, sizes):
    logins = {size: create_customer(server, size) for size in sizes}
    for size in sizes:
        start = time.perf_counter()
        fill_wallet(cursor, logins[size], size)
        print(f"  {size:>7,} entries inserted in {time.perf_counter() - start:.1f} s", flush=True)
    cursor.execute("VACUUM ANALYZE credit_ledger_entry")
    cursor.execute("VACUUM ANALYZE credit_wallet")

    sessions = {size: sign_in(server.url, logins[size]) for size in sizes}
    for _warm_up in range(WARM_UP):
        for size in sizes:
            get_page(sessions[size], server.url)
    since = server.log_position()
    timings = {size: [] for size in sizes}
    for _round in range(REQUESTS):
        for size in sizes:
            timings[size].append(get_page(sessions[size], server.url))
    # requests are sequential: the log lists them in the order they were sent
    counts = [count for count, _sql_ms in server.logged_requests(since, f"GET {PAGE}")]
    queries = {size: set(counts[index :: len(sizes)]) for index, size in enumerate(sizes)}
    exports = {size: download_export(sessions[size], server.url, size) for size in sizes}
    return timings, queries, exports


def download_export(session, url, size):
    """Seconds and bytes of the full CSV export; it grows with the history by nature."""
    start = time.perf_counter()
    response = session.get(f"{url}/my/credits/export/csv", timeout=600)
    elapsed = time.perf_counter() - start
    lines = response.content.count(b"\n")
    if response.status_code != 200 or lines != size + 1:
        raise SystemExit(f"The CSV export answered {response.status_code} with {lines} lines.")
    return elapsed, len(response.content)


def report(sizes, timings, queries, exports):
    print()
    print(f"GET {PAGE}: {REQUESTS} requests per size, interleaved, after {WARM_UP} warm-up")
    header = ("entries", "median ms", "p90 ms", "min ms", "SQL queries")
    print(f"{header[0]:>9} | {header[1]:>9} | {header[2]:>7} | {header[3]:>7} | {header[4]:>11}")
    print(f"{'-' * 9}-+-{'-' * 9}-+-{'-' * 7}-+-{'-' * 7}-+-{'-' * 11}")
    for size in sizes:
        values = timings[size]
        p90 = statistics.quantiles(values, n=10)[-1]
        query_text = "/".join(str(count) for count in sorted(queries[size])) or "n/a"
        print(
            f"{size:>9,} | {statistics.median(values):>9.1f} | {p90:>7.1f} | "
            f"{min(values):>7.1f} | {query_text:>11}"
        )
    print("\nFull CSV export (one download each, for information):")
    for size in sizes:
        seconds, length = exports[size]
        print(f"{size:>9,} entries: {seconds:6.2f} s, {length / 1e6:6.2f} MB")
    ratio = statistics.median(timings[sizes[-1]]) / statistics.median(timings[sizes[0]])
    verdict = "OK" if ratio <= TARGET_RATIO else "ABOVE TARGET"
    print(
        f"\nratio median {sizes[-1]:,} / {sizes[0]:,} entries: {ratio:.2f} "
        f"(target <= {TARGET_RATIO}) {verdict}"
    )
    return ratio


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(DEFAULT_SIZES))
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    sizes = sorted(set(args.sizes))
    if sizes[0] < ROWS_PER_PAGE:
        parser.error(f"sizes must be at least {ROWS_PER_PAGE}, one full page")

    label = "bench-portal-history"
    with throwaway_database("cw_bench_portal", label) as (database, log_dir):
        connection = connect(database)
        try:
            cursor = connection.cursor()
            keep_model_entry(cursor)
            server_log = log_dir / f"{label}-server.log"
            with OdooServer(database, server_log, workers=args.workers) as server:
                timings, queries, exports = measure(server, cursor, sizes)
        finally:
            connection.close()
    ratio = report(sizes, timings, queries, exports)
    return 0 if ratio <= TARGET_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
