"""18.0.1.1.0: returns have a kind of their own, auto-pay is chosen per agency company."""

from odoo.tools import SQL, sql


def migrate(cr, version):
    if not version:
        return
    # the ledger kind of credits given back from a spending was stored as "refund"
    cr.execute(SQL("UPDATE credit_ledger_entry SET kind = 'return' WHERE kind = 'refund'"))
    # one auto-pay choice for all companies becomes one per company (a jsonb column):
    # keep the old column aside, post-migrate copies it to every company
    column = sql.table_columns(cr, "res_partner").get("credit_autopay")
    if column and column["udt_name"] != "jsonb":
        sql.rename_column(cr, "res_partner", "credit_autopay", "credit_autopay_v1")
