from odoo import api, models
from odoo.exceptions import UserError
from odoo.tools.misc import format_date

from ..utils import check_company_access


class ReportCreditPurchaseReceipt(models.AbstractModel):
    """The receipt of a credit purchase whose credits were granted: the money paid, how, and
    the credits it bought, bonus included; its refunds, if any."""

    _name = "report.credit_wallet.report_credit_purchase_receipt"
    _description = "Credit Purchase Receipt"

    @api.model
    def _get_report_values(self, docids, data=None):
        purchases = self.env["payment.transaction"].browse(docids)
        check_company_access(purchases, "read")
        for purchase in purchases:
            refusal = purchase._credit_receipt_refusal()
            if refusal:
                raise UserError(refusal)
        # sudo: a receipt of a purchase this user may read quotes its wallet and ledger entries
        purchases_sudo = purchases.sudo()
        return {
            "doc_ids": purchases.ids,
            "doc_model": purchases._name,
            "docs": purchases_sudo,
            "receipts": {
                purchase_sudo.id: self._receipt_values(purchase_sudo)
                for purchase_sudo in purchases_sudo
            },
        }

    @api.model
    def _receipt_values(self, purchase_sudo):
        """What the receipt says beyond the transaction's fields, read from the ledger: the
        credits the purchase granted and those its done refunds took back."""
        customer = purchase_sudo.partner_id
        company_partner = purchase_sudo.company_id.partner_id
        lang = customer.lang or company_partner.lang
        # dates in the customer's time zone, whoever prints the receipt
        env = self.with_context(tz=customer.tz or company_partner.tz or "UTC").env
        entries = purchase_sudo.credit_entry_ids
        purchase_credits = sum(entries.filtered(lambda e: e.kind == "purchase").mapped("amount"))
        bonus_credits = sum(entries.filtered(lambda e: e.kind == "bonus").mapped("amount"))
        refunds = purchase_sudo.child_transaction_ids.filtered(
            lambda child: child.operation == "refund" and child.state == "done"
        )
        return {
            "lang": lang,
            "date": format_date(env, purchase_sudo.last_state_change, lang_code=lang),
            "purchase_credits": purchase_credits,
            "bonus_credits": bonus_credits,
            "credits": purchase_credits + bonus_credits,
            "refunds": [
                {
                    "date": format_date(env, refund.last_state_change, lang_code=lang),
                    "reference": refund.reference,
                    "amount": -refund.amount,
                    "credits": -sum(
                        refund.credit_entry_ids.filtered(
                            lambda e: e.kind in ("purchase_refund", "bonus_refund")
                        ).mapped("amount")
                    ),
                }
                for refund in refunds.sorted("id")
            ],
        }
