from odoo import api, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..const import POSTING_SETTING

# Fields whose change would make a Customer Credit line disagree with the wallets.
_GUARDED_FIELDS = (
    "account_id",
    "partner_id",
    "debit",
    "credit",
    "balance",
    "amount_currency",
    "currency_id",
    "move_id",
    "company_id",
)
_GUARD_FUNCTION = "credit_wallet_guard_journal_items"
# (trigger, events, WHEN condition or None)
_GUARD_TRIGGERS = (
    ("credit_wallet_guard_insert_delete", SQL("INSERT OR DELETE"), None),
    (
        "credit_wallet_guard_update",
        SQL("UPDATE"),
        # a rewrite of the same values (the ORM flushes whole rows) is no change
        SQL(" OR ").join(
            SQL("OLD.%s IS DISTINCT FROM NEW.%s", SQL.identifier(f), SQL.identifier(f))
            for f in _GUARDED_FIELDS
        ),
    ),
)


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    def init(self):
        result = super().init()
        _create_books_guard(self.env.cr)
        return result

    @api.model_create_multi
    def create(self, vals_list):
        # the accounts given are checked before the INSERT, which the database would refuse
        # with a less clear message; those Odoo computes, in _compute_account_id
        given = self.env["account.account"].browse(
            {vals["account_id"] for vals in vals_list if isinstance(vals.get("account_id"), int)}
        )
        self.browse()._check_credit_account_untouched(other_accounts=given)
        lines = super().create(vals_list)
        lines.filtered(lambda line: line.account_id not in given)._check_credit_account_untouched()
        return lines

    def write(self, vals):
        if set(_GUARDED_FIELDS) & vals.keys():
            # the current accounts and the new one, before the database would refuse the UPDATE
            new_account = self.env["account.account"].browse(
                vals["account_id"] if isinstance(vals.get("account_id"), int) else []
            )
            self._check_credit_account_untouched(other_accounts=new_account)
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_customer_credit(self):
        self._check_credit_account_untouched()

    def _compute_account_id(self):
        # Odoo sets accounts from products, partners and fiscal positions without write():
        # a recomputed account is checked here, whatever triggered it
        previous = {line: line.account_id for line in self}
        result = super()._compute_account_id()
        changed = self.filtered(lambda line: line.account_id != previous[line])
        changed._check_credit_account_untouched(
            other_accounts=self.env["account.account"].union(*(previous[line] for line in changed))
        )
        return result

    def _check_credit_account_untouched(self, other_accounts=None):
        """Refuse Customer Credit journal items written outside the posting service.

        The Customer Credit accounts are recognised by identity, whatever their type: one
        query for the whole batch.

        :param other_accounts: accounts the lines were on before a recomputation, or are about
            to be written on
        """
        if self.env["credit.wallet"]._is_posting():
            return
        accounts = self.account_id | (other_accounts or self.env["account.account"])
        if not accounts:
            return
        # sudo: only company settings are read, to know which accounts are wallet accounts
        if (
            self.env["res.company"]
            .sudo()
            .search_count([("credit_account_id", "in", accounts.ids)], limit=1)
        ):
            raise UserError(
                self.env._(
                    "Journal items on the Customer Credit account are written only by credit "
                    "wallet movements. Use Credits to adjust or reverse a wallet."
                )
            )


def _create_books_guard(cr):
    """Under the ORM guard, the database's: no path, SQL included (account merges, partner
    merges, scripts), writes a journal item on or off a Customer Credit account, unless the
    posting service opened the transaction-local POSTING_SETTING. Idempotent."""
    cr.execute(
        SQL(
            """
            CREATE OR REPLACE FUNCTION %(function)s() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF current_setting(%(setting)s, true) IS DISTINCT FROM '1' AND EXISTS (
                    SELECT 1 FROM res_company
                     WHERE credit_account_id IN (OLD.account_id, NEW.account_id)
                ) THEN
                    RAISE EXCEPTION USING
                        ERRCODE = 'check_violation',
                        TABLE = TG_TABLE_NAME,
                        MESSAGE = 'Journal items on the Customer Credit account are written '
                            || 'only by credit wallet movements. Use Credits to adjust or '
                            || 'reverse a wallet.';
                END IF;
                RETURN NULL;
            END;
            $$
            """,
            function=SQL.identifier(_GUARD_FUNCTION),
            setting=POSTING_SETTING,
        )
    )
    for trigger, events, condition in _GUARD_TRIGGERS:
        cr.execute(
            SQL(
                """
                DROP TRIGGER IF EXISTS %(trigger)s ON account_move_line;
                CREATE TRIGGER %(trigger)s AFTER %(events)s ON account_move_line
                   FOR EACH ROW %(when)s EXECUTE FUNCTION %(function)s();
                """,
                trigger=SQL.identifier(trigger),
                events=events,
                when=SQL("WHEN (%s)", condition) if condition else SQL(),
                function=SQL.identifier(_GUARD_FUNCTION),
            )
        )


def drop_books_guard(cr):
    """Remove the database's guard (uninstallation: the companies' accounts go)."""
    for trigger, _events, _condition in _GUARD_TRIGGERS:
        cr.execute(SQL("DROP TRIGGER IF EXISTS %s ON account_move_line", SQL.identifier(trigger)))
    cr.execute(SQL("DROP FUNCTION IF EXISTS %s()", SQL.identifier(_GUARD_FUNCTION)))
