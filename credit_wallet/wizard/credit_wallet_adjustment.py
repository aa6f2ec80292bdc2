from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from ..utils import check_company_access


class CreditWalletAdjustment(models.TransientModel):
    _name = "credit.wallet.adjustment"
    _inherit = ["credit.wizard.mixin"]
    _description = "Manual Credit Adjustment"
    _check_company_auto = True
    _credit_record_field = "wallet_id"

    wallet_id = fields.Many2one("credit.wallet", required=True, check_company=True)
    # read as the user: another company's wallet is refused, not shown
    company_id = fields.Many2one(related="wallet_id.company_id", compute_sudo=False)
    currency_id = fields.Many2one(related="wallet_id.currency_id", compute_sudo=False)
    balance = fields.Float(
        related="wallet_id.balance", string="Current Balance", compute_sudo=False
    )
    direction = fields.Selection(
        [("in", "Add credits"), ("out", "Remove credits")], required=True, default="in"
    )
    amount = fields.Float(string="Credits", required=True, digits=(16, 2))
    reason = fields.Char(required=True)
    account_id = fields.Many2one(
        "account.account",
        string="Counterpart Account",
        compute="_compute_account_id",
        compute_sudo=False,
        store=True,
        readonly=False,
        check_company=True,
        domain="[('internal_group', 'in', ('income', 'expense')), ('deprecated', '=', False)]",
    )

    @api.depends("wallet_id")
    def _compute_account_id(self):
        for wizard in self:
            wizard.account_id = False
            if wizard.wallet_id:
                company = wizard._credit_record().company_id
                wizard.account_id = company.credit_adjustment_account_id

    def action_apply(self):
        self._check_can_apply()
        self._apply()
        return {"type": "ir.actions.act_window_close"}

    def _check_can_apply(self):
        if not self.env.user.has_group("credit_wallet.group_credit_manager"):
            raise AccessError(self.env._("Only credit managers can adjust wallets."))
        check_company_access(self.wallet_id, "write")
        for wizard in self:
            if wizard.currency_id.compare_amounts(wizard.amount, 0.0) <= 0:
                raise UserError(
                    self.env._("Enter a positive amount; choose Remove credits to take some out.")
                )
            if not (wizard.reason or "").strip():
                raise UserError(self.env._("Give the reason for the adjustment."))
            if not wizard.account_id:
                raise UserError(self.env._("Choose the counterpart account of the adjustment."))
            # the view's domain is only a suggestion: RPC can send any account
            refusal = wizard.company_id._credit_counterpart_refusal(wizard.account_id)
            if refusal:
                raise UserError(refusal)

    def _apply(self):
        for wizard in self:
            sign = 1 if wizard.direction == "in" else -1
            wizard.wallet_id._post_movement(
                sign * wizard.amount,
                self.env._("Adjustment: %(reason)s", reason=wizard.reason.strip()),
                counterpart_account=wizard.account_id,
            )
