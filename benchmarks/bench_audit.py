"""The daily per-document audit over 100,000 ledger entries and 10,000 invoices paid with credits.

Usage:  .venv/bin/python benchmarks/bench_audit.py [--samples 5] [--warm-up 1]
                                                    [--wallets 1000] [--entries-per-wallet 100]

It works in a throwaway database (``BENCH_DB``, default ``cw_bench_audit``), dropped at the
end unless ``BENCH_KEEP_DB=1``:

1. the database is a copy of ``MODULE_DB`` (credit_wallet installed with its demo data)
   or, without it, is built as the repository tests build theirs (``TEMPLATE_DB`` and
   ``-i credit_wallet``);
2. a real ``odoo-bin`` serves it (prefork workers, free 127.0.0.1 port). As admin, over
   JSON-RPC, it makes one of each document through the add-on's own flows, for a template
   customer: an adjustment of +10.00, one of -5.00, and a posted invoice of 10.00 paid with
   credits (``credit.invoice.payment``: a Credits transaction, its payment reconciled with
   the invoice, the wallet debited); then it creates the customers (1,000 by default) and
   their wallets;
3. it copies those documents by SQL, ``INSERT ... SELECT generate_series`` (every column of
   the template row, but its id, its customer, its name and the links to the other copies):
   per wallet 60 adjustments in, 30 out and 10 invoices paid with credits, each with its own
   posted journal entry; each invoice, its transaction, payment, payment's journal entry
   and the match of the two. The running balances and balances are then set as the
   posting service would, and the tables vacuumed and analyzed (as autovacuum would). The
   copies are consistent: the audit must find nothing (exit status 1 otherwise);
4. it times, interleaved after a warm-up, Run Audit Now (``credit.audit.finding``
   ``action_run_audit`` over JSON-RPC: every check, then the findings refreshed) and, as
   the baseline measured on the same data, a read of the reconciliation report (the
   company's Customer Credit account summed against its wallets). It prints the medians,
   the seconds each check took (logged by the server), the rows audited per second, and
   the ratio audit / reconciliation report. Target: the audit within 10 s.

Environment: ODOO_SRC, ODOO_CONF, PYTHON, PGHOST, PGPORT, DB_USER as for the repository
tests (tests/odoo_server.py); BENCH_DB, MODULE_DB, TEMPLATE_DB, BENCH_KEEP_DB.
"""

import argparse
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from odoo_server import (  # noqa: E402
    OdooServer,
    adjust_wallet,
    connect,
    create_invoices,
    throwaway_database,
)

TARGET_SECONDS = 10.0
IN_SHARE, OUT_SHARE = 0.6, 0.3  # of each wallet's entries; the rest are invoices paid
AUDIT_LOG = re.compile(r"Credit audit of \d+ companies: (\d+) findings in ([\d.]+) s \(([^)]*)\)")


def make_templates(server):
    """One adjustment in, one out and one invoice paid with credits, through the flows.

    :return: the ids of the template ledger entries by kind, and the company's id
    """
    partner_id = server.call(
        "res.partner", "create", {"name": "Audit Template Ltd", "is_company": True}
    )
    wallet_id = server.call("credit.wallet", "create", {"partner_id": partner_id})
    adjust_wallet(server, wallet_id, 100, "audit benchmark opening")
    adjust_wallet(server, wallet_id, 10, "audit benchmark in")
    adjust_wallet(server, wallet_id, -5, "audit benchmark out")
    [invoice_id] = create_invoices(server, partner_id, [10.0])
    wizard_id = server.call("credit.invoice.payment", "create", {"invoice_id": invoice_id})
    server.call("credit.invoice.payment", "action_pay", [wizard_id])
    entries = server.call(
        "credit.ledger.entry",
        "search_read",
        [("wallet_id", "=", wallet_id)],
        fields=["amount", "kind", "company_id"],
        order="id",
    )
    templates = {
        "in": entries[1]["id"],
        "out": entries[2]["id"],
        "spend": next(entry["id"] for entry in entries if entry["kind"] == "spend"),
    }
    return templates, entries[0]["company_id"][0], invoice_id


