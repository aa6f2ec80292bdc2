from odoo import api, fields, models


class CreditRequestAccept(models.TransientModel):
    _name = "credit.request.accept"
    _description = "Accept a Credit Request"
    _check_company_auto = True

    request_id = fields.Many2one("credit.request", required=True, readonly=True)
    company_id = fields.Many2one(related="request_id.company_id")
    currency_id = fields.Many2one(related="request_id.currency_id")
    partner_id = fields.Many2one(related="request_id.partner_id")
    amount = fields.Monetary(related="request_id.amount")
    credit_amount = fields.Monetary(related="request_id.credit_amount")
    journal_id = fields.Many2one(
        "account.journal",
        string="Received In",
        required=True,
        compute="_compute_journal_id",
        store=True,
        precompute=True,
        readonly=False,
        check_company=True,
        domain="[('type', 'in', ('bank', 'cash')), ('company_id', '=', company_id)]",
        help="The bank (or crypto) journal where the money arrived; the payment is booked there.",
    )

    @api.depends("request_id")
    def _compute_journal_id(self):
        for wizard in self:
            company = wizard.request_id.company_id
            # sudo: the provider's settings, read to propose the usual journal
            provider_sudo = wizard.request_id.sudo().provider_id
            crypto_journal = (
                provider_sudo.custom_mode == "crypto" and company.credit_crypto_journal_id
            )
            wizard.journal_id = crypto_journal or provider_sudo.journal_id

    def action_accept(self):
        self.request_id._check_can_accept(self.journal_id)
        self.request_id._accept(self.journal_id)
        return {"type": "ir.actions.act_window_close"}


class CreditRequestReject(models.TransientModel):
    _name = "credit.request.reject"
    _description = "Reject a Credit Request"

    request_id = fields.Many2one("credit.request", required=True, readonly=True)
    reason = fields.Text(required=True)

    def action_reject(self):
        self.request_id._check_can_reject(self.reason)
        self.request_id._reject(self.reason)
        return {"type": "ir.actions.act_window_close"}
