from odoo import models


class AccountPayment(models.Model):
    _inherit = "account.payment"

    def _compute_amount_available_for_refund(self):
        # a refund takes the purchase's credits back: only as much as the customer still holds
        result = super()._compute_amount_available_for_refund()
        for payment in self:
            # sudo: the payment's transaction, read to know what the customer still holds
            tx_sudo = payment.payment_transaction_id.sudo()
            if tx_sudo.credit_wallet_id and tx_sudo.operation != "refund":
                payment.amount_available_for_refund = min(
                    payment.amount_available_for_refund, tx_sudo._credit_refundable_money()
                )
        return result
