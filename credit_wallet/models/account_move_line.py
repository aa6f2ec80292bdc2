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
        # only a new account can bring a line onto Customer Credit (one Odoo recomputes is
        # checked in _compute_account_id)
        if "account_id" in vals:
            self._check_customer_credit_untouched()
        return result

    @api.ondelete(at_uninstall=False)
    def _unlink_except_customer_credit(self):
        self._check_customer_credit_untouched()

    def _compute_account_id(self):
        # Odoo sets accounts from products, partners and fiscal positions without write():
        # a recomputed account is checked here, whatever triggered it
        previous = {line: line.account_id for line in self}
        result = super()._compute_account_id()
        changed = self.filtered(lambda line: line.account_id != previous[line])
        changed._check_customer_credit_untouched(
            previous_accounts=self.env["account.account"].union(
                *(previous[line] for line in changed)
            )
        )
        return result

    def _check_customer_credit_untouched(self, previous_accounts=None):
        """Refuse Customer Credit journal items written outside the posting service.

        The Customer Credit accounts are recognised by identity, whatever their type: one
        query for the whole batch.

        :param previous_accounts: accounts the lines were on before a recomputation
        """
        if self.env["credit.wallet"]._is_posting():
            return
        accounts = self.account_id | (previous_accounts or self.env["account.account"])
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
