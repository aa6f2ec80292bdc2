from odoo import api, fields, models
from odoo.exceptions import UserError


class AccountMove(models.Model):
    _inherit = "account.move"

    credit_ledger_entry_ids = fields.One2many("credit.ledger.entry", "move_id", readonly=True)

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
