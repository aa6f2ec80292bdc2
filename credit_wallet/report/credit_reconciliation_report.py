from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL
from odoo.tools.misc import format_date

# context key: the report's figures as of this date (YYYY-MM-DD); now when absent
AS_OF_CONTEXT_KEY = "credit_as_of"


class CreditReconciliationReport(models.Model):
    _name = "credit.reconciliation.report"
    _description = "Credit Wallets vs Customer Credit Account"
    _auto = False
    _order = "company_id"

    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    as_of_date = fields.Date(
        string="As of",
        readonly=True,
        help="The figures are those booked on or before this date.",
    )
    credit_account_id = fields.Many2one(
        "account.account", string="Customer Credit Account", readonly=True
    )
    wallet_count = fields.Integer(string="Wallets", readonly=True)
    wallet_credits = fields.Float(
        string="Credits in Wallets",
        digits=(16, 2),
        readonly=True,
        help="Today: the sum of the wallets' balances. As of a past date: the sum of the wallet "
        "movements whose journal entries are dated on or before it.",
    )
    credit_value = fields.Float(
        string="Value of a Credit",
        digits=(16, 10),
        readonly=True,
        help="What a credit is worth in the books, in the company currency.",
    )
    wallet_total = fields.Monetary(
        string="Value of the Credits",
        readonly=True,
        help="The credits in wallets times the value of a credit: what Customer Credit should "
        "hold.",
    )
    account_balance = fields.Monetary(
        readonly=True,
        help="Balance of the posted journal items of the Customer Credit account dated on or "
        "before the date (all of them today).",
    )
    difference = fields.Monetary(readonly=True, help="Always zero when the books are right.")

    def _credit_as_of(self):
        """The date of the context's ``credit_as_of``, or None (the figures of now)."""
        value = self.env.context.get(AS_OF_CONTEXT_KEY)
        if not value:
            return None
        try:
            return fields.Date.to_date(value)
        except (TypeError, ValueError) as error:
            raise UserError(self.env._("The reconciliation date is not a date.")) from error

    @property
    def _table_query(self):
        # computed at read time, so the figures are never stale
        as_of = self._credit_as_of()
        if as_of:
            # the wallet movements and the journal items booked by then, by their accounting
            # date: each movement's journal entry carries its amount on Customer Credit
            wallets = SQL(
                """
                SELECT COUNT(DISTINCT entry.wallet_id) AS wallet_count,
                       SUM(entry.amount) AS total
                  FROM credit_ledger_entry entry
                  JOIN account_move move ON move.id = entry.move_id
                 WHERE entry.company_id = company.id
                   AND move.date <= %s
                """,
                as_of,
            )
            books_date = SQL("AND line.date <= %s", as_of)
        else:
            wallets = SQL(
                """
                SELECT COUNT(*) AS wallet_count, SUM(wallet.balance) AS total
                  FROM credit_wallet wallet
                 WHERE wallet.company_id = company.id
                """
            )
            books_date = SQL()
        # a credit's book value is 1 / the company currency's rate; every movement books
        # credits x value exactly (the rate and rounding are chosen so), so the sum does too
        return SQL(
            """
            SELECT company.id AS id,
                   company.id AS company_id,
                   company.currency_id AS currency_id,
                   %(as_of)s::date AS as_of_date,
                   company.credit_account_id AS credit_account_id,
                   wallets.wallet_count AS wallet_count,
                   COALESCE(wallets.total, 0) AS wallet_credits,
                   1.0 / credit_values.rate AS credit_value,
                   values.total AS wallet_total,
                   COALESCE(books.balance, 0) AS account_balance,
                   values.total - COALESCE(books.balance, 0) AS difference
              FROM res_company company
              JOIN (%(credit_values)s) credit_values ON credit_values.company_id = company.id
        CROSS JOIN LATERAL (%(wallets)s) wallets
        CROSS JOIN LATERAL (SELECT ROUND((COALESCE(wallets.total, 0)
                                          / credit_values.rate)::numeric,
                                         credit_values.decimal_places) AS total) values
        CROSS JOIN LATERAL (SELECT SUM(line.credit - line.debit) AS balance
                              FROM account_move_line line
                             WHERE line.company_id = company.id
                               AND line.account_id = company.credit_account_id
                               AND line.parent_state = 'posted'
                               %(books_date)s) books
             WHERE company.credit_account_id IS NOT NULL
            """,
            as_of=as_of or fields.Date.context_today(self),
            wallets=wallets,
            books_date=books_date,
            credit_values=self.env["res.company"]._credit_sql_values(),
        )

    # -------------------------------------------------------------------------
    # What is behind a line
    # -------------------------------------------------------------------------

    def action_open_details(self):
        """A click on a line: its journal items for those who may read them, else its wallets."""
        self.ensure_one()
        if self.env["account.move.line"].has_access("read"):
            return self.action_open_journal_items()
        return self.action_open_wallets()

    def action_open_journal_items(self):
        """The Customer Credit account's posted journal items of the line's company, up to
        its date."""
        self.ensure_one()
        domain = [
            ("company_id", "=", self.company_id.id),
            ("account_id", "=", self.credit_account_id.id),
            ("parent_state", "=", "posted"),
        ]
        as_of = self._credit_as_of()
        if as_of:
            domain.append(("date", "<=", as_of))
        name = self.env._("Customer Credit Journal Items")
        if as_of:
            name = self.env._(
                "%(name)s as of %(date)s", name=name, date=format_date(self.env, as_of)
            )
        return self._credit_window_action(
            "account.action_account_moves_all",
            name,
            domain=domain,
            context={"search_default_group_by_partner": 1},
        )

    def action_open_wallets(self):
        """The wallets of the line's company."""
        self.ensure_one()
        return self._credit_window_action(
            "credit_wallet.credit_wallet_action",
            self.env._("Wallets of %(company)s", company=self.company_id.name),
            domain=[("company_id", "=", self.company_id.id)],
            context={"create": False},
        )

    @api.model
    def _credit_window_action(self, xmlid, name, **values):
        """The window action ``xmlid`` under its own ``name`` (the title and the breadcrumb)."""
        action = self.env["ir.actions.act_window"]._for_xml_id(xmlid)
        action.update(values, name=name, display_name=name)
        return action
