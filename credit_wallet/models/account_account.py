from odoo import api, models
from odoo.exceptions import UserError
from odoo.tools import SQL


class AccountAccount(models.Model):
    _inherit = "account.account"

    @api.constrains("account_type", "reconcile", "deprecated", "company_ids")
    def _check_credit_account_kind(self):
        """A Customer Credit account in use stays a reconcilable current liability."""
        for company_sudo in self._credit_companies_sudo():
            refusal = company_sudo._credit_account_refusal(company_sudo.credit_account_id)
            if refusal:
                raise UserError(
                    self.env._(
                        "%(account)s holds the customers' credits of %(company)s. %(reason)s",
                        account=company_sudo.credit_account_id.display_name,
                        company=company_sudo.name,
                        reason=refusal,
                    )
                )

    def _credit_companies_sudo(self):
        """The companies keeping their customers' credits on these accounts."""
        # sudo: which companies keep their credits on these accounts, whatever the user's
        return self.env["res.company"].sudo().search([("credit_account_id", "in", self.ids)])

    def _check_credit_account_not_merged(self):
        """Refuse to merge or split a Customer Credit account: Odoo's merge and unmerge move
        journal items from one account to another in SQL, past the journal item guard, and
        the wallets would no longer match their account."""
        for company_sudo in self._credit_companies_sudo():
            raise UserError(
                self.env._(
                    "%(account)s holds the customers' credits of %(company)s: it cannot be "
                    "merged with other accounts or split, or its journal items would no longer "
                    "match the wallets.",
                    account=company_sudo.credit_account_id.display_name,
                    company=company_sudo.name,
                )
            )

    def _action_unmerge(self):
        self._check_credit_account_not_merged()
        return super()._action_unmerge()

    def _check_credit_account_only_wallet_items(self):
        """Refuse a Customer Credit account holding journal items that are not movements.

        Its balance must equal the wallets' from the first day: an account already used,
        even by a draft entry, would start them apart.
        """
        if not self:
            return
        self.env["account.move.line"].flush_model(["account_id", "move_id"])
        self.env["credit.ledger.entry"].flush_model(["move_id"])
        self.env.cr.execute(
            SQL(
                """
                SELECT line.account_id
                  FROM account_move_line line
                 WHERE line.account_id IN %s
                   AND NOT EXISTS (
                       SELECT 1 FROM credit_ledger_entry entry WHERE entry.move_id = line.move_id
                   )
                 LIMIT 1
                """,
                tuple(self.ids),
            )
        )
        row = self.env.cr.fetchone()
        if row:
            # sudo: the account is named in the refusal, whatever companies the user may read
            account_sudo = self.browse(row[0]).sudo()
            raise UserError(
                self.env._(
                    "%(account)s already has journal items that are not credit movements: the "
                    "Customer Credit account must start empty, so that it always equals the "
                    "wallets.",
                    account=account_sudo.display_name,
                )
            )
