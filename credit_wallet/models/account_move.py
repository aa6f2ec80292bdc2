import hashlib
import json
import logging
import threading

import psycopg2

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError

_logger = logging.getLogger(__name__)


class AccountMove(models.Model):
    _inherit = "account.move"

    credit_ledger_entry_ids = fields.One2many("credit.ledger.entry", "move_id", readonly=True)
    credit_payment_available = fields.Boolean(
        compute="_compute_credit_payment_available",
        help="A posted customer invoice with something left to pay, in a company taking credits.",
    )
    credit_autopay_reminded = fields.Boolean(
        string="Credit Shortfall Emailed",
        copy=False,
        readonly=True,
        help="The customer was told once that their credits do not cover this invoice.",
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

    def _credit_pay(self, amount):
        """Pay ``amount`` of this invoice with its customer's credits, as the backend does.

        A payment transaction of the Credits provider, settled at once through the same path
        as the portal (partial payments allowed): Dr Customer Credit / Cr Receivable.
        """
        self.ensure_one()
        provider_sudo = self.env["payment.provider"]._credit_get_provider(self.company_id)
        tx_sudo = (
            self.env["payment.transaction"]
            .sudo()
            .create(
                {
                    "provider_id": provider_sudo.id,
                    "payment_method_id": provider_sudo.payment_method_ids[:1].id,
                    "amount": amount,
                    "currency_id": self.company_id.currency_id.id,
                    "partner_id": self.commercial_partner_id.id,
                    "operation": "offline",
                    "invoice_ids": [Command.set(self.ids)],
                }
            )
        )
        tx_sudo._credit_process()
        return tx_sudo

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

    # -------------------------------------------------------------------------
    # Auto-pay: invoices of customers who asked for it are paid from their credits
    # -------------------------------------------------------------------------

    def _post(self, soft=True):
        posted = super()._post(soft=soft)
        # whoever posts: an accountant, a sale order's invoicing, an import
        posted._credit_autopay()
        return posted

    def _credit_autopay_candidates(self):
        """Open customer invoices, in the company's own currency, of auto-pay customers."""
        return self.filtered(
            lambda move: move.move_type == "out_invoice"
            and move.state == "posted"
            and move.payment_state in ("not_paid", "partial")
            and move.company_id.credit_payment_enabled
            and move.currency_id == move.company_id.currency_id
            and move.commercial_partner_id._credit_autopay_enabled(move.company_id)
        )

    def _credit_autopay(self):
        """Pay these invoices from credits where their customers asked for it, oldest due first.

        Never fails the posting: an invoice that cannot be paid stays open, and its customer
        is told once how much is missing.
        """
        for invoice in self._credit_autopay_candidates().sorted(
            lambda move: (move.invoice_date_due or move.date, move.id)
        ):
            invoice._credit_pay_from_credits(remind=True)

    def _credit_pay_from_credits(self, remind=False):
        """Pay this invoice from its customer's credits: all of it when the balance covers it,
        or what is there when the company applies partial payments.

        :param remind: tell the customer once what is missing when credits do not cover it
        :return: the amount paid (0 when nothing could be paid)
        """
        self.ensure_one()
        company = self.company_id
        currency = company.currency_id
        # sudo: the balance of this invoice's customer, read to pay the invoice from it
        wallet_sudo = self.env["credit.wallet"]._get_wallet(
            self.commercial_partner_id, company, create=False
        )
        balance = wallet_sudo.balance or 0.0
        due = self.amount_residual
        if currency.compare_amounts(balance, due) >= 0:
            amount = due
        elif company.credit_autopay_partial and currency.compare_amounts(balance, 0.0) > 0:
            amount = balance
        else:
            amount = 0.0
        if currency.compare_amounts(amount, 0.0) > 0:
            try:
                with self.env.cr.savepoint():
                    self.sudo()._credit_pay(amount)
            except UserError as error:
                # e.g. paid or spent meanwhile: the invoice stays as it is
                _logger.info("Invoice %s not paid from credits: %s", self.name, error)
                amount = 0.0
        if currency.compare_amounts(amount, 0.0) > 0 and self.payment_state in (
            "paid",
            "in_payment",
        ):
            self._credit_send_paid_invoice()
        elif remind and not self.credit_autopay_reminded and self.payment_state != "paid":
            self._credit_remind_shortfall()
        return amount

    def _credit_send_paid_invoice(self):
        """Email the customers their invoices, now paid, the way Send & Print does in the
        background: the PDF is made by Odoo's sending job, not while posting or paying."""
        to_send = self.filtered(lambda invoice: not invoice.sending_data)
        if not to_send:
            return
        root = self.env.ref("base.user_root")
        # sudo: invoices are sent on behalf of the company, whoever posted or paid them
        to_send.sudo().sending_data = {
            "author_user_id": root.id,
            "author_partner_id": root.partner_id.id,
            "sending_methods": ["email"],
        }
        self.env.ref("account.ir_cron_account_move_send")._trigger()

    def _credit_remind_shortfall(self):
        """Tell the customer once how many credits are missing to pay this invoice."""
        self.ensure_one()
        template = self.env.ref(
            "credit_wallet.mail_template_credit_autopay_shortfall", raise_if_not_found=False
        )
        if template and self.commercial_partner_id.email:
            # sudo: the reminder is sent on behalf of the company, whoever posted the invoice
            self.sudo().message_post_with_source(
                template,
                subtype_xmlid="mail.mt_comment",
                partner_ids=self.commercial_partner_id.ids,
            )
        self.sudo().credit_autopay_reminded = True

    def _credit_shortfall(self):
        """What the customer's credits lack to pay this invoice in full."""
        self.ensure_one()
        wallet_sudo = self.env["credit.wallet"]._get_wallet(
            self.commercial_partner_id, self.company_id, create=False
        )
        return max(self.amount_residual - (wallet_sudo.balance or 0.0), 0.0)

    @api.model
    def _credit_autopay_for_customer(self, partner, company):
        """After a top-up: pay the customer's open invoices from credits, oldest due first."""
        invoices = self.sudo().search(
            [
                ("move_type", "=", "out_invoice"),
                ("state", "=", "posted"),
                ("payment_state", "in", ("not_paid", "partial")),
                ("commercial_partner_id", "=", partner.commercial_partner_id.id),
                ("company_id", "=", company.id),
            ]
        )
        invoices._credit_autopay()

    @api.model
    def _cron_credit_autopay(self):
        """Daily: retry the open invoices of auto-pay customers, oldest due date first.

        One database transaction per invoice: a payment made in the portal at the same moment
        makes one of them fail to serialize; that one is rolled back and retried tomorrow.
        """
        invoices = self.search(
            [
                ("move_type", "=", "out_invoice"),
                ("state", "=", "posted"),
                ("payment_state", "in", ("not_paid", "partial")),
                ("company_id.credit_payment_enabled", "=", True),
            ],
            order="invoice_date_due, id",
        )._credit_autopay_candidates()
        # tests share one transaction and cannot commit
        auto_commit = not getattr(threading.current_thread(), "testing", False)
        for invoice in invoices:
            try:
                with self.env.cr.savepoint():
                    invoice._credit_autopay()
                if auto_commit:
                    # one transaction per invoice: a serialization failure loses only that one
                    self.env.cr.commit()  # pylint: disable=invalid-commit
            except psycopg2.OperationalError as error:
                if not auto_commit:
                    raise
                self.env.cr.rollback()
                _logger.info("Auto-pay of invoice %s postponed: %s", invoice.name, error)

    def action_credit_pay_from_credits(self):
        """Pay the selected invoices from their customers' credits (list view action)."""
        if not self.env.user.has_group("account.group_account_invoice"):
            raise AccessError(self.env._("Only billing users pay invoices with credits."))
        self.check_access("write")
        invoices = self.filtered(lambda move: not move._credit_payment_refusal()).sorted(
            lambda move: (move.invoice_date_due or move.date, move.id)
        )
        paid = invoices.filtered(lambda move: move._credit_pay_from_credits())
        skipped = len(self) - len(paid)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success" if paid else "warning",
                "message": self.env._(
                    "%(paid)s invoice(s) paid from credits, %(skipped)s left as they were (no "
                    "credits to cover them, or not payable with credits).",
                    paid=len(paid),
                    skipped=skipped,
                ),
                "next": {"type": "ir.actions.act_window_close"},
            },
        }
