import math

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import float_round

from ..utils import check_company_access

# far above any invoice, far below what rounding to cents turns into an infinity
MAX_AMOUNT = 1e15


class CreditInvoicePayment(models.TransientModel):
    _name = "credit.invoice.payment"
    _inherit = ["credit.wizard.mixin"]
    _description = "Pay an Invoice with Credits"
    _check_company_auto = True
    _credit_record_field = "invoice_id"

    invoice_id = fields.Many2one(
        "account.move",
        required=True,
        readonly=True,
        check_company=True,
        domain="[('move_type', '=', 'out_invoice'), ('state', '=', 'posted')]",
    )
    # read as the user: another company's invoice is refused, not shown
    company_id = fields.Many2one(related="invoice_id.company_id", compute_sudo=False)
    currency_id = fields.Many2one(related="invoice_id.currency_id", compute_sudo=False)
    partner_id = fields.Many2one(
        related="invoice_id.commercial_partner_id", string="Customer", compute_sudo=False
    )
    amount_residual = fields.Monetary(
        related="invoice_id.amount_residual", string="Amount Due", compute_sudo=False
    )
    balance = fields.Float(string="Credit Balance", compute="_compute_balance", digits=(16, 2))
    amount = fields.Monetary(
        compute="_compute_amount",
        compute_sudo=False,
        store=True,
        readonly=False,
        help="What to pay of the invoice, in its currency, with credits: at most its amount due "
        "and what the balance buys.",
    )
    credits = fields.Float(
        string="Credits Taken",
        compute="_compute_credits",
        digits=(16, 2),
        help="The credits the amount takes at the invoice currency's rate (rounded up).",
    )
    balance_after = fields.Float(
        string="Balance After Payment",
        compute="_compute_balance_after",
        digits=(16, 2),
        help="The customer's credits once this payment is made.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._check_amount_is_a_number(vals)
        return super().create(vals_list)

    def write(self, vals):
        self._check_amount_is_a_number(vals)
        return super().write(vals)

    def _check_amount_is_a_number(self, vals):
        # before the ORM rounds it, which fails on NaN, infinities and 1e308 with no useful message
        amount = vals.get("amount")
        if isinstance(amount, float) and not (math.isfinite(amount) and abs(amount) < MAX_AMOUNT):
            raise UserError(self.env._("The amount to pay is not a number of credits."))

    @api.depends("invoice_id")
    def _compute_balance(self):
        for wizard in self:
            wizard.balance = 0.0
            if not wizard.invoice_id:
                continue
            invoice = wizard._credit_record()
            # sudo: the balance of the invoice's customer, shown to the billing user paying it
            wallet_sudo = self.env["credit.wallet"]._get_wallet(
                invoice.commercial_partner_id, invoice.company_id
            )
            wizard.balance = wallet_sudo.balance or 0.0

    @api.depends("balance", "amount_residual")
    def _compute_amount(self):
        for wizard in self:
            company, currency = wizard.company_id, wizard.currency_id
            rate = company._credit_rate(currency) if company and currency else None
            affordable = (
                float_round(
                    wizard.balance / rate.rate,
                    precision_rounding=currency.rounding,
                    rounding_method="DOWN",
                )
                if rate
                else 0.0
            )
            wizard.amount = max(min(wizard.amount_residual, affordable), 0.0)

    @api.depends("amount", "currency_id", "company_id")
    def _compute_credits(self):
        for wizard in self:
            wizard.credits = (
                wizard.company_id._credit_from_money(wizard.amount, wizard.currency_id) or 0.0
                if wizard.company_id and wizard.currency_id and wizard.amount > 0
                else 0.0
            )

    @api.depends("balance", "credits")
    def _compute_balance_after(self):
        for wizard in self:
            wizard.balance_after = wizard.balance - wizard.credits

    def action_pay(self):
        self._check_can_pay()
        self._pay()
        return {"type": "ir.actions.act_window_close"}

    def _check_can_pay(self):
        if not self.env.user.has_group("account.group_account_invoice"):
            raise AccessError(self.env._("Only billing users can pay invoices with credits."))
        check_company_access(self.invoice_id, "write")
        for wizard in self:
            refusal = wizard.invoice_id._credit_spend_refusal(
                wizard.partner_id, wizard.amount, partial=True
            )
            if refusal:
                raise UserError(refusal)

    def _pay(self):
        for wizard in self:
            # sudo: the billing user's access to the invoice was checked in _check_can_pay
            invoice_sudo = wizard.invoice_id.sudo()
            invoice_sudo._credit_pay(wizard.amount)
