from odoo import api, fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    credit_payment_enabled = fields.Boolean(
        related="company_id.credit_payment_enabled", readonly=False
    )
    credit_account_id = fields.Many2one(related="company_id.credit_account_id", readonly=False)
    credit_journal_id = fields.Many2one(related="company_id.credit_journal_id", readonly=False)
    credit_adjustment_account_id = fields.Many2one(
        related="company_id.credit_adjustment_account_id", readonly=False
    )
    credit_payment_journal_id = fields.Many2one(related="company_id.credit_payment_journal_id")
    credit_proof_required = fields.Boolean(
        related="company_id.credit_proof_required", readonly=False
    )
    credit_crypto_journal_id = fields.Many2one(
        related="company_id.credit_crypto_journal_id", readonly=False
    )
    credit_request_reviewer_id = fields.Many2one(
        related="company_id.credit_request_reviewer_id", readonly=False
    )
    # who may review the company's credit requests
    credit_manager_user_ids = fields.Many2many(
        "res.users", compute="_compute_credit_manager_user_ids"
    )
    credit_test_payments_allowed = fields.Boolean(
        related="company_id.credit_test_payments_allowed", readonly=False
    )
    credit_autopay_default = fields.Boolean(
        related="company_id.credit_autopay_default", readonly=False
    )
    credit_autopay_partial = fields.Boolean(
        related="company_id.credit_autopay_partial", readonly=False
    )
    credit_low_balance_threshold = fields.Float(
        related="company_id.credit_low_balance_threshold", readonly=False
    )
    credit_rounding = fields.Selection(related="company_id.credit_rounding", readonly=False)
    credit_value = fields.Float(related="company_id.credit_value")
    credit_exchange_account_id = fields.Many2one(
        related="company_id.credit_exchange_account_id", readonly=False
    )
    credit_unit_fixed = fields.Boolean(compute="_compute_credit_unit_fixed")
    credit_custom_amount_allowed = fields.Boolean(
        related="company_id.credit_custom_amount_allowed", readonly=False
    )
    credit_custom_amount_min = fields.Float(
        related="company_id.credit_custom_amount_min", readonly=False
    )
    credit_custom_amount_max = fields.Float(
        related="company_id.credit_custom_amount_max", readonly=False
    )
    credit_instructions_warning = fields.Text(
        compute="_compute_credit_instructions_warning",
        help="Enabled wire transfer and cryptocurrency providers that cannot tell customers "
        "where to send the money.",
    )

    @api.depends("company_id")
    def _compute_credit_unit_fixed(self):
        # the rounding and the company currency's rate are fixed once credits moved
        for settings in self:
            settings.credit_unit_fixed = settings.company_id._credit_has_movements()

    @api.depends("company_id")
    def _compute_credit_manager_user_ids(self):
        for settings in self:
            settings.credit_manager_user_ids = self.env["res.users"]._credit_managers(
                settings.company_id
            )

    @api.depends("company_id")
    def _compute_credit_instructions_warning(self):
        for settings in self:
            providers = self.env["payment.provider"].search(
                [
                    ("company_id", "=", settings.company_id.id),
                    ("code", "=", "custom"),
                    ("state", "!=", "disabled"),
                ]
            )
            issues = {provider: provider._credit_instructions_issues() for provider in providers}
            settings.credit_instructions_warning = "\n".join(
                self.env._(
                    "%(provider)s: %(issues)s.",
                    provider=provider.name,
                    issues=", ".join(provider_issues),
                )
                for provider, provider_issues in issues.items()
                if provider_issues
            )
