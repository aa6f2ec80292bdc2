"""The customer's credit history page against Odoo's loyalty card history page.

Usage:  .venv/bin/python benchmarks/bench_portal_vs_loyalty.py [--sizes 100 10000]

Odoo 18's nearest page of its own is the loyalty card history of the ``loyalty`` module,
``/my/loyalty_card/<card id>/history`` (addons/loyalty/controllers/portal.py): a balance's
movements, newest first, paginated, read by a portal customer. It shows 80 lines a page
(the portal's default), /my/credits 20 (with the running balance and the document of each
movement); both pages are measured as Odoo and the add-on ship them.

It works in a throwaway database (``BENCH_DB``, default ``cw_bench_loyalty``), dropped at
the end unless ``BENCH_KEEP_DB=1``:

1. a copy of ``MODULE_DB`` (credit_wallet installed with its demo data; or built as the
   repository tests build theirs), into which ``loyalty`` is installed (``-i loyalty``,
   with the modules Odoo installs with it, e.g. ``website_sale_loyalty``);
2. a real ``odoo-bin`` serves it; per size one portal customer is created over JSON-RPC as
   admin, with a loyalty card of a loyalty program created the same way;
3. the customer's wallet gets ``size`` ledger entries and its card ``size`` history lines,
   each in one ``INSERT ... SELECT generate_series`` (see bench_portal_history.py for what
   the ledger rows are), then both tables are vacuumed and analyzed;
4. after a warm-up, the two pages of every size are requested in turn (credits 100,
   loyalty 100, credits 10,000, loyalty 10,000, ...), so that load from other processes
   hits both alike. It prints per page and size the median, 90th percentile and minimum
   latency and the SQL query count Odoo logs, and the ratio of the medians credits /
   loyalty per size (target: at most 1.0). It only reports: the exit status does not
   depend on the timings.

Environment: ODOO_SRC, ODOO_CONF, PYTHON, PGHOST, PGPORT, DB_USER as for the repository
tests (tests/odoo_server.py); BENCH_DB, MODULE_DB, TEMPLATE_DB, BENCH_KEEP_DB.
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from bench_portal_history import (  # noqa: E402
    create_customer,
    fill_wallet,
    keep_model_entry,
    sign_in,
)
from odoo_server import (  # noqa: E402
    OdooServer,
    connect,
    odoo_bin,
    throwaway_database,
)

DEFAULT_SIZES = (100, 10_000)
WARM_UP = 10
REQUESTS = 20
TARGET_RATIO = 1.0
CREDITS, LOYALTY = "credits", "loyalty"
ROWS = {CREDITS: 20, LOYALTY: 80}  # lines on a page
# the requests timed, as werkzeug's access log shows them
PAGES = r"GET (?:/my/credits|/my/loyalty_card/\d+/history)"


def create_loyalty_card(server, login):
    """A loyalty program and a card of it for ``login``'s partner; return the card's id."""
    [user] = server.call("res.users", "search_read", [("login", "=", login)], ["partner_id"])
    program_id = server.call(
        "loyalty.program",
        "create",
        {"name": f"Benchmark Loyalty {login}", "program_type": "loyalty"},
    )
    return server.call(
        "loyalty.card",
        "create",
        {"program_id": program_id, "partner_id": user["partner_id"][0], "points": 0},
    )


def fill_card(cursor, card_id, size):
    """``size`` history lines on the card, oldest first, in one INSERT."""
    cursor.execute(
        """
        INSERT INTO loyalty_history (card_id, description, issued, used, create_uid, write_uid,
                                     create_date, write_date)
        SELECT %(card)s, 'Loyalty benchmark line ' || n,
               CASE WHEN n %% 2 = 1 THEN 10 ELSE 0 END, CASE WHEN n %% 2 = 1 THEN 0 ELSE 5 END,
               1, 1, now() at time zone 'UTC' - make_interval(mins => %(size)s - n),
               now() at time zone 'UTC'
          FROM generate_series(1, %(size)s) AS n
        """,
        {"card": card_id, "size": size},
    )


def get_page(session, url, page, path):
    """Milliseconds for one GET of a history page, checked for a full first page."""
    start = time.perf_counter()
    response = session.get(f"{url}{path}", timeout=60)
    elapsed = (time.perf_counter() - start) * 1000
    marker = 'class="o_credit_wallet_entry"' if page == CREDITS else "Loyalty benchmark line "
    rows = response.text.count(marker)
    if response.status_code != 200 or rows != ROWS[page]:
        raise SystemExit(f"{path} answered {response.status_code} with {rows} rows.")
    return elapsed


def measure(server, cursor, sizes):
    logins = {size: create_customer(server, size) for size in sizes}
    cards = {size: create_loyalty_card(server, logins[size]) for size in sizes}
    for size in sizes:
        start = time.perf_counter()
        fill_wallet(cursor, logins[size], size)
        fill_card(cursor, cards[size], size)
        print(f"  {size:>7,} entries and lines in {time.perf_counter() - start:.1f} s", flush=True)
    for table in ("credit_ledger_entry", "credit_wallet", "loyalty_history", "loyalty_card"):
        cursor.execute(f"VACUUM ANALYZE {table}")

    sessions = {size: sign_in(server.url, logins[size]) for size in sizes}
    paths = {(CREDITS, size): "/my/credits" for size in sizes} | {
        (LOYALTY, size): f"/my/loyalty_card/{cards[size]}/history" for size in sizes
    }
    order = [(page, size) for size in sizes for page in (CREDITS, LOYALTY)]
    for _warm_up in range(WARM_UP):
        for page, size in order:
            get_page(sessions[size], server.url, page, paths[page, size])
    since = server.log_position()
    timings = {key: [] for key in order}
    for _round in range(REQUESTS):
        for page, size in order:
            timings[page, size].append(
                get_page(sessions[size], server.url, page, paths[page, size])
            )
    # requests are sequential: the log lists them in the order they were sent
    counts = [count for count, _sql_ms in server.logged_requests(since, PAGES)]
    queries = {key: set(counts[index :: len(order)]) for index, key in enumerate(order)}
    return timings, queries


def report(sizes, timings, queries):
    print()
    print(f"{REQUESTS} requests per page and size, interleaved, after {WARM_UP} warm-up")
    header = ("page", "lines", "median ms", "p90 ms", "min ms", "SQL queries")
    print(
        f"{header[0]:>29} | {header[1]:>7} | {header[2]:>9} | {header[3]:>7} | "
        f"{header[4]:>7} | {header[5]:>11}"
    )
    print(f"{'-' * 29}-+-{'-' * 7}-+-{'-' * 9}-+-{'-' * 7}-+-{'-' * 7}-+-{'-' * 11}")
    labels = {CREDITS: "/my/credits", LOYALTY: "/my/loyalty_card/<id>/history"}
    for size in sizes:
        for page in (CREDITS, LOYALTY):
            values = timings[page, size]
            p90 = statistics.quantiles(values, n=10)[-1]
            query_text = "/".join(str(count) for count in sorted(queries[page, size])) or "n/a"
            print(
                f"{labels[page]:>29} | {size:>7,} | {statistics.median(values):>9.1f} | "
                f"{p90:>7.1f} | {min(values):>7.1f} | {query_text:>11}"
            )
    print()
    for size in sizes:
        ratio = statistics.median(timings[CREDITS, size]) / statistics.median(
            timings[LOYALTY, size]
        )
        verdict = "OK" if ratio <= TARGET_RATIO else "ABOVE TARGET"
        print(
            f"ratio median credits / loyalty at {size:,} lines: {ratio:.2f} "
            f"(target <= {TARGET_RATIO}) {verdict}"
        )
    print(f"(a page shows {ROWS[CREDITS]} credit entries, {ROWS[LOYALTY]} loyalty lines)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(DEFAULT_SIZES))
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    sizes = sorted(set(args.sizes))
    if sizes[0] < max(ROWS.values()):
        parser.error(f"sizes must be at least {max(ROWS.values())}, one full page of each")

    label = "bench-portal-vs-loyalty"
    with throwaway_database("cw_bench_loyalty", label) as (database, log_dir):
        print("Installing loyalty ...", flush=True)
        odoo_bin(
            "-d",
            database,
            "-i",
            "loyalty",
            "--stop-after-init",
            log_path=log_dir / f"{label}-loyalty-install.log",
        )
        connection = connect(database)
        try:
            cursor = connection.cursor()
            keep_model_entry(cursor)
            server_log = log_dir / f"{label}-server.log"
            with OdooServer(database, server_log, workers=args.workers) as server:
                timings, queries = measure(server, cursor, sizes)
        finally:
            connection.close()
    report(sizes, timings, queries)
    return 0


if __name__ == "__main__":
    sys.exit(main())
