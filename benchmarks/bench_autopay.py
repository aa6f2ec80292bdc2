"""Auto-pay of many posted invoices, per invoice, versus Odoo's Register Payment of one.

Usage:  .venv/bin/python benchmarks/bench_autopay.py [--invoices 1000] [--samples 25]

It works in a throwaway database (``BENCH_DB``, default ``cw_bench_autopay``), dropped at
the end unless ``BENCH_KEEP_DB=1``, a copy of ``MODULE_DB`` (see bench_credit_invoice_payment):

1. a real ``odoo-bin`` serves it (prefork workers, free 127.0.0.1 port, no cron thread);
2. as admin, over JSON-RPC: a new auto-pay customer whose wallet covers ``--invoices``
   posted invoices of 80.00 (one "Monthly SEO Report" line, no tax, marked as sent), and
   ``2 x --samples`` identical invoices of the demo customer Northwind Studio;
3. Register Payment (wizard + button, on a bank journal) pays half of Northwind's invoices,
   then the auto-pay scheduled action's method runs once in ``odoo-bin shell`` (as a cron
   worker runs it, without the HTTP workers' time limit), paying the auto-pay invoices one
   database transaction each and timed inside the shell, then Register Payment pays the
   other half: load from other processes hits both alike;
4. it checks that every invoice ended paid and the wallet lost exactly what auto-pay paid,
   then prints the auto-pay run's time per invoice, the median Register Payment and their
   ratio. It only reports: the exit status does not depend on the timings.
"""

import argparse
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from bench_credit_invoice_payment import check_outcome, register_payment  # noqa: E402
from odoo_server import (  # noqa: E402
    OdooServer,
    adjust_wallet,
    create_invoices,
    odoo_shell,
    throwaway_database,
)

AUTOPAY_RUN = """
import time
start = time.perf_counter()
env["account.move"]._cron_credit_autopay()
print("AUTOPAY_SECONDS", time.perf_counter() - start)
"""

INVOICES = 1000
SAMPLES = 25
INVOICE_AMOUNT = 80.0


def arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--invoices", type=int, default=INVOICES)
    parser.add_argument("--samples", type=int, default=SAMPLES)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    if args.invoices < 1 or args.samples < 2:
        parser.error("at least 1 invoice and 2 samples")
    return args


def autopay_customer(server, invoices):
    """A customer company that asked for auto-pay, with credits for ``invoices`` invoices."""
    partner_id = server.call(
        "res.partner",
        "create",
        {"name": "Autopay Bench Ltd", "is_company": True, "email": "bench@example.com"},
    )
    server.call("res.partner", "write", [partner_id], {"credit_autopay": "always"})
    wallet_id = server.call("credit.wallet", "create", {"partner_id": partner_id})
    adjust_wallet(server, wallet_id, INVOICE_AMOUNT * invoices, "benchmark")
    return partner_id, wallet_id


def register_payments(server, invoice_ids, bank_journal_id):
    timings = []
    for invoice_id in invoice_ids:
        start = time.perf_counter()
        register_payment(server, invoice_id, bank_journal_id)
        timings.append((time.perf_counter() - start) * 1000)
    return timings


def run_autopay_in_shell(server, log_path):
    """Seconds the auto-pay action's method took, measured inside ``odoo-bin shell``."""
    odoo_shell(server.database, AUTOPAY_RUN, log_path)
    found = re.search(r"AUTOPAY_SECONDS ([\d.]+)", log_path.read_text(errors="replace"))
    if not found:
        raise SystemExit(f"The auto-pay run failed, see {log_path}")
    return float(found.group(1))


def measure(server, invoices, samples, log_dir):
    partner_id, wallet_id = autopay_customer(server, invoices)
    [wallet] = server.call("credit.wallet", "read", [wallet_id], ["company_id", "balance"])
    [bank_journal_id] = server.call(
        "account.journal",
        "search",
        [("type", "=", "bank"), ("company_id", "=", wallet["company_id"][0])],
        limit=1,
    )
    print(f"Creating {invoices} auto-pay invoices and {2 * samples} others ...", flush=True)
    autopay_ids = []
    for start in range(0, invoices, 200):
        autopay_ids += create_invoices(
            server, partner_id, [INVOICE_AMOUNT] * min(200, invoices - start)
        )
    register_ids = create_invoices(
        server, server.ref("credit_wallet.demo_partner_northwind"), [INVOICE_AMOUNT] * 2 * samples
    )
    register = register_payments(server, register_ids[:samples], bank_journal_id)
    autopay_seconds = run_autopay_in_shell(server, log_dir / "bench-autopay-shell.log")
    register += register_payments(server, register_ids[samples:], bank_journal_id)
    check_outcome(
        server, autopay_ids, wallet_id, wallet["balance"], INVOICE_AMOUNT * len(autopay_ids)
    )
    return autopay_seconds, register


def main():
    args = arguments()
    label = "bench-autopay"
    with throwaway_database("cw_bench_autopay", label) as (database, log_dir):
        with OdooServer(database, log_dir / f"{label}-server.log", args.workers) as server:
            autopay_seconds, register = measure(server, args.invoices, args.samples, log_dir)
    per_invoice = autopay_seconds * 1000 / args.invoices
    register_ms = statistics.median(register)
    print()
    print(
        f"Auto-pay action: {args.invoices} invoices of {INVOICE_AMOUNT:.2f} paid from credits "
        f"in {autopay_seconds:.1f} s: {per_invoice:.1f} ms per invoice "
        f"({args.invoices / autopay_seconds:.1f} invoices/s)"
    )
    print(
        f"Register Payment of one invoice (wizard + button, JSON-RPC), median of "
        f"{len(register)}: {register_ms:.1f} ms"
    )
    print(f"ratio auto-pay per invoice / Register Payment: {per_invoice / register_ms:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