def create_customers(server, wallets):
    partner_ids = server.call(
        "res.partner",
        "create",
        [{"name": f"Audit Customer {number}", "is_company": True} for number in range(wallets)],
    )
    wallet_ids = server.call(
        "credit.wallet", "create", [{"partner_id": partner_id} for partner_id in partner_ids]
    )
    return list(zip(partner_ids, wallet_ids, strict=True))


def columns(cursor, table):
    cursor.execute(
        """SELECT column_name FROM information_schema.columns
            WHERE table_schema = current_schema() AND table_name = %s AND column_name <> 'id'
            ORDER BY ordinal_position""",
        [table],
    )
    return [name for (name,) in cursor.fetchall()]


def next_ids(cursor, table):
    """The id the copies start after: ids base + 1 .. base + n are theirs."""
    cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")
    return cursor.fetchone()[0]


def copy_rows(cursor, table, template_id, count, base, overrides, wallets):
    """Insert ``count`` copies of row ``template_id`` of ``table``, the n-th (1-based) with id
    ``base + n``, for the wallet ``w`` (n-th wallet in turn), with ``overrides`` (column: SQL
    expression of ``n``, the template row ``t`` and ``w.partner_id``, ``w.wallet_id``)."""
    names = columns(cursor, table)
    values = [overrides.get(name, f"t.{name}") for name in names]
    cursor.execute(
        f"""
        INSERT INTO {table} (id, {", ".join(names)})
        SELECT %(base)s + n, {", ".join(values)}
          FROM {table} t, generate_series(1, %(count)s) AS n
          JOIN bench_wallet w ON w.number = (n - 1) %% %(wallets)s + 1
         WHERE t.id = %(template)s
         ORDER BY n
        """,
        {"base": base, "count": count, "wallets": wallets, "template": template_id},
    )
    cursor.execute(
        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"
    )


def copy_move(cursor, move_id, count, wallets, suffix, extra=None):
    """Copies of journal entry ``move_id`` with their lines; each for its wallet's customer.

    :return: the move id base and, per template line id, its copies' id base
    """
    move_base = next_ids(cursor, "account_move")
    copy_rows(
        cursor,
        "account_move",
        move_id,
        count,
        move_base,
        {
            "name": f"t.name || '/{suffix}' || n",
            "partner_id": "w.partner_id",
            "commercial_partner_id": "w.partner_id",
            **(extra or {}),
        },
        wallets,
    )
    cursor.execute("SELECT id FROM account_move_line WHERE move_id = %s ORDER BY id", [move_id])
    line_bases = {}
    for (line_id,) in cursor.fetchall():
        line_bases[line_id] = next_ids(cursor, "account_move_line")
        copy_rows(
            cursor,
            "account_move_line",
            line_id,
            count,
            line_bases[line_id],
            {
                "move_id": f"{move_base} + n",
                "partner_id": "CASE WHEN t.partner_id IS NULL THEN NULL ELSE w.partner_id END",
                "move_name": f"t.move_name || '/{suffix}' || n",
            },
            wallets,
        )
    return move_base, line_bases


