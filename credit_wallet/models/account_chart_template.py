from odoo import Command, api, models

from ..const import CREDIT_CODE


class AccountChartTemplate(models.AbstractModel):
    """Each company with a chart of accounts gets its credits' accounts, journals and Credits
    provider: when its chart is installed, and at the add-on's install and upgrade."""

    _inherit = "account.chart.template"

    def _post_load_data(self, template_code, company, template_data):
        """Override of `account` to set a company's credits up with its chart of accounts."""
        result = super()._post_load_data(template_code, company, template_data)
        self._credit_setup_company(company or self.env.company)
        return result

    @api.model
    def _credit_setup_all_companies(self):
        """Set up every company that has a chart of accounts (what it lacks only)."""
        # sudo: run at install and upgrade, for every company
        for company_sudo in (
            self.env["res.company"].sudo().search([("chart_template", "!=", False)])
        ):
            self._credit_setup_company(company_sudo)

    @api.model
    def _credit_setup_company(self, company):
        """Create the Customer Credit account, adjustment account and journal when missing,
        then the Credits provider and its journal."""
        # sudo: the company's accounting is set up by the add-on, whoever installs it
        company_sudo = company.sudo()
        accounts_sudo = self.env["account.account"].sudo().with_company(company_sudo)
        journals_sudo = self.env["account.journal"].sudo()
        if not company_sudo.credit_account_id:
            company_sudo.credit_account_id = accounts_sudo.create(
                {
                    "name": self.env._("Customer Credit"),
                    "code": self._credit_new_account_code(
                        company_sudo, "liability_current", "2190"
                    ),
                    "account_type": "liability_current",
                    "reconcile": True,
                    "company_ids": [company_sudo.id],
                }
            )
        if not company_sudo.credit_adjustment_account_id:
            company_sudo.credit_adjustment_account_id = accounts_sudo.create(
                {
                    "name": self.env._("Customer Credit Bonus and Adjustments"),
                    "code": self._credit_new_account_code(company_sudo, "expense", "6190"),
                    "account_type": "expense",
                    "company_ids": [company_sudo.id],
                }
            )
        if not company_sudo.credit_exchange_account_id:
            company_sudo.credit_exchange_account_id = accounts_sudo.create(
                {
                    "name": self.env._("Credit Exchange Difference"),
                    "code": self._credit_new_account_code(company_sudo, "income_other", "7690"),
                    "account_type": "income_other",
                    "company_ids": [company_sudo.id],
                }
            )
        company_sudo._credit_ensure_company_rate()
        if not company_sudo.credit_journal_id:
            company_sudo.credit_journal_id = journals_sudo.create(
                {
                    "name": self.env._("Customer Credit"),
                    "code": self._credit_new_journal_code(company_sudo, "CRED"),
                    "type": "general",
                    "company_id": company_sudo.id,
                    "show_on_dashboard": False,
                }
            )
        self._credit_setup_payment_provider(company_sudo)

    @api.model
    def _credit_setup_payment_provider(self, company_sudo):
        """The Credits payment provider and its journal, for spending credits.

        The journal is a bank journal (Odoo books provider payments in bank journals only)
        whose account and Credits payment method both are the Customer Credit account: a
        payment with credits is Dr Customer Credit / Cr Receivable, and it counts as matched.
        """
        # sudo: the add-on's own provider and journal, whoever installs it
        journals_sudo = self.env["account.journal"].sudo()
        if not company_sudo.credit_payment_journal_id:
            company_sudo.credit_payment_journal_id = journals_sudo.create(
                {
                    "name": self.env._("Credit Payments"),
                    "code": self._credit_new_journal_code(company_sudo, "CRPAY"),
                    "type": "bank",
                    "company_id": company_sudo.id,
                    "default_account_id": company_sudo.credit_account_id.id,
                    "show_on_dashboard": False,
                    # only the Credits method: no manual payment can land here
                    "inbound_payment_method_line_ids": [Command.clear()],
                    "outbound_payment_method_line_ids": [Command.clear()],
                }
            )
        providers_sudo = self.env["payment.provider"].sudo()
        provider_sudo = providers_sudo._credit_get_provider(company_sudo)
        if not provider_sudo:
            provider_sudo = providers_sudo.create(
                {
                    "name": self.env._("Credits"),
                    "code": CREDIT_CODE,
                    "company_id": company_sudo.id,
                    "state": "disabled",
                    "is_published": True,
                    "redirect_form_view_id": self.env.ref("credit_wallet.redirect_form").id,
                    "payment_method_ids": [
                        Command.set(self.env.ref("credit_wallet.payment_method_credit").ids)
                    ],
                }
            )
            # the provider's id is cached per company: the cached "none" goes
            self.env.registry.clear_cache()
        if provider_sudo.journal_id != company_sudo.credit_payment_journal_id:
            provider_sudo.journal_id = company_sudo.credit_payment_journal_id
        company_sudo._credit_sync_provider_currency()
        if provider_sudo.state != "enabled":
            provider_sudo.state = "enabled"

    @api.model
    def _credit_new_account_code(self, company, account_type, fallback_code):
        # sudo: the company's chart is searched for a free code, whoever installs the add-on
        accounts_sudo = self.env["account.account"].sudo().with_company(company)
        sibling = accounts_sudo.search(
            [("account_type", "=", account_type), ("company_ids", "in", company.id)],
            order="code desc",
            limit=1,
        )
        return accounts_sudo._search_new_account_code(sibling.code or fallback_code)

    @api.model
    def _credit_new_journal_code(self, company, prefix):
        # sudo: every journal code of the company is taken, archived ones too
        used = set(
            self.env["account.journal"]
            .sudo()
            .with_context(active_test=False)
            .search([("company_id", "=", company.id)])
            .mapped("code")
        )
        return next(
            code
            for code in [prefix, *(f"{prefix[:3]}{n}" for n in range(2, 100))]
            if code not in used
        )
