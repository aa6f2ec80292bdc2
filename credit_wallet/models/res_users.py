from odoo import api, models


class ResUsers(models.Model):
    _inherit = "res.users"

    def _is_credit_hub_available(self):
        """Whether this user sees the credit hub: header balance, /my tile and /my/credits.

        The one rule shared by the website header, the portal pages and the payment flows:
        a signed-in (not public) user whose company allows credit payments.
        """
        self.ensure_one()
        return bool(self.id and not self._is_public() and self.company_id.credit_payment_enabled)

    def _get_credit_wallet_sudo(self):
        """The wallet this user's commercial partner holds in the user's company, if any.

        Never creates one: viewing a balance must not write. Returned in sudo, for the
        caller to read the user's own wallet whatever their backend access rights.
        """
        self.ensure_one()
        return self.env["credit.wallet"]._get_wallet(self.partner_id, self.company_id, create=False)

    def _get_credit_balance(self):
        """Credits available to this user, in their company's currency (0 without a wallet)."""
        self.ensure_one()
        return self._get_credit_wallet_sudo().balance or 0.0

    @api.model
    def _get_credit_managers(self, company):
        """The people who act on credit issues of ``company``: its active credit managers."""
        root = self.env.ref("base.user_root")
        return self.env.ref("credit_wallet.group_credit_manager").users.filtered(
            lambda user: user.active
            and not user.share
            and user != root
            and company in user.company_ids
        )