def fill(cursor, templates, customers):
    """Copy the template documents for every customer, then set running balances."""
    wallets = len(customers)
    # the copies are wallet movements written in bulk: the journal item guard lets through
    # what the posting service writes, which it says with this setting
    cursor.execute("SELECT set_config('credit_wallet.posting', '1', false)")
    cursor.execute("DROP TABLE IF EXISTS bench_wallet")
    cursor.execute("CREATE TABLE bench_wallet (number int, partner_id int, wallet_id int)")
    cursor.executemany(
        "INSERT INTO bench_wallet VALUES (%s, %s, %s)",
        [(number, *ids) for number, ids in enumerate(customers, start=1)],
    )
    entry_base = next_ids(cursor, "credit_ledger_entry")
    offset = 0
    for kind, count in templates["counts"].items():
        cursor.execute(
            "SELECT move_id, payment_transaction_id FROM credit_ledger_entry WHERE id = %s",
            [templates[kind]],
        )
        move_id, tx_id = cursor.fetchone()
        entry_overrides = {}
        if kind == "spend":
            entry_overrides = copy_spend(cursor, move_id, tx_id, count, wallets)
        else:
            move_base, _lines = copy_move(cursor, move_id, count, wallets, f"B{kind}")
            entry_overrides = {"move_id": f"{move_base} + n"}
        copy_rows(
            cursor,
            "credit_ledger_entry",
            templates[kind],
            count,
            entry_base + offset,
            {
                "wallet_id": "w.wallet_id",
                "partner_id": "w.partner_id",
                "reference_name": f"t.reference_name || '/{kind}' || n",
                **entry_overrides,
            },
            wallets,
        )
        offset += count
    # running balances as the posting service writes them, wallet by wallet in id order
    cursor.execute(
        """
        UPDATE credit_ledger_entry entry
           SET running_balance = running.total
          FROM (SELECT id, SUM(amount) OVER (PARTITION BY wallet_id ORDER BY id) AS total
                  FROM credit_ledger_entry
                 WHERE wallet_id IN (SELECT wallet_id FROM bench_wallet)) running
         WHERE running.id = entry.id
        """
    )
    cursor.execute(
        """
        UPDATE credit_wallet wallet
           SET balance = (SELECT COALESCE(SUM(amount), 0) FROM credit_ledger_entry
                           WHERE wallet_id = wallet.id)
         WHERE wallet.id IN (SELECT wallet_id FROM bench_wallet)
        """
    )
    for table in (
        "credit_ledger_entry",
        "credit_wallet",
        "account_move",
        "account_move_line",
        "account_payment",
        "payment_transaction",
        "account_partial_reconcile",
        "account_invoice_transaction_rel",
    ):
        cursor.execute(f"VACUUM ANALYZE {table}")


def copy_spend(cursor, payment_move_id, tx_id, count, wallets):
    """Copies of an invoice paid with credits: invoice, transaction, payment, its journal
    entry, their match and link. :return: the overrides of the spend entries' copies."""
    cursor.execute(
        """SELECT rel.invoice_id, tx.payment_id FROM account_invoice_transaction_rel rel
             JOIN payment_transaction tx ON tx.id = rel.transaction_id
            WHERE rel.transaction_id = %s""",
        [tx_id],
    )
    invoice_id, payment_id = cursor.fetchone()
    tx_base = next_ids(cursor, "payment_transaction")
    payment_base = next_ids(cursor, "account_payment")
    invoice_base, invoice_lines = copy_move(cursor, invoice_id, count, wallets, "Binv")
    # payments and their journal entries point to each other: linked once both exist
    move_base, move_lines = copy_move(
        cursor, payment_move_id, count, wallets, "Bpay", {"origin_payment_id": "NULL"}
    )
    copy_rows(
        cursor,
        "payment_transaction",
        tx_id,
        count,
        tx_base,
        {
            "reference": "t.reference || '/B' || n",
            "partner_id": "w.partner_id",
            "payment_id": "NULL",
        },
        wallets,
    )
    copy_rows(
        cursor,
        "account_payment",
        payment_id,
        count,
        payment_base,
        {
            "partner_id": "w.partner_id",
            "move_id": f"{move_base} + n",
            "payment_transaction_id": f"{tx_base} + n",
        },
        wallets,
    )
    for table, column, base in (
        ("account_move", "id", move_base),
        ("account_move_line", "move_id", move_base),
        ("payment_transaction", "id", tx_base),
    ):
        field = "payment_id" if table != "account_move" else "origin_payment_id"
        cursor.execute(
            f"UPDATE {table} SET {field} = {payment_base} + ({column} - {base}) "
            f"WHERE {column} > {base} AND {column} <= {base + count}"
        )
    cursor.execute(
        "SELECT id, debit_move_id, credit_move_id FROM account_partial_reconcile "
        "WHERE credit_move_id IN (SELECT id FROM account_move_line WHERE move_id = %s)",
        [payment_move_id],
    )
    partial_id, debit_line_id, credit_line_id = cursor.fetchone()
    copy_rows(
        cursor,
        "account_partial_reconcile",
        partial_id,
        count,
        next_ids(cursor, "account_partial_reconcile"),
        {
            "debit_move_id": f"{invoice_lines[debit_line_id]} + n",
            "credit_move_id": f"{move_lines[credit_line_id]} + n",
        },
        wallets,
    )
    cursor.execute(
        f"""INSERT INTO account_invoice_transaction_rel (transaction_id, invoice_id)
            SELECT {tx_base} + n, {invoice_base} + n FROM generate_series(1, %s) AS n""",
        [count],
    )
    return {"move_id": f"{move_base} + n", "payment_transaction_id": f"{tx_base} + n"}


