import hashlib
import json

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError


class AccountMove(models.Model):
    _inherit = "account.move"

    credit_ledger_entry_ids = fields.One2many("credit.ledger.entry", "move_id", readonly=True)
    credit_payment_available = fields.Boolean(
        compute="_compute_credit_payment_available",
        help="A posted customer invoice with something left to pay, in a company taking credits.",
    )
    credit_returnable_amount = fields.Monetary(
        string="Credits to Return",
        compute="_compute_credit_returnable_amount",
        help="What this credit note can give back to the customer's credits: at most what "
        "credits paid on the invoice it reverses and what the note still owes.",
    )

    @api.depends("move_type", "state", "payment_state", "company_id.credit_payment_enabled")
    def _compute_credit_payment_available(self):
        for move in self:
            move.credit_payment_available = (
                move.company_id.credit_payment_enabled
                and move.currency_id == move.company_id.currency_id
                and not move._credit_payment_refusal()
            )

    @api.depends("move_type", "state", "amount_residual", "reversed_entry_id")
    def _compute_credit_returnable_amount(self):
        for move in self:
            move.credit_returnable_amount = move._credit_return_amount()

    def write(self, vals):
        if "state" in vals and vals["state"] != "posted":
            self._check_not_credit_wallet_move()
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_credit_wallet_move(self):
        self._check_not_credit_wallet_move()

    def _check_not_credit_wallet_move(self):
        if self.env["credit.wallet"]._is_posting():
            return
        wallet_moves = self.sudo().filtered("credit_ledger_entry_ids")
        if wallet_moves:
            raise UserError(
                self.env._(
                    "%(moves)s records credit wallet movements: it cannot be reset to draft, "
                    "cancelled or deleted. Reverse the ledger entry from Credits instead.",
                    moves=", ".join(wallet_moves.mapped("display_name")),
                )
            )

    # -------------------------------------------------------------------------
    # Paying an invoice with credits
    # -------------------------------------------------------------------------

    def _credit_customer(self):
        self.ensure_one()
        return self.commercial_partner_id

    def _credit_amount_due(self):
        self.ensure_one()
        return self.amount_residual

    def _credit_payment_refusal(self):
        """Why this invoice cannot be paid with credits, or ""."""
        self.ensure_one()
        if self.move_type != "out_invoice":
            return self.env._("Credits pay customer invoices only.")
        if self.state == "cancel":
            return self.env._("%(invoice)s is cancelled.", invoice=self.display_name)
        if self.state != "posted":
            return self.env._("%(invoice)s is not confirmed yet.", invoice=self.display_name)
        if self.payment_state in ("paid", "in_payment", "reversed"):
            return self.env._("%(invoice)s is already paid.", invoice=self.display_name)
        if self.payment_state == "blocked":
            return self.env._("%(invoice)s is blocked for payment.", invoice=self.display_name)
        return ""

    def _credit_fingerprint(self):
        """What the customer was shown: the invoice's state and what it still asks for."""
        self.ensure_one()
        content = [
            self.id,
            self.state,
            self.currency_id.id,
            self.amount_total,
            self.amount_residual,
        ]
        return hashlib.sha256(json.dumps(content, default=str).encode()).hexdigest()

    def action_open_credit_payment(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Pay with Credits"),
            "res_model": "credit.invoice.payment",
            "view_mode": "form",
            "target": "new",
            "context": {"default_invoice_id": self.id},
        }

    # -------------------------------------------------------------------------
    # Credit notes give credits back
    # -------------------------------------------------------------------------

    def _credit_spendings(self):
        """The done payments with credits of the invoice this credit note reverses."""
        self.ensure_one()
        # sudo: the invoice's own payments, read to know what credits paid on it
        return self.reversed_entry_id.sudo().transaction_ids.filtered(
            lambda tx: not tx.currency_id.is_zero(tx._credit_returnable_amount())
        )

    def _credit_return_amount(self):
        self.ensure_one()
        if self.move_type != "out_refund" or self.state != "posted":
            return 0.0
        returnable = sum(tx._credit_returnable_amount() for tx in self._credit_spendings())
        return self.currency_id.round(max(min(returnable, self.amount_residual), 0.0))

    def action_credit_return(self):
        self._check_can_return_credits()
        self._return_credits()
        return True

    def _check_can_return_credits(self):
        if not self.env.user.has_group("account.group_account_invoice"):
            raise AccessError(self.env._("Only billing users can return credits."))
        self.check_access("write")
        for credit_note in self:
            if credit_note.currency_id.is_zero(credit_note._credit_return_amount()):
                raise UserError(
                    self.env._(
                        "%(note)s has nothing to return to credits: it must be a posted credit "
                        "note, still open, of an invoice paid with credits that were not given "
                        "back already.",
                        note=credit_note.display_name,
                    )
                )

    def _return_credits(self):
        for credit_note in self:
            remaining = credit_note._credit_return_amount()
            for tx_sudo in credit_note._credit_spendings():
                amount = min(remaining, tx_sudo._credit_returnable_amount())
                if credit_note.currency_id.compare_amounts(amount, 0.0) <= 0:
                    break
                tx_sudo._credit_return(amount, credit_note=credit_note)
                remaining = credit_note.currency_id.round(remaining - amount)
