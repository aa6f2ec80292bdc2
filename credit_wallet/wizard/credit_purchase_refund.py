from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools.misc import format_amount

from ..utils import check_company_access


class CreditPurchaseRefund(models.TransientModel):
    _name = "credit.purchase.refund"
    _inherit = ["credit.wizard.mixin"]
    _description = "Record a Refund of a Credit Purchase"
    _check_company_auto = True
    _credit_record_field = "transaction_id"

    transaction_id = fields.Many2one(
        "payment.transaction", required=True, readonly=True, check_company=True
    )
    # read as the user: another company's purchase is refused, not shown
    company_id = fields.Many2one(related="transaction_id.company_id", compute_sudo=False)
    currency_id = fields.Many2one(related="transaction_id.currency_id", compute_sudo=False)
    partner_id = fields.Many2one(
        related="transaction_id.credit_wallet_id.partner_id", compute_sudo=False
    )
    paid_amount = fields.Monetary(
        related="transaction_id.amount", string="Paid", compute_sudo=False
    )
    amount = fields.Monetary(
        compute="_compute_amount",
        compute_sudo=False,
        store=True,
        readonly=False,
        help="The money given back to the customer outside Odoo (provider dashboard, chargeback).",
    )
    reason = fields.Char(required=True)

    @api.depends("transaction_id")
    def _compute_amount(self):
        for wizard in self:
            wizard.amount = 0.0
            if wizard.transaction_id:
                # sudo: the purchase's refunds, read once the user's access to it is checked
                tx_sudo = wizard._credit_record().sudo()
                wizard.amount = tx_sudo._credit_unrefunded_money()

    def action_record(self):
        self._check_can_record()
        self._record()
        return {"type": "ir.actions.act_window_close"}

    def _check_can_record(self):
        if not self.env.user.has_group("credit_wallet.group_credit_manager"):
            raise AccessError(
                self.env._("Only credit managers record refunds of credit purchases.")
            )
        check_company_access(self.transaction_id, "write")
        # the refund takes the credits back from the purchase's wallet
        check_company_access(self.transaction_id.credit_wallet_id, "write")
        for wizard in self:
            tx_sudo = wizard.transaction_id.sudo()
            currency = tx_sudo.currency_id
            left = tx_sudo._credit_unrefunded_money()
            if not tx_sudo.credit_wallet_id or tx_sudo.state != "done":
                raise UserError(
                    self.env._(
                        "%(reference)s is not a paid credit purchase.", reference=tx_sudo.reference
                    )
                )
            if (
                currency.compare_amounts(wizard.amount, 0.0) <= 0
                or currency.compare_amounts(wizard.amount, left) > 0
            ):
                raise UserError(
                    self.env._(
                        "Enter the refunded amount: more than zero and at most %(left)s.",
                        left=format_amount(self.env, left, currency),
                    )
                )
            if not (wizard.reason or "").strip():
                raise UserError(self.env._("Say why the money went back to the customer."))

    def _record(self):
        """A refund transaction of the purchase, done at once: its credits are taken back."""
        for wizard in self:
            # sudo: a credit manager records what the provider already did
            refund_tx_sudo = wizard.transaction_id.sudo()._create_child_transaction(
                wizard.amount, is_refund=True
            )
            refund_tx_sudo._set_done(
                state_message=self.env._(
                    "Recorded by %(user)s: %(reason)s",
                    user=self.env.user.name,
                    reason=wizard.reason.strip(),
                )
            )
            refund_tx_sudo._credit_post_process()