def timed(function):
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


def measure(server, samples, warm_up):
    """Seconds of Run Audit Now and of the reconciliation report's read, interleaved, and the
    per-check seconds the server logged for the audits."""
    audit = lambda: server.call("credit.audit.finding", "action_run_audit", [])  # noqa: E731
    report = lambda: server.call(  # noqa: E731
        "credit.reconciliation.report", "search_read", [], fields=["difference"]
    )
    for _round in range(warm_up):
        audit()
        report()
    since = server.log_position()
    timings = {"audit": [], "report": []}
    for _round in range(samples):
        timings["audit"].append(timed(audit))
        timings["report"].append(timed(report))
    with open(server.log_path, errors="replace") as log:
        log.seek(since)
        logged = AUDIT_LOG.findall(log.read())
    return timings, logged


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--samples", type=int, default=5)
    parser.add_argument("--warm-up", type=int, default=1)
    parser.add_argument("--wallets", type=int, default=1000)
    parser.add_argument("--entries-per-wallet", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    per_wallet = args.entries_per_wallet
    spends = per_wallet - round(per_wallet * IN_SHARE) - round(per_wallet * OUT_SHARE)
    counts = {
        "in": round(per_wallet * IN_SHARE) * args.wallets,
        "out": round(per_wallet * OUT_SHARE) * args.wallets,
        "spend": spends * args.wallets,
    }
    label = "bench-audit"
    with throwaway_database("cw_bench_audit", label) as (database, log_dir):
        connection = connect(database)
        try:
            cursor = connection.cursor()
            with OdooServer(database, log_dir / f"{label}-server.log", args.workers) as server:
                templates, company_id, _invoice_id = make_templates(server)
                templates["counts"] = counts
                customers = create_customers(server, args.wallets)
                started = time.perf_counter()
                fill(cursor, templates, customers)
                print(
                    f"  {sum(counts.values()):,} ledger entries ({counts['spend']:,} invoices paid "
                    f"with credits) on {args.wallets:,} wallets inserted in "
                    f"{time.perf_counter() - started:.1f} s",
                    flush=True,
                )
                cursor.execute(
                    "SELECT (SELECT COUNT(*) FROM credit_ledger_entry), "
                    "(SELECT COUNT(*) FROM account_move WHERE move_type = 'out_invoice'), "
                    "(SELECT COUNT(*) FROM account_move_line)"
                )
                entries, invoices, lines = cursor.fetchone()
                timings, logged = measure(server, args.samples, args.warm_up)
                cursor.execute(
                    "SELECT COUNT(*) FROM credit_audit_finding WHERE state = 'open' "
                    "AND company_id = %s",
                    [company_id],
                )
                findings = cursor.fetchone()[0]
        finally:
            connection.close()
    audit = statistics.median(timings["audit"])
    report = statistics.median(timings["report"])
    print(
        f"\nData: {entries:,} ledger entries, {invoices:,} customer invoices, {lines:,} journal "
        f"items in the database"
    )
    print(
        f"Run Audit Now (JSON-RPC, {args.samples} runs after {args.warm_up} warm-up): median "
        f"{audit:.2f} s, min {min(timings['audit']):.2f} s; {entries / audit:,.0f} ledger "
        f"entries audited per second; {findings} open findings"
    )
    checks = [float(seconds) for _found, seconds, _detail in logged]
    if checks:
        print(f"  the checks alone (server log): median {statistics.median(checks):.2f} s")
        print(f"  last run: {logged[-1][2]}")
    print(f"Reconciliation report read (baseline): median {report * 1000:.0f} ms")
    print(f"ratio audit / reconciliation report: {audit / report:.1f}")
    ok = findings == 0 and audit <= TARGET_SECONDS
    verdict = "OK" if ok else "FAILED"
    print(f"target: no finding, audit <= {TARGET_SECONDS:.0f} s: {verdict}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
