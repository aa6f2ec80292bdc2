from odoo import fields, models
from odoo.tools import SQL


class CreditReconciliationReport(models.Model):
    _name = "credit.reconciliation.report"
    _description = "Credit Wallets vs Customer Credit Account"
    _auto = False
    _order = "company_id"

    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    credit_account_id = fields.Many2one(
        "account.account", string="Customer Credit Account", readonly=True
    )
    wallet_count = fields.Integer(string="Wallets", readonly=True)
    wallet_total = fields.Monetary(string="Sum of Wallet Balances", readonly=True)
    account_balance = fields.Monetary(string="Customer Credit Account Balance", readonly=True)
    difference = fields.Monetary(readonly=True, help="Always zero when the books are right.")

    @property
    def _table_query(self):
        # computed at read time, so the figures are never stale
        return SQL(
            """
            SELECT company.id AS id,
                   company.id AS company_id,
                   company.currency_id AS currency_id,
                   company.credit_account_id AS credit_account_id,
                   wallets.wallet_count AS wallet_count,
                   COALESCE(wallets.total, 0) AS wallet_total,
                   COALESCE(books.balance, 0) AS account_balance,
                   COALESCE(wallets.total, 0) - COALESCE(books.balance, 0) AS difference
              FROM res_company company
        CROSS JOIN LATERAL (SELECT COUNT(*) AS wallet_count, SUM(wallet.balance) AS total
                              FROM credit_wallet wallet
                             WHERE wallet.company_id = company.id) wallets
        CROSS JOIN LATERAL (SELECT SUM(line.credit - line.debit) AS balance
                              FROM account_move_line line
                             WHERE line.company_id = company.id
                               AND line.account_id = company.credit_account_id
                               AND line.parent_state = 'posted') books
             WHERE company.credit_account_id IS NOT NULL
            """
        )
