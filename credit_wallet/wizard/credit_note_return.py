from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools.misc import format_amount


class CreditNoteReturn(models.TransientModel):
    _name = "credit.note.return"
    _inherit = ["credit.wizard.mixin"]
    _description = "Return a Credit Note to Credits"
    _check_company_auto = True
    _credit_record_field = "credit_note_id"

    credit_note_id = fields.Many2one(
        "account.move",
        string="Credit Note",
        required=True,
        readonly=True,
        check_company=True,
        domain="[('move_type', '=', 'out_refund'), ('state', '=', 'posted')]",
    )
    # read as the user: another company's credit note is refused, not shown
    company_id = fields.Many2one(related="credit_note_id.company_id", compute_sudo=False)
    currency_id = fields.Many2one(related="credit_note_id.currency_id", compute_sudo=False)
    partner_id = fields.Many2one(
        related="credit_note_id.commercial_partner_id", string="Customer", compute_sudo=False
    )
    invoice_id = fields.Many2one(
        related="credit_note_id.reversed_entry_id", string="Invoice", compute_sudo=False
    )
    # stored as the dialog showed it: the return is refused if the amount changed since
    amount = fields.Monetary(
        string="Credits to Return",
        compute="_compute_amount",
        compute_sudo=False,
        store=True,
        help="What credits paid on the invoice this credit note reverses, up to what the note "
        "still owes: it goes back to the customer's credits.",
    )

    @api.depends("credit_note_id")
    def _compute_amount(self):
        for wizard in self:
            wizard.amount = 0.0
            if wizard.credit_note_id:
                wizard.amount = wizard._credit_record()._credit_return_amount()

    def action_return(self):
        """Return the amount shown, through the credit note's own action and its checks."""
        credit_note = self._credit_record()
        currency = credit_note.currency_id
        amount = credit_note._credit_return_amount()
        if currency.compare_amounts(amount, self.amount):
            raise UserError(
                self.env._(
                    "%(note)s now returns %(amount)s to credits, not the %(shown)s shown: open "
                    "Return to Credits again.",
                    note=credit_note.display_name,
                    amount=format_amount(self.env, amount, currency),
                    shown=format_amount(self.env, self.amount, currency),
                )
            )
        credit_note.action_credit_return()
        return {"type": "ir.actions.act_window_close"}
