import logging
import threading
from datetime import timedelta

import psycopg2

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL, float_round
from odoo.tools.misc import format_amount

from ..const import CREDIT_CODE
from ..utils import check_company_access

_logger = logging.getLogger(__name__)


class AccountMove(models.Model):
    _name = "account.move"
    _inherit = ["account.move", "credit.payable.document"]

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
            self._check_credit_not_wallet_move()
            self._check_credit_no_standing_return()
        return super().write(vals)

    def button_draft(self):
        # before Odoo unmatches the entries' lines
        self._check_credit_not_wallet_move()
        self._check_credit_no_standing_return()
        return super().button_draft()

    @api.ondelete(at_uninstall=False)
    def _unlink_except_credit_wallet_move(self):
        self._check_credit_not_wallet_move()

    def _check_credit_not_wallet_move(self):
        if self.env["credit.wallet"]._is_posting():
            return
        # sudo: whether the entries record wallet movements, whatever the user may read of them
        wallet_moves_sudo = self.sudo().filtered("credit_ledger_entry_ids")
        if wallet_moves_sudo:
            raise UserError(
                self.env._(
                    "%(moves)s records credit wallet movements: it cannot be reset to draft, "
                    "cancelled or deleted. Reverse the ledger entry from Credits instead.",
                    moves=", ".join(wallet_moves_sudo.mapped("display_name")),
                )
            )

    def _check_credit_no_standing_return(self):
        """Refuse to reset or cancel a credit note whose credits went back to a wallet.

        The customer holds those credits: the credit note cannot stop existing while its
        return stands, or the wallet would keep credits that nothing in the books explains.
        """
        notes = self.filtered(
            lambda move: move.move_type == "out_refund" and move.state == "posted"
        )
        if not notes:
            return
        # sudo: the returns of these credit notes, whatever the user may read of the wallets
        returns_sudo = (
            self.env["credit.ledger.entry"]
            .sudo()
            .search(
                [("kind", "=", "return"), ("payment_transaction_id.invoice_ids", "in", notes.ids)]
            )
        )
        for note in notes:
            note_returns = returns_sudo.filtered(
                lambda entry, note=note: note in entry.payment_transaction_id.invoice_ids
            )
            if note_returns:
                raise UserError(
                    self.env._(
                        "%(note)s gave %(amount)s back to the credits of %(customer)s: it "
                        "cannot be reset to draft or cancelled while that return stands. To "
                        "charge the customer again, issue an invoice.",
                        note=note.display_name,
                        amount=note.company_id._credit_format(sum(note_returns.mapped("amount"))),
                        customer=note_returns.wallet_id.partner_id[:1].display_name,
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

    def _credit_ineligible_products(self):
        # product eligibility is a rule of orders: an invoice is paid whatever it bills
        return self.env["product.product"]

    def _credit_fingerprint_content(self):
        # the invoice's state and what it still asks for
        return [self.state, self.currency_id.id, self.amount_total, self.amount_residual]

    def _credit_pay(self, amount, automatic=False):
        """Pay ``amount`` of this invoice with its customer's credits, as the backend does.

        A payment transaction of the Credits provider, settled at once through the same path
        as the portal (partial payments allowed): Dr Customer Credit / Cr Receivable.

        :param automatic: paid by auto-pay, which gives way to a payment of the customer's
        """
        self.ensure_one()
        # sudo: the payment flow creates the payment; the caller checked the user may pay
        tx_sudo = (
            self.env["payment.transaction"]
            .sudo()
            ._credit_create(
                self._credit_transaction_values(
                    amount,
                    self.commercial_partner_id,
                    operation="offline",
                    credit_autopay=automatic,
                )
            )
        )
        tx_sudo._credit_process()
        return tx_sudo

    def _credit_transaction_values(self, amount, partner, **values):
        """The values of the Credits transaction ``partner`` pays ``amount`` of this invoice
        with: the credits it takes at the rate of the invoice's currency, and ``values``."""
        self.ensure_one()
        return {
            "provider_id": self.env["payment.provider"]._credit_get_provider(self.company_id).id,
            "payment_method_id": self.env.ref("credit_wallet.payment_method_credit").id,
            "amount": amount,
            "currency_id": self.currency_id.id,
            "credit_amount": self.company_id._credit_from_money(amount, self.currency_id),
            "partner_id": partner.id,
            "invoice_ids": [Command.set(self.ids)],
            **values,
        }

    def action_credit_open_payment(self):
        self.ensure_one()
        check_company_access(self)
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
        """The payments with credits reconciled with the invoice this credit note reverses,
        with credits still to give back: what the books say paid the invoice, not the links a
        user can edit."""
        self.ensure_one()
        # sudo: the invoice's own payments, read to know what credits paid on it
        payments_sudo = self.reversed_entry_id.sudo()._get_reconciled_payments()
        return payments_sudo.payment_transaction_id.filtered(
            lambda tx: tx.provider_code == CREDIT_CODE
            and not tx.currency_id.is_zero(tx._credit_returnable_amount())
        )

    def _credit_return_amount(self):
        self.ensure_one()
        if self.move_type != "out_refund" or self.state != "posted":
            return 0.0
        returnable = sum(tx._credit_returnable_amount() for tx in self._credit_spendings())
        return self.currency_id.round(max(min(returnable, self.amount_residual), 0.0))

    def action_credit_open_return(self):
        """Return to Credits: a dialog states the amount before anything moves."""
        self.ensure_one()
        self._check_credit_return()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Return to Credits"),
            "res_model": "credit.note.return",
            "view_mode": "form",
            "target": "new",
            "context": {"default_credit_note_id": self.id},
        }

    def action_credit_return(self):
        self._check_credit_return()
        self._credit_return_notes()
        return True

    def _check_credit_return(self):
        if not self.env.user.has_group("account.group_account_invoice"):
            raise AccessError(self.env._("Only billing users can return credits."))
        check_company_access(self, "write")
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

    def _credit_return_notes(self):
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
        # whoever posts (an accountant, a sale order's invoicing, an import), auto-pay runs
        # once this transaction has committed: never inside another payment's processing
        if posted._credit_autopay_candidates():
            self._credit_autopay_later()
        return posted

    @api.model
    def _credit_autopay_later(self):
        """Run auto-pay as soon as the current transaction has committed (its scheduled action)."""
        self.env.ref("credit_wallet.ir_cron_credit_autopay")._trigger()

    @api.model
    def _credit_open_invoice_domain(self):
        """Posted customer invoices with something left to pay, in companies taking credits."""
        return [
            ("move_type", "=", "out_invoice"),
            ("state", "=", "posted"),
            ("payment_state", "in", ("not_paid", "partial")),
            ("company_id.credit_payment_enabled", "=", True),
        ]

    def _credit_autopay_candidates(self):
        """Open customer invoices, in a currency with a conversion rate, of auto-pay
        customers."""
        return self.filtered_domain(self._credit_open_invoice_domain()).filtered(
            lambda move: move.company_id._credit_rate(move.currency_id)
            and move.commercial_partner_id._credit_autopay_enabled(move.company_id)
        )

    def _credit_autopay(self):
        """Pay these invoices from credits where their customers asked for it, oldest due first.

        Never fails: an invoice that cannot be paid stays open, and its customer is told once
        how much is missing.
        """
        for invoice in self._credit_autopay_candidates().sorted(
            lambda move: (move.invoice_date_due or move.date, move.id)
        ):
            invoice._credit_pay_from_credits(remind=True, automatic=True)

    def _credit_pay_from_credits(self, remind=False, automatic=False):
        """Pay this invoice from its customer's credits, unless another payment settles it.

        Under the invoice's lock (and its transactions'): nothing when a payment of the
        invoice or its orders is pending, authorized, or done and not yet booked; the
        customer's outstanding payments and credits for it first, as Odoo's outstanding
        credits do; then credits: all of what is due when the balance covers it, or what is
        there when the company applies partial payments.

        :param remind: tell the customer once what is missing when credits do not cover it
        :param automatic: paid by auto-pay, not by an accountant's action
        :return: the amount paid with credits (0 when nothing was paid with them)
        """
        self.ensure_one()
        # sudo: auto-pay acts for the company on this one invoice, whoever triggered it
        invoice_sudo = self.sudo()
        invoice_sudo._credit_lock_for_payment()
        if invoice_sudo._credit_payment_refusal() or invoice_sudo._credit_settled_elsewhere():
            return 0.0
        invoice_sudo._credit_apply_outstanding()
        company = self.company_id
        currency = self.currency_id
        due = invoice_sudo.amount_residual
        if currency.compare_amounts(due, 0.0) <= 0:
            return 0.0
        wallet_sudo = self.env["credit.wallet"]._get_wallet(self.commercial_partner_id, company)
        balance = wallet_sudo.balance or 0.0
        if company._credit_compare(balance, company._credit_from_money(due, currency)) >= 0:
            amount = due
        elif company.credit_autopay_partial and company._credit_compare(balance, 0.0) > 0:
            # the money the balance buys, rounded down: its credits never exceed the balance
            amount = float_round(
                balance / company._credit_rate(currency).rate,
                precision_rounding=currency.rounding,
                rounding_method="DOWN",
            )
        else:
            amount = 0.0
        if currency.compare_amounts(amount, 0.0) > 0:
            try:
                with self.env.cr.savepoint():
                    invoice_sudo._credit_pay(amount, automatic=automatic)
            except UserError as error:
                # e.g. spent meanwhile: the invoice stays as it is
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

    def _credit_give_way(self, amount, payment_tx):
        """Return the credits auto-pay paid on this invoice, newest first, until ``amount`` of
        ``payment_tx``, the customer's own payment, can be matched with it."""
        self.ensure_one()
        currency = self.currency_id
        needed = currency.round(amount - self.amount_residual)
        # sudo: the invoice's own payments, read to know what auto-pay paid on it
        autopaid_sudo = (
            self.sudo()
            ._get_reconciled_payments()
            .payment_transaction_id.filtered(lambda tx: tx.credit_autopay)
            .sorted("id", reverse=True)
        )
        for spend_sudo in autopaid_sudo:
            returnable = spend_sudo._credit_returnable_amount()
            if currency.compare_amounts(needed, 0.0) <= 0 or currency.is_zero(returnable):
                continue
            payment_lines = spend_sudo.payment_id.move_id.line_ids
            (payment_lines.matched_debit_ids | payment_lines.matched_credit_ids).filtered(
                lambda partial: self in (partial.debit_move_id | partial.credit_move_id).move_id
            ).unlink()
            spend_sudo._credit_return(returnable)
            needed = currency.round(needed - returnable)
            # sudo: noted on the invoice for the accountant, whoever's payment arrived
            invoice_sudo = self.sudo()
            invoice_sudo.message_post(
                body=self.env._(
                    "Auto-pay gave way to %(payment)s: the %(amount)s it paid from credits went "
                    "back to the customer's credits.",
                    payment=payment_tx.reference,
                    amount=format_amount(self.env, returnable, currency),
                )
            )

    def _credit_orders(self):
        """The sale orders this invoice bills."""
        return self.line_ids.sale_line_ids.order_id

    def _credit_payment_transactions(self):
        """The payment transactions of this invoice and of the orders it bills."""
        return (self.transaction_ids | self._credit_orders().transaction_ids).filtered(
            lambda tx: tx.operation != "validation"
        )

    def _credit_lock_for_payment(self):
        """Lock this invoice's row and its transactions' until commit.

        A payment changing them at the same moment (a provider's notification, Odoo's
        post-processing, a payment in the portal) makes one of the two fail to serialize.
        """
        self.ensure_one()
        self.flush_recordset()
        self.env.cr.execute(SQL("SELECT id FROM account_move WHERE id = %s FOR UPDATE", self.id))
        txs = self._credit_payment_transactions()
        if txs:
            txs.flush_recordset()
            self.env.cr.execute(
                SQL(
                    "SELECT id FROM payment_transaction WHERE id IN %s ORDER BY id FOR UPDATE",
                    tuple(txs.ids),
                )
            )
        self.invalidate_recordset()
        txs.invalidate_recordset()

    def _credit_settled_elsewhere(self):
        """Whether another payment of this invoice or of its orders is under way: pending,
        authorized, or done and not yet booked (Odoo's post-processing books it)."""
        self.ensure_one()
        return any(
            tx.state in ("pending", "authorized")
            or (tx.state == "done" and tx.operation != "refund" and not tx.payment_id)
            for tx in self._credit_payment_transactions()
        )

    def _credit_apply_outstanding(self):
        """Settle this invoice with the customer's outstanding payments and credits first.

        Those of a payment transaction count only for the documents it paid (this invoice or
        its orders): a payment made for another order waits for that order's invoice.
        """
        self.ensure_one()
        receivable_lines = self.line_ids.filtered(
            lambda line: line.account_type == "asset_receivable" and not line.reconciled
        )
        if not receivable_lines:
            return
        outstanding = self.env["account.move.line"].search(
            [
                ("account_id", "in", receivable_lines.account_id.ids),
                ("company_id", "=", self.company_id.id),
                ("partner_id", "=", self.commercial_partner_id.id),
                ("currency_id", "=", self.currency_id.id),
                ("parent_state", "=", "posted"),
                ("reconciled", "=", False),
                ("amount_residual", "<", 0.0),
            ],
            order="date, id",
        )
        orders = self._credit_orders()
        for line in outstanding:
            tx = line.move_id.origin_payment_id.payment_transaction_id
            if tx and (tx.invoice_ids - self or tx.sale_order_ids - orders):
                continue
            if self.currency_id.is_zero(self.amount_residual):
                break
            self.js_assign_outstanding_line(line.id)

    def _credit_send_paid_invoice(self):
        """Email the customers their invoices, now paid, the way Send & Print does in the
        background: the PDF is made by Odoo's sending job, not while posting or paying."""
        to_send = self.filtered(lambda invoice: not invoice.sending_data)
        if not to_send:
            return
        root = self.env.ref("base.user_root")
        # sudo: invoices are sent on behalf of the company, whoever posted or paid them
        to_send_sudo = to_send.sudo()
        to_send_sudo.sending_data = {
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
        # sudo: the reminder is sent on behalf of the company, whoever posted the invoice
        invoice_sudo = self.sudo()
        if template and self.commercial_partner_id.email:
            invoice_sudo.message_post_with_source(
                template,
                subtype_xmlid="mail.mt_comment",
                partner_ids=self.commercial_partner_id.ids,
            )
        invoice_sudo.credit_autopay_reminded = True

    def _credit_shortfall(self):
        """The credits the customer's balance lacks to pay this invoice in full."""
        self.ensure_one()
        company = self.company_id
        wallet_sudo = self.env["credit.wallet"]._get_wallet(self.commercial_partner_id, company)
        needed = company._credit_from_money(self.amount_residual, self.currency_id) or 0.0
        return company._credit_round(max(needed - (wallet_sudo.balance or 0.0), 0.0))

    @api.model
    def _cron_credit_autopay(self):
        """Daily: retry the open invoices of auto-pay customers, oldest due date first.

        One database transaction per invoice: a payment made in the portal at the same moment
        makes one of them fail to serialize; that one is rolled back and retried tomorrow.
        """
        invoices = self.search(
            self._credit_open_invoice_domain(), order="invoice_date_due, id"
        )._credit_autopay_candidates()
        # tests share one transaction and cannot commit
        auto_commit = not getattr(threading.current_thread(), "testing", False)
        postponed = False
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
                postponed = True
                _logger.info("Auto-pay of invoice %s postponed: %s", invoice.name, error)
        if postponed:
            # another payment was changing those invoices: look again once it is done
            self.env.ref("credit_wallet.ir_cron_credit_autopay")._trigger(
                fields.Datetime.now() + timedelta(minutes=5)
            )

    def action_credit_pay_from_credits(self):
        """Pay the selected invoices from their customers' credits (list view action)."""
        if not self.env.user.has_group("account.group_account_invoice"):
            raise AccessError(self.env._("Only billing users pay invoices with credits."))
        check_company_access(self, "write")
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
