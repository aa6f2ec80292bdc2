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
    credit_test_payments_allowed = fields.Boolean(
        related="company_id.credit_test_payments_allowed", readonly=False
    )
    credit_autopay_default = fields.Boolean(
        related="company_id.credit_autopay_default", readonly=False
    )
    credit_autopay_partial = fields.Boolean(
        related="company_id.credit_autopay_partial", readonly=False
    )
    credit_low_balance_threshold = fields.Monetary(
        related="company_id.credit_low_balance_threshold", readonly=False
    )
    credit_custom_amount_allowed = fields.Boolean(
        related="company_id.credit_custom_amount_allowed", readonly=False
    )
    credit_custom_amount_min = fields.Monetary(
        related="company_id.credit_custom_amount_min", readonly=False
    )
    credit_custom_amount_max = fields.Monetary(
        related="company_id.credit_custom_amount_max", readonly=False
    )
    credit_instructions_warning = fields.Text(
        compute="_compute_credit_instructions_warning",
        help="Enabled wire transfer and cryptocurrency providers that cannot tell customers "
        "where to send the money.",
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
