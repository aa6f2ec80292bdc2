from odoo import api, models

from odoo.addons.website.models import ir_http


class ResUsers(models.Model):
    _inherit = "res.users"

    @api.model
    def _credit_portal_company_sudo(self):
        """The agency company whose credits the portal shows and sells.

        On a website request, the website's company, whatever companies the visitor may work
        in, as Odoo's shop sells in it; elsewhere the current company. In sudo: its credit
        settings and currency are shown to every visitor of its website, as the website's own
        pages read its company.
        """
        website = ir_http.get_request_website()
        company = website.company_id if website else self.env.company
        # sudo: the website's company settings are shown to every visitor (see above)
        return company.sudo()

    def _credit_hub_available(self):
        """Whether this user sees the credit hub: header balance, /my tile and /my/credits.

        The one rule shared by the website header, the portal pages and the payment flows:
        a signed-in (not public) user, on the website of a company that allows credit payments.
        """
        self.ensure_one()
        return bool(
            self.id
            and not self._is_public()
            and self._credit_portal_company_sudo().credit_payment_enabled
        )

    def _credit_wallet_sudo(self):
        """The wallet this user's commercial partner holds in the portal's company, if any.

        Never creates one: viewing a balance must not write. Returned in sudo, for the
        caller to read the user's own wallet whatever their backend access rights.
        """
        self.ensure_one()
        return self.env["credit.wallet"]._get_wallet(
            self.partner_id, self._credit_portal_company_sudo()
        )

    def _credit_balance(self):
        """Credits available to this user in the portal's company (0 without a wallet)."""
        self.ensure_one()
        return self._credit_wallet_sudo().balance or 0.0

    def _credit_balance_number(self):
        """The balance as the header shows it, beside the word Credits: "1,250"."""
        self.ensure_one()
        return self._credit_portal_company_sudo()._credit_format_number(self._credit_balance())

    @api.model
    def _credit_managers(self, company):
        """The people who act on credit issues of ``company``: its active credit managers."""
        root = self.env.ref("base.user_root")
        return self.env.ref("credit_wallet.group_credit_manager").users.filtered(
            lambda user: user.active
            and not user.share
            and user != root
            and company in user.company_ids
        )

    @api.model
    def _credit_request_reviewer(self, company):
        """The credit manager who reviews the credit requests of ``company``: the one its
        settings name, while still a credit manager there, else the first one appointed."""
        managers = self._credit_managers(company)
        reviewer = company.credit_request_reviewer_id
        return reviewer if reviewer in managers else managers.sorted("id")[:1]
