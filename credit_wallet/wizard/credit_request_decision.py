from odoo import api, fields, models


class CreditRequestAccept(models.TransientModel):
    _name = "credit.request.accept"
    _inherit = ["credit.wizard.mixin"]
    _description = "Accept a Credit Request"
    _check_company_auto = True
    _credit_record_field = "request_id"

    request_id = fields.Many2one("credit.request", required=True, readonly=True, check_company=True)
    # read as the user: another company's request is refused, not shown
    company_id = fields.Many2one(related="request_id.company_id", compute_sudo=False)
    currency_id = fields.Many2one(related="request_id.currency_id", compute_sudo=False)
    partner_id = fields.Many2one(related="request_id.partner_id", compute_sudo=False)
    amount = fields.Monetary(related="request_id.amount", compute_sudo=False)
    credit_amount = fields.Float(related="request_id.credit_amount", compute_sudo=False)
    journal_id = fields.Many2one(
        "account.journal",
        string="Received In",
        required=True,
        compute="_compute_journal_id",
        compute_sudo=False,
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
            wizard.journal_id = False
            if not wizard.request_id:
                continue
            request = wizard._credit_record()
            company = request.company_id
            # sudo: the provider's settings, read to propose the usual journal
            provider_sudo = request.sudo().provider_id
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
    _inherit = ["credit.wizard.mixin"]
    _description = "Reject a Credit Request"
    _check_company_auto = True
    _credit_record_field = "request_id"

    request_id = fields.Many2one("credit.request", required=True, readonly=True, check_company=True)
    company_id = fields.Many2one(related="request_id.company_id", compute_sudo=False)
    reason = fields.Text(required=True)

    def action_reject(self):
        self.request_id._check_can_reject(self.reason)
        self.request_id._reject(self.reason)
        return {"type": "ir.actions.act_window_close"}
