from odoo import api, models
from odoo.exceptions import UserError

# Fields whose change would make a Customer Credit line disagree with the wallets.
_GUARDED_FIELDS = {
    "account_id",
    "partner_id",
    "debit",
    "credit",
    "balance",
    "amount_currency",
    "move_id",
    "company_id",
}


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    @api.model_create_multi
    def create(self, vals_list):
        lines = super().create(vals_list)
        lines._check_customer_credit_untouched()
        return lines

    def write(self, vals):
        guarded = _GUARDED_FIELDS & vals.keys()
        if guarded:
            self._check_customer_credit_untouched()
        result = super().write(vals)
        if guarded:
            self._check_customer_credit_untouched()
        return result

    @api.ondelete(at_uninstall=False)
    def _unlink_except_customer_credit(self):
        self._check_customer_credit_untouched()

    def _check_customer_credit_untouched(self):
        """Refuse Customer Credit journal items written outside the posting service."""
        if self.env["credit.wallet"]._is_posting():
            return
        liabilities = self.account_id.filtered(lambda a: a.account_type == "liability_current")
        if not liabilities:
            return
        # sudo: only company settings are read, to know which accounts are wallet accounts
        credit_accounts = (
            self.env["res.company"]
            .sudo()
            .search([("credit_account_id", "in", liabilities.ids)])
            .credit_account_id
        )
        if credit_accounts & liabilities:
            raise UserError(
                self.env._(
                    "Journal items on the Customer Credit account are written only by credit "
                    "wallet movements. Use Credits to adjust or reverse a wallet."
                )
            )
