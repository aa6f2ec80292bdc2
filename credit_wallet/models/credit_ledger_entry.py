from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools.sql import create_index

from ..utils import check_company_access

# Fields behind the Credits page: the accounting, the payment and the employees who posted.
# Portal users read their entries over RPC too, and see only what the page shows them.
INTERNAL = "base.group_user"


class CreditLedgerEntry(models.Model):
    _name = "credit.ledger.entry"
    _description = "Credit Ledger Entry"
    # ids grow in posting order per wallet (the wallet row is locked while posting)
    _order = "id desc"
    _rec_name = "description"

    wallet_id = fields.Many2one("credit.wallet", required=True, ondelete="restrict", readonly=True)
    # the wallet's, written with the entry (a wallet with entries keeps its customer and company)
    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, readonly=True, index=True
    )
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    currency_id = fields.Many2one(related="wallet_id.currency_id")
    date = fields.Datetime(required=True, readonly=True, default=fields.Datetime.now, index=True)
    entry_type = fields.Selection(
        [("in", "In"), ("out", "Out")], string="Type", required=True, readonly=True
    )
    amount = fields.Float(
        required=True,
        readonly=True,
        digits=(16, 2),
        help="Credits: positive in, negative out.",
    )
    running_balance = fields.Float(
        required=True, readonly=True, digits=(16, 2), help="Wallet balance right after this entry."
    )
    description = fields.Char(required=True, readonly=True)
    reference = fields.Reference(
        selection="_selection_reference",
        readonly=True,
        groups=INTERNAL,
        help="The document or payment the movement comes from.",
    )
    reference_name = fields.Char(string="Reference Label", readonly=True)
    move_id = fields.Many2one(
        "account.move",
        string="Journal Entry",
        required=True,
        readonly=True,
        index=True,
        ondelete="restrict",
        groups=INTERNAL,
    )
    posted_by_id = fields.Many2one(
        "res.users", string="Posted by", required=True, readonly=True, groups=INTERNAL
    )
    reversed_entry_id = fields.Many2one(
        "credit.ledger.entry",
        string="Reversal of",
        readonly=True,
        index="btree_not_null",
        ondelete="restrict",
        groups=INTERNAL,
    )
    reversal_entry_ids = fields.One2many(
        "credit.ledger.entry", "reversed_entry_id", groups=INTERNAL
    )
    source_entry_id = fields.Many2one(
        "credit.ledger.entry",
        string="Return of",
        readonly=True,
        index="btree_not_null",
        ondelete="restrict",
        groups=INTERNAL,
        help="The spending whose credits this return gives back: its wallet and its cap.",
    )
    return_entry_ids = fields.One2many(
        "credit.ledger.entry", "source_entry_id", string="Returns", groups=INTERNAL
    )
    kind = fields.Selection(
        [
            ("adjustment", "Adjustment"),
            ("purchase", "Purchase"),
            ("bonus", "Bonus"),
            ("reversal", "Reversal"),
            ("spend", "Spending"),
            ("return", "Return"),
            ("purchase_refund", "Purchase Refund"),
            ("bonus_refund", "Bonus Taken Back"),
        ],
        required=True,
        readonly=True,
        default="adjustment",
        help="Why the credits moved; a payment transaction credits each kind at most once.",
    )
    payment_transaction_id = fields.Many2one(
        "payment.transaction",
        string="Payment Transaction",
        readonly=True,
        index="btree_not_null",
        ondelete="restrict",
        groups=INTERNAL,
    )
    # the log fields name the employee who posted, like posted_by_id
    create_uid = fields.Many2one("res.users", string="Created by", readonly=True, groups=INTERNAL)
    write_uid = fields.Many2one(
        "res.users", string="Last Updated by", readonly=True, groups=INTERNAL
    )

    _sql_constraints = [
        ("amount_not_zero", "CHECK(amount <> 0)", "A ledger entry moves some credit."),
        (
            "type_matches_sign",
            "CHECK((entry_type = 'in' AND amount > 0) OR (entry_type = 'out' AND amount < 0))",
            "In entries add credits, Out entries remove them.",
        ),
        (
            "running_balance_not_negative",
            "CHECK(running_balance >= 0)",
            "A wallet balance cannot be negative.",
        ),
        (
            "reversed_once",
            "UNIQUE(reversed_entry_id)",
            "A ledger entry can be reversed only once.",
        ),
        # NULLs are distinct: only entries of a payment transaction are constrained
        (
            "transaction_credited_once",
            "UNIQUE(payment_transaction_id, kind)",
            "A payment transaction credits a wallet only once.",
        ),
    ]

    def init(self):
        # the portal pages one wallet's history newest first, whatever the other wallets hold
        create_index(
            self.env.cr,
            "credit_ledger_entry_wallet_id_id_index",
            self._table,
            ["wallet_id", "id DESC"],
        )

    @api.model
    def _selection_reference(self):
        return [
            ("account.move", self.env._("Journal Entry")),
            ("account.payment", self.env._("Payment")),
            ("payment.transaction", self.env._("Payment Transaction")),
            ("sale.order", self.env._("Sales Order")),
        ]

    # -------------------------------------------------------------------------
    # Append-only
    # -------------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env["credit.wallet"]._is_posting():
            raise UserError(
                self.env._("Ledger entries are created only by posting a credit movement.")
            )
        return super().create(vals_list)

    def write(self, vals):  # pylint: disable=method-required-super
        # append-only: no field of a posted entry ever changes; writing on no entry (as the
        # partner merge does for every reference field) changes nothing
        if self:
            raise UserError(
                self.env._("A posted ledger entry cannot be changed: reverse it instead.")
            )
        return True

    @api.ondelete(at_uninstall=False)
    def _unlink_never(self):
        raise UserError(self.env._("A posted ledger entry cannot be deleted: reverse it instead."))

    # -------------------------------------------------------------------------
    # Reversal
    # -------------------------------------------------------------------------

    def action_reverse(self):
        self._check_can_reverse()
        self._reverse()
        return True

    def _check_can_reverse(self):
        if not self.env.user.has_group("credit_wallet.group_credit_manager"):
            raise AccessError(self.env._("Only credit managers can reverse ledger entries."))
        check_company_access(self)
        check_company_access(self.wallet_id, "write")
        for entry in self:
            if entry.reversed_entry_id:
                raise UserError(
                    self.env._("%(entry)s is itself a reversal.", entry=entry.display_name)
                )
            if entry.reversal_entry_ids:
                raise UserError(
                    self.env._("%(entry)s is already reversed.", entry=entry.display_name)
                )
            if entry.kind in ("spend", "return", "purchase_refund", "bonus_refund"):
                raise UserError(
                    self.env._(
                        "%(entry)s follows its order or invoice, which a reversal would leave "
                        "paid: issue a credit note of the invoice and use Return to Credits, "
                        "cancel the order, or refund the payment.",
                        entry=entry.display_name,
                    )
                )

    def _reverse(self):
        reversals = self.browse()
        for entry in self:
            label = self.env._("Reversal of %(entry)s", entry=entry.description)
            reversals |= entry.wallet_id._post_movement(
                -entry.amount,
                label,
                reference=entry.move_id,
                reversed_entry=entry,
                kind="reversal",
                accounting_entry=lambda posting_wallet, _amount, entry=entry, label=label: (
                    posting_wallet._create_reversal_entry(entry.move_id, label)
                ),
            )
        return reversals
