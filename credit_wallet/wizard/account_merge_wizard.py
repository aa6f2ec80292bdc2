from odoo import api, models


class AccountMergeWizard(models.TransientModel):
    _inherit = "account.merge.wizard"

    @api.model
    def _action_merge(self, accounts):
        """Refuse any group holding a Customer Credit account, of any company, before Odoo
        rewrites journal items in SQL; the database refuses it too (account_move_line.py)."""
        # Odoo's own access check first: the refusal names the accounts' companies
        self._check_access_rights(accounts)
        accounts._check_credit_account_not_merged()
        return super()._action_merge(accounts)
