from odoo import api, fields, models
from odoo.exceptions import UserError

from ..const import CREDIT_CODE


class ResCompany(models.Model):
    _inherit = "res.company"

    credit_payment_enabled = fields.Boolean(
        string="Allow Credit Payments",
        help="Show the credit wallet to customers. When off, balances are kept but hidden.",
    )
    credit_account_id = fields.Many2one(
        "account.account",
        string="Customer Credit Account",
        domain="[('account_type', '=', 'liability_current'), ('reconcile', '=', True)]",
        check_company=True,
        help="Liability for credits sold and not yet spent.",
    )
    credit_journal_id = fields.Many2one(
        "account.journal",
        string="Customer Credit Journal",
        domain="[('type', '=', 'general')]",
        check_company=True,
    )
    credit_adjustment_account_id = fields.Many2one(
        "account.account",
        string="Credit Adjustment Account",
        domain="[('account_type', 'in', ('expense', 'income', 'income_other'))]",
        check_company=True,
        help="Counterpart of bonus credits and manual adjustments.",
    )
    credit_payment_journal_id = fields.Many2one(
        "account.journal",
        string="Credit Payments Journal",
        check_company=True,
        readonly=True,
        help="Payments with credits: Dr Customer Credit / Cr Receivable, reconciled with "
        "invoices. Its payment account is the Customer Credit account.",
    )
    credit_proof_required = fields.Boolean(
        string="Proof of Payment Required",
        help="A bank transfer or crypto credit request reaches the review queue only once the "
        "customer attached a proof of payment.",
    )
    credit_crypto_journal_id = fields.Many2one(
        "account.journal",
        string="Crypto Journal",
        check_company=True,
        domain="[('type', 'in', ('bank', 'cash'))]",
        help="Proposed when accepting a cryptocurrency credit request: where the coins arrive.",
    )
    credit_request_reviewer_id = fields.Many2one(
        "res.users",
        string="Requests Reviewed by",
        help="The credit manager who gets the review activity of each credit request; the "
        "first credit manager of the company when empty.",
    )
    credit_test_payments_allowed = fields.Boolean(
        string="Credits from Test Payments",
        help="Grant credits for payments of providers in test mode. Off in production: a "
        "test payment moves no money, so it must not create spendable credits.",
    )
    credit_autopay_default = fields.Boolean(
        string="Pay Invoices from Credits",
        help="Pay customers' invoices from their credits as soon as they are posted, unless a "
        "customer says otherwise.",
    )
    credit_autopay_partial = fields.Boolean(
        string="Apply Credits Partly",
        help="When an auto-pay customer's credits do not cover an invoice, pay what they cover "
        "instead of waiting for a top-up.",
    )
    credit_low_balance_threshold = fields.Float(
        string="Low Balance Alert",
        digits=(16, 2),
        help="Email the customer once when a movement takes their balance below this number of "
        "credits (0: no alert).",
    )
    credit_custom_amount_allowed = fields.Boolean(
        string="Custom Credit Amounts",
        help="Let customers buy any number of credits between a minimum and a maximum.",
    )
    credit_custom_amount_min = fields.Float(
        string="Minimum Custom Credits",
        digits=(16, 2),
        default=10.0,
        help="The fewest credits a customer may buy as a custom amount.",
    )
    credit_custom_amount_max = fields.Float(
        string="Maximum Custom Credits",
        digits=(16, 2),
        default=1000.0,
        help="The most credits a customer may buy as a custom amount.",
    )

    _sql_constraints = [
        (
            "credit_low_balance_threshold_not_negative",
            "CHECK(credit_low_balance_threshold >= 0)",
            "The low balance alert cannot be negative.",
        ),
    ]

    @api.constrains(
        "credit_custom_amount_allowed", "credit_custom_amount_min", "credit_custom_amount_max"
    )
    def _check_credit_custom_amount_bounds(self):
        for company in self.filtered("credit_custom_amount_allowed"):
            low, high = company.credit_custom_amount_min, company.credit_custom_amount_max
            if company._credit_compare(low, 0.0) <= 0 or company._credit_compare(low, high) > 0:
                raise UserError(
                    self.env._(
                        "Custom credit amounts need a minimum above zero and a maximum at least "
                        "as high."
                    )
                )

    @api.constrains("credit_account_id")
    def _check_credit_account(self):
        for company in self.filtered("credit_account_id"):
            refusal = company._credit_account_refusal(company.credit_account_id)
            if refusal:
                raise UserError(refusal)
        self.credit_account_id._check_credit_account_only_wallet_items()

    @api.constrains("credit_adjustment_account_id", "credit_account_id")
    def _check_credit_adjustment_account(self):
        for company in self.filtered("credit_adjustment_account_id"):
            refusal = company._credit_counterpart_refusal(company.credit_adjustment_account_id)
            if refusal:
                raise UserError(refusal)

    def _credit_account_refusal(self, account):
        """Why ``account`` cannot hold this company's credits, or "".

        The wallets are a debt to the customers, settled entry by entry: a reconcilable
        current liability of this company that can still be posted to.
        """
        self.ensure_one()
        # sudo: the chosen account is judged whatever companies the user may read; its code
        # is the one it has in this company
        account_sudo = account.sudo().with_company(self)
        if account_sudo.account_type != "liability_current" or not account_sudo.reconcile:
            return self.env._(
                "The Customer Credit account of %(company)s must be a current liability that "
                "allows reconciliation; %(account)s is not.",
                company=self.name,
                account=account_sudo.display_name,
            )
        return self._credit_account_usable_refusal(account_sudo)

    def _credit_counterpart_refusal(self, account):
        """Why bonuses and adjustments of this company cannot be posted against ``account``."""
        self.ensure_one()
        # sudo: the chosen account is judged whatever companies the user may read; its code
        # is the one it has in this company
        account_sudo = account.sudo().with_company(self)
        # sudo: the company's own Customer Credit account, whoever configures it
        company_sudo = self.sudo()
        if account_sudo == company_sudo.credit_account_id or account_sudo.internal_group not in (
            "income",
            "expense",
        ):
            return self.env._(
                "Bonus credits and adjustments of %(company)s are posted against an income or "
                "expense account; %(account)s is not one.",
                company=self.name,
                account=account_sudo.display_name,
            )
        return self._credit_account_usable_refusal(account_sudo)

    def _credit_account_usable_refusal(self, account_sudo):
        self.ensure_one()
        # an account of a parent company serves its branches too
        # sudo: the company's parents, whatever companies the user may read
        company_sudo = self.sudo()
        if not account_sudo.company_ids & company_sudo.parent_ids:
            return self.env._(
                "%(account)s belongs to another company than %(company)s.",
                account=account_sudo.display_name,
                company=self.name,
            )
        if account_sudo.deprecated:
            return self.env._(
                "%(account)s is deprecated: choose an account in use.",
                account=account_sudo.display_name,
            )
        return ""

    def write(self, vals):
        if "credit_account_id" in vals:
            self._check_credit_account_changeable(vals["credit_account_id"])
        former_currencies = {company: company.currency_id for company in self}
        result = super().write(vals)
        if "credit_account_id" in vals:
            self._credit_sync_payment_journal()
        if "currency_id" in vals:
            for company, former_currency in former_currencies.items():
                if former_currency != company.currency_id:
                    company._credit_follow_new_currency(former_currency)
        return result

    def _credit_sync_payment_journal(self):
        """Keep the Credit Payments journal and its Credits method on Customer Credit."""
        # sudo: the add-on keeps its own journal in step, whoever changed the account
        for company_sudo in self.sudo().filtered("credit_payment_journal_id"):
            journal_sudo = company_sudo.credit_payment_journal_id
            journal_sudo.default_account_id = company_sudo.credit_account_id
            journal_sudo.inbound_payment_method_line_ids.filtered(
                lambda line: line.payment_provider_id.code == CREDIT_CODE
            ).payment_account_id = company_sudo.credit_account_id

    def _check_credit_account_changeable(self, new_account_id):
        # sudo: counting entries of the companies being configured by their administrator
        entries_sudo = self.env["credit.ledger.entry"].sudo()
        for company in self:
            if company.credit_account_id.id == new_account_id:
                continue
            if entries_sudo.search_count([("company_id", "=", company.id)], limit=1):
                raise UserError(
                    self.env._(
                        "%(company)s already has credit movements on %(account)s: the Customer "
                        "Credit account cannot change any more, or wallets and books would "
                        "disagree.",
                        company=company.name,
                        account=company.credit_account_id.display_name,
                    )
                )
