import functools
import logging
import math

import psycopg2

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.http import request
from odoo.tools import SQL, float_round
from odoo.tools.misc import format_amount

from ..const import CREDIT_CODE, CREDIT_PROCESS_URL, PAYMENT_FLOW_GATE, POSTING_GATE
from ..utils import check_company_access, is_through_gate, through_gate

_logger = logging.getLogger(__name__)

# What this add-on records on a transaction: written by the payment flow only
CREDIT_FIELDS = {
    "credit_wallet_id",
    "credit_package_id",
    "credit_amount",
    "credit_returned_amount",
    "credit_issue",
    "credit_taken_back_amount",
    "credit_document_fingerprint",
    "credit_journal_id",
    "credit_autopay",
}
# What a payment with credits or a credit purchase moved: frozen once it exists, for every user
# and every RPC path; it changes only through the transaction's own flow
CREDIT_FROZEN_FIELDS = CREDIT_FIELDS | {
    "amount",
    "currency_id",
    "partner_id",
    "provider_id",
    "company_id",
    "operation",
    "source_transaction_id",
    "reference",
    "state",
    "sale_order_ids",
    "invoice_ids",
    "payment_id",
}


class PaymentTransaction(models.Model):
    _inherit = "payment.transaction"

    credit_wallet_id = fields.Many2one(
        "credit.wallet",
        string="Credit Wallet",
        readonly=True,
        index="btree_not_null",
        ondelete="restrict",
        help="The wallet this payment buys credits for.",
    )
    credit_package_id = fields.Many2one(
        "credit.package", string="Credit Package", readonly=True, ondelete="restrict"
    )
    credit_amount = fields.Monetary(
        string="Credits Bought",
        readonly=True,
        help="Credits granted when the payment is confirmed: the package's credits, bonus "
        "included, frozen when the customer started paying.",
    )
    credit_entry_ids = fields.One2many(
        "credit.ledger.entry", "payment_transaction_id", string="Credit Entries", readonly=True
    )
    credit_request_ids = fields.One2many(
        "credit.request", "payment_transaction_id", string="Credit Request", readonly=True
    )
    credit_returned_amount = fields.Monetary(
        string="Credits Returned",
        readonly=True,
        copy=False,
        help="Credits of this payment given back so far: credit notes, cancelled orders, refunds.",
    )
    credit_issue = fields.Text(
        readonly=True,
        copy=False,
        help="Why the credits of this transaction could not be moved: a paid purchase whose "
        "credits were not granted (a credit manager grants them once the cause is fixed), or a "
        "refund whose credits were not taken back.",
    )
    credit_taken_back_amount = fields.Monetary(
        string="Refunded Credits Taken Back",
        readonly=True,
        copy=False,
        help="Of the money refunded on this credit purchase, what was taken back from the wallet "
        "(the rest, already spent, was booked on the customer's receivable).",
    )
    credit_document_fingerprint = fields.Char(
        readonly=True,
        copy=False,
        help="What the order or invoice looked like when the customer chose to pay with credits.",
    )
    credit_autopay = fields.Boolean(
        string="Paid by Auto-Pay",
        readonly=True,
        copy=False,
        help="Paid from credits by auto-pay: it gives way to a payment the customer makes of "
        "the same invoice (its credits go back to the wallet).",
    )
    credit_journal_id = fields.Many2one(
        "account.journal",
        string="Received In",
        readonly=True,
        copy=False,
        help="The journal that received the money of an accepted credit request, said by the "
        "credit manager who accepted it; the provider's journal otherwise.",
    )

    _sql_constraints = [
        (
            "credit_returned_within_amount",
            "CHECK(credit_returned_amount >= 0 AND credit_returned_amount <= ABS(amount))",
            "A payment with credits cannot give back more than it paid.",
        ),
    ]

    # -------------------------------------------------------------------------
    # Guards: payments with credits and credit purchases are facts of their own flow
    # -------------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        if not self._credit_in_flow():
            if any(
                CREDIT_FIELDS & {key for key, value in vals.items() if value} for vals in vals_list
            ):
                raise UserError(
                    self.env._("Credits are bought by the customer, from the Buy Credits page.")
                )
            provider_ids = {vals.get("provider_id") for vals in vals_list} - {None, False}
            # sudo: the provider's code says whether credits would move, whoever creates
            if CREDIT_CODE in self.env["payment.provider"].sudo().browse(provider_ids).mapped(
                "code"
            ):
                raise UserError(
                    self.env._(
                        "Credits are spent by paying an order or an invoice with them, not by "
                        "creating a payment transaction."
                    )
                )
        return super().create(vals_list)

    def write(self, vals):
        if not self._credit_in_flow() and (
            CREDIT_FIELDS & vals.keys()
            or (CREDIT_FROZEN_FIELDS & vals.keys() and self._credit_moving())
        ):
            self._credit_refuse_change()
        return super().write(vals)

    def _credit_refuse_change(self):
        raise UserError(
            self.env._(
                "A payment with credits or a credit purchase keeps what the customer chose and "
                "paid (amount, customer, documents, state...): it changes only through its own "
                "payment flow."
            )
        )

    def _credit_moving(self):
        """These transactions among those that move credits: payments with credits, their
        returns, and credit purchases (read whatever the user may read)."""
        return (
            self.sudo()
            .filtered(lambda tx: tx.provider_code == CREDIT_CODE or tx.credit_wallet_id)
            .with_env(self.env)
        )

    @api.model
    def _credit_write_keeping_links(self, documents, write, vals):
        """``write(vals)`` on orders or invoices, refused when it links or unlinks payments with
        credits or credit purchases: their documents are frozen from the documents' side too."""
        if "transaction_ids" not in vals or self._credit_in_flow():
            return write(vals)

        def credit_links():
            # sudo: the links are compared, whatever the user may read of the payments
            return {doc.id: doc.sudo().transaction_ids._credit_moving().ids for doc in documents}

        links_before = credit_links()
        result = write(vals)
        if credit_links() != links_before:
            self._credit_refuse_change()
        return result

    def _credit_in_flow(self):
        # the posting service records on the transaction what it moved (its payment)
        return is_through_gate(self.env, PAYMENT_FLOW_GATE) or is_through_gate(
            self.env, POSTING_GATE
        )

    def _credit_flow(self):
        """These transactions in their payment flow: credits may be moved and recorded."""
        return through_gate(self, PAYMENT_FLOW_GATE)

    @api.model
    def _credit_create(self, values):
        """Create a payment with credits or a credit purchase, as the payment flow does (routes,
        backend payments, returns, data files)."""
        return self._credit_flow().create(values).with_env(self.env)

    @api.model
    def _credit_create_purchase(self, values):
        """Create a credit purchase transaction as the Buy Credits route does (data files)."""
        return self._credit_create(values)

    def _update_state(self, allowed_states, target_state, state_message):
        # the one way a payment with credits or a credit purchase changes state
        txs = self._credit_flow()
        if target_state == "done":
            # a payment with credits (or its return) moves the wallet before it is marked
            # done, in the same database transaction: it is done exactly when the credits
            # have moved
            for tx in txs.filtered(lambda tx: tx.provider_code == CREDIT_CODE):
                if tx._credit_lock_state() in allowed_states:
                    tx._credit_settle()
        updated = super(PaymentTransaction, txs)._update_state(
            allowed_states, target_state, state_message
        )
        return updated.with_env(self.env)

    # -------------------------------------------------------------------------
    # Payment flow
    # -------------------------------------------------------------------------

    @api.model
    def _compute_reference_prefix(self, provider_code, separator, **values):
        wallet_id = values.get("credit_wallet_id")
        if wallet_id:
            # a number of its own: two purchases started at once never compute one reference
            number = self.env["ir.sequence"].sudo().next_by_code("credit.purchase")
            return f"CREDIT{separator}{wallet_id}{separator}{number}"
        return super()._compute_reference_prefix(provider_code, separator, **values)

    def _create_child_transaction(self, amount, is_refund=False, **custom_create_values):
        """A partial capture or void of a credit purchase buys its share of the credits.

        The share is the captured part of the price, bonus included in proportion, and the
        children of one purchase never grant more than the purchase's credits in total.
        """
        if not self.credit_wallet_id or is_refund:
            # a return of credits is a payment with credits too: created by its own flow
            return (
                super(PaymentTransaction, self._credit_flow())
                ._create_child_transaction(amount, is_refund, **custom_create_values)
                .with_env(self.env)
            )
        currency = self.currency_id
        promised = sum(
            self.child_transaction_ids.filtered(
                lambda child: child.operation == self.operation
            ).mapped("credit_amount")
        )
        share = currency.round(self.credit_amount * amount / self.amount) if self.amount else 0.0
        credits = max(min(share, currency.round(self.credit_amount - promised)), 0.0)
        return (
            super(PaymentTransaction, self._credit_flow())
            ._create_child_transaction(
                amount,
                is_refund,
                credit_wallet_id=self.credit_wallet_id.id,
                credit_package_id=self.credit_package_id.id,
                credit_amount=credits,
                **custom_create_values,
            )
            .with_env(self.env)
        )

    def _get_specific_rendering_values(self, processing_values):
        values = super()._get_specific_rendering_values(processing_values)
        if self.provider_code != CREDIT_CODE:
            return values
        return {
            "api_url": CREDIT_PROCESS_URL,
            "reference": self.reference,
            "csrf_token": request.csrf_token() if request else "",
        }

    def _send_refund_request(self, amount_to_refund=None):
        if self.provider_code != CREDIT_CODE:
            if self.credit_wallet_id:
                self._check_credit_purchase_refundable(amount_to_refund or self.amount)
            return super()._send_refund_request(amount_to_refund=amount_to_refund)
        self._ensure_provider_is_not_disabled()
        return self._credit_return(amount_to_refund or self.amount)

    def _set_pending(self, state_message=None, extra_allowed_states=()):
        """A credit purchase that ends pending (transfer, crypto...) waits for the agency."""
        txs = super()._set_pending(
            state_message=state_message, extra_allowed_states=extra_allowed_states
        )
        # sudo: notifications arrive as the public user; the request is the agency's record
        self.env["credit.request"].sudo()._open_for_transactions(txs.filtered("credit_wallet_id"))
        return txs

    def _set_done(self, state_message=None, extra_allowed_states=()):
        """Credit purchases once confirmed (payments with credits moved the wallet as they
        were marked done, see ``_update_state``)."""
        txs = super()._set_done(
            state_message=state_message, extra_allowed_states=extra_allowed_states
        )
        flow_txs = txs._credit_flow()
        # a provider that confirms a pending purchase itself decides its request
        flow_txs.credit_request_ids.sudo()._close_as_confirmed_by_provider()
        flow_txs.filtered("credit_wallet_id")._credit_try_granting()
        flow_txs._credit_purchase_refunds()._credit_take_back_refund()
        return txs

    def _set_canceled(self, state_message=None, extra_allowed_states=()):
        """A done credit purchase that the provider voids afterwards is a full refund."""
        done_purchases = self.filtered(lambda tx: tx.credit_wallet_id and tx.state == "done")
        txs = super()._set_canceled(
            state_message=state_message, extra_allowed_states=extra_allowed_states
        )
        (txs & done_purchases)._credit_flow()._credit_take_back_refund()
        return txs

    def _set_error(self, state_message, extra_allowed_states=()):
        """A refund of a credit purchase that fails after it was done gives the credits back."""
        done_refunds = self._credit_purchase_refunds().filtered(lambda tx: tx.state == "done")
        txs = super()._set_error(state_message, extra_allowed_states=extra_allowed_states)
        (txs & done_refunds)._credit_flow()._credit_undo_take_back()
        return txs

    def _post_process(self):
        """Odoo's post-processing (payment, order confirmation, invoicing) in the payment flow,
        the one that may record on these transactions what credits moved."""
        txs = self._credit_flow()
        # before super: account_payment would otherwise book the payment on the receivable
        txs.filtered(lambda tx: tx.state == "done" and tx.credit_wallet_id)._credit_try_granting()
        # before super, which matches the customer's payment with its invoices
        txs._credit_give_way_to_payment()
        # a voided purchase is offset by the credits taken back: its payment stays posted,
        # which account_payment would cancel (and the wallet's guard would refuse)
        voided_purchases = txs.filtered(
            lambda tx: tx.state == "cancel"
            and tx.credit_entry_ids.filtered(lambda entry: entry.kind == "purchase")
        )
        voided_purchases.is_post_processed = True
        return super(PaymentTransaction, txs - voided_purchases)._post_process()

    # -------------------------------------------------------------------------
    # Crediting the wallet, exactly once
    # -------------------------------------------------------------------------

    def _credit_wallet_purchase(self):
        """Credit each done transaction's wallet with its credits, unless already done.

        The transaction row is locked first: a concurrent crediting of the same transaction
        waits, then fails to serialize (the winner wrote the row) and is retried, by which
        time the credit is visible. UNIQUE(payment_transaction_id, kind) on the ledger is
        the last line of defence.
        """
        for tx in self:
            # sudo: notifications arrive as the public user; only this transaction is read
            tx_sudo = tx.sudo()
            if not tx_sudo._lock_for_crediting():
                continue
            tx_sudo._check_can_credit_wallet()
            wallet_sudo = tx_sudo.credit_wallet_id
            currency = tx_sudo.currency_id
            label = tx_sudo._credit_purchase_label()
            reference_name = f"{label} ({tx_sudo.reference})"
            wallet_sudo._post_movement(
                tx_sudo.amount,
                self.env._("Credit purchase: %(label)s", label=label),
                reference=tx_sudo,
                reference_name=reference_name,
                kind="purchase",
                payment_transaction=tx_sudo,
                accounting_entry=lambda posting_wallet, _amount, tx_sudo=tx_sudo: (
                    tx_sudo.with_env(posting_wallet.env)._credit_purchase_accounting_entry()
                ),
            )
            bonus = currency.round(tx_sudo.credit_amount - tx_sudo.amount)
            if currency.compare_amounts(bonus, 0.0) > 0:
                wallet_sudo._post_movement(
                    bonus,
                    self.env._("Bonus credits: %(label)s", label=label),
                    reference=tx_sudo,
                    reference_name=reference_name,
                    kind="bonus",
                    payment_transaction=tx_sudo,
                )
            tx_sudo.credit_issue = False
            tx_sudo._send_credit_purchase_confirmation()
            # a top-up pays the customer's waiting invoices when they asked for auto-pay,
            # once this transaction has committed
            if wallet_sudo.partner_id._credit_autopay_enabled(wallet_sudo.company_id):
                self.env["account.move"]._credit_autopay_later()

    def _credit_try_granting(self):
        """Grant the credits of these paid purchases; note why, when they cannot be.

        The payment is real whatever happens: a purchase that cannot be credited stays done,
        is booked on the customer's receivable by Odoo's post-processing, appears under
        "Credits not granted" and gives the credit managers an activity.
        """
        for tx in self:
            tx._credit_attempt(
                tx._credit_wallet_purchase,
                lambda reference: self.env._(
                    "Credits not granted: %(reference)s", reference=reference
                ),
                lambda reference, reason: self.env._(
                    "%(reference)s was paid, but its credits could not be granted: "
                    "%(reason)s Fix the cause, then use Grant Credits on the transaction "
                    "(Credits > Credits Not Granted).",
                    reference=reference,
                    reason=reason,
                ),
            )

    def _credit_attempt(self, action, summary, explanation):
        """Run ``action`` in a savepoint; when it is refused, note why on this transaction.

        ``summary(reference)`` and ``explanation(reference, reason)`` word the issue the
        credit managers are told about.
        """
        self.ensure_one()
        try:
            with self.env.cr.savepoint():
                action()
        except UserError as error:
            self.sudo()._credit_note_issue(
                summary(self.reference), explanation(self.reference, error.args[0])
            )

    def _credit_note_issue(self, summary, reason):
        """Keep why the credits of this transaction did not move, and tell the credit managers."""
        self.ensure_one()
        if self.credit_issue == reason:
            return
        _logger.info("%s: %s", summary, reason)
        self.credit_issue = reason
        wallet = self.credit_wallet_id or self.source_transaction_id.credit_wallet_id
        wallet.partner_id._credit_notify_managers(summary, reason, company=wallet.company_id)

    # -------------------------------------------------------------------------
    # Refunds and voids of a credit purchase take its credits back
    # -------------------------------------------------------------------------

    def _credit_purchase_refunds(self):
        """The refunds among these transactions that refund a credit purchase."""
        return self.filtered(
            lambda tx: tx.operation == "refund" and tx.source_transaction_id.credit_wallet_id
        )

    def _credit_refunded_money(self, purchase):
        """Money of ``purchase`` refunded by its done refunds other than this transaction."""
        refunds = purchase.child_transaction_ids.filtered(
            lambda child: child.operation == "refund" and child.state == "done" and child != self
        )
        return purchase.currency_id.round(-sum(refunds.mapped("amount")))

    def _credit_unrefunded_money(self):
        """Money of this credit purchase that no done refund has given back yet."""
        self.ensure_one()
        return self.currency_id.round(self.amount - self._credit_refunded_money(self))

    def _credit_take_back_refund(self):
        """Take back the credits of refunded money: refund transactions, or voided purchases.

        The refunded price comes out of the wallet, the bonus in proportion to the refunded
        share; what the customer already spent is booked on their receivable and the credit
        managers are told. Never fails the provider's notification: a movement that cannot
        be posted is noted on the transaction instead.
        """
        for tx in self.sudo():
            purchase = tx.source_transaction_id if tx.operation == "refund" else tx
            money = -tx.amount if tx.operation == "refund" else tx._credit_unrefunded_money()
            tx._credit_attempt(
                functools.partial(
                    purchase._credit_take_back, purchase.currency_id.round(money), tx
                ),
                lambda reference: self.env._(
                    "Credits not taken back: %(reference)s", reference=reference
                ),
                lambda reference, reason: self.env._(
                    "%(reference)s refunded money, but its credits could not be taken back: "
                    "%(reason)s The refund is booked on the customer's receivable; remove "
                    "the credits with Adjust Credits once the cause is fixed.",
                    reference=reference,
                    reason=reason,
                ),
            )

    def _credit_take_back(self, money, refund):
        """Take back from this purchase's wallet the credits of ``money`` refunded by ``refund``
        (a refund transaction of this purchase, or this purchase when it is voided).

        The refunded price comes out of the wallet, the bonus in proportion to the refunded
        share, each at most what the wallet still holds.
        """
        self.ensure_one()
        currency = self.currency_id
        if currency.compare_amounts(money, 0.0) <= 0 or not self.credit_entry_ids.filtered(
            lambda entry: entry.kind == "purchase"
        ):
            # nothing credited: Odoo books the refund on the receivable, as the payment was
            return
        self._credit_lock_state()
        wallet = self.credit_wallet_id
        refunded_before = refund._credit_refunded_money(self)
        bonus = currency.round(self.credit_amount - self.amount)
        bonus_share = currency.round(
            bonus * (refunded_before + money) / self.amount
        ) - currency.round(bonus * refunded_before / self.amount)
        label = self._credit_purchase_label()
        reference_name = f"{label} ({refund.reference})"
        taken_entry = wallet._post_movement(
            -money,
            self.env._("Refund of %(reference)s", reference=self.reference),
            reference=refund,
            reference_name=reference_name,
            kind="purchase_refund",
            payment_transaction=refund,
            at_most_balance=True,
            accounting_entry=lambda posting_wallet, amount: (
                refund.with_env(posting_wallet.env)
                ._credit_create_refund_payment(self, money, -amount)
                .move_id
            ),
        )
        if not taken_entry:
            # the customer spent every credit: the whole refund is owed on the receivable
            refund._credit_create_refund_payment(self, money, 0.0)
        taken_bonus_entry = self.env["credit.ledger.entry"]
        if currency.compare_amounts(bonus_share, 0.0) > 0:
            taken_bonus_entry = wallet._post_movement(
                -bonus_share,
                self.env._("Bonus taken back: %(reference)s", reference=self.reference),
                reference=refund,
                reference_name=reference_name,
                kind="bonus_refund",
                payment_transaction=refund,
                at_most_balance=True,
            )
        taken = -sum(taken_entry.mapped("amount"))
        self.credit_taken_back_amount = (self.credit_taken_back_amount or 0.0) - sum(
            (taken_entry | taken_bonus_entry).mapped("amount")
        )
        unspent = currency.round(money - taken)
        if currency.compare_amounts(unspent, 0.0) > 0:
            wallet.partner_id._credit_notify_managers(
                self.env._(
                    "Refund beyond the credits left: %(reference)s", reference=refund.reference
                ),
                self.env._(
                    "%(money)s of %(purchase)s was refunded, but the customer had already spent "
                    "%(spent)s of its credits: that part is booked on the customer's receivable.",
                    money=format_amount(self.env, money, currency),
                    purchase=self.reference,
                    spent=format_amount(self.env, unspent, currency),
                ),
                company=wallet.company_id,
            )

    def _credit_create_refund_payment(self, purchase, money, taken):
        """The refund's payment: Cr the provider's outstanding account for ``money``, Dr Customer
        Credit for the ``taken`` credits and Dr Receivable for what was already spent."""
        self.ensure_one()
        company = purchase.company_id
        partner = purchase.credit_wallet_id.partner_id
        purchase_payment = purchase.payment_id
        receivable = partner.with_company(company).property_account_receivable_id
        spent = purchase.currency_id.round(money - taken)
        payment = (
            self.env["account.payment"]
            .with_company(company)
            .create(
                {
                    "amount": money,
                    "payment_type": "outbound",
                    "partner_type": "customer",
                    "partner_id": partner.id,
                    "currency_id": purchase.currency_id.id,
                    "company_id": company.id,
                    "journal_id": purchase_payment.journal_id.id,
                    "payment_method_line_id": purchase_payment.payment_method_line_id.id,
                    # a voided purchase has no refund transaction of its own
                    "payment_transaction_id": self.id if self.operation == "refund" else False,
                    "destination_account_id": (
                        company.credit_account_id if taken else receivable
                    ).id,
                    "memo": self.env._("Refund of %(reference)s", reference=purchase.reference),
                    "write_off_line_vals": [
                        {
                            "name": self.env._("Refunded credits already spent"),
                            "account_id": receivable.id,
                            "partner_id": partner.id,
                            "currency_id": purchase.currency_id.id,
                            "amount_currency": spent,
                            "balance": spent,
                        }
                    ]
                    if taken and purchase.currency_id.compare_amounts(spent, 0.0) > 0
                    else [],
                }
            )
        )
        payment.action_post()
        if self.operation == "refund":
            self.payment_id = payment
        return payment

    def _credit_undo_take_back(self):
        """A refund that failed after it was done: its credits come back, its payment is undone."""
        for tx in self.sudo():
            entries = tx.credit_entry_ids.filtered(
                lambda entry: entry.kind in ("purchase_refund", "bonus_refund")
                and not entry.reversal_entry_ids
            )
            purchase = tx.source_transaction_id
            try:
                with self.env.cr.savepoint():
                    for entry in entries:
                        entry._reverse()
                    purchase.credit_taken_back_amount = (
                        purchase.credit_taken_back_amount or 0.0
                    ) + sum(entries.mapped("amount"))
            except UserError as error:
                tx._credit_note_issue(
                    self.env._("Credits not given back: %(reference)s", reference=tx.reference),
                    self.env._(
                        "The refund %(reference)s failed after its credits were taken back, and "
                        "they could not be given back: %(reason)s",
                        reference=tx.reference,
                        reason=error.args[0],
                    ),
                )

    def _credit_refundable_money(self):
        """What Odoo may refund of this credit purchase: money whose credits are unspent."""
        self.ensure_one()
        currency = self.currency_id
        not_refunded = self._credit_unrefunded_money()
        if not self.credit_entry_ids.filtered(lambda entry: entry.kind == "purchase"):
            return not_refunded  # nothing was credited: nothing to take back
        # a credit costs amount / credit_amount: the balance buys back this much money
        affordable = float_round(
            self.credit_wallet_id.balance * self.amount / self.credit_amount,
            precision_rounding=currency.rounding,
            rounding_method="DOWN",
        )
        return max(min(not_refunded, affordable), 0.0)

    def _check_credit_purchase_refundable(self, amount):
        self.ensure_one()
        refundable = self._credit_refundable_money()
        if self.currency_id.compare_amounts(amount, refundable) > 0:
            raise UserError(
                self.env._(
                    "At most %(refundable)s of %(reference)s can be refunded: the customer has "
                    "spent the rest of its credits.",
                    refundable=format_amount(self.env, refundable, self.currency_id),
                    reference=self.reference,
                )
            )

    def action_open_credit_refund(self):
        self.ensure_one()
        check_company_access(self)
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Record Refund"),
            "res_model": "credit.purchase.refund",
            "view_mode": "form",
            "target": "new",
            "context": {"default_transaction_id": self.id},
        }

    def action_credit_grant(self):
        """A credit manager grants the credits of a paid purchase once the cause is fixed."""
        self._check_can_grant_credits()
        # sudo: a credit manager grants for the company, whatever their payment rights
        for tx_sudo in self.sudo()._credit_flow():
            tx_sudo._credit_wallet_purchase()
        return True

    def _check_can_grant_credits(self):
        if not self.env.user.has_group("credit_wallet.group_credit_manager"):
            raise AccessError(self.env._("Only credit managers grant credits."))
        check_company_access(self, "write")
        for tx in self:
            if not tx.credit_wallet_id or tx.state != "done":
                raise UserError(
                    self.env._(
                        "%(reference)s is not a paid credit purchase.", reference=tx.reference
                    )
                )

    def _lock_for_crediting(self):
        """Lock the transaction row; return whether it is done and not credited yet.

        A purchase captured in parts is credited by its partial captures, not by itself.
        """
        self.ensure_one()
        if self.child_transaction_ids.filtered(lambda child: child.operation == self.operation):
            return False
        if self._credit_lock_state() != "done":
            return False
        self.env["credit.ledger.entry"].flush_model(["payment_transaction_id", "kind"])
        self.env.cr.execute(
            SQL(
                """SELECT 1 FROM credit_ledger_entry
                    WHERE payment_transaction_id = %s AND kind = 'purchase'""",
                self.id,
            )
        )
        return not self.env.cr.fetchone()

    def _check_can_credit_wallet(self):
        self.ensure_one()
        wallet = self.credit_wallet_id
        if (
            self.company_id != wallet.company_id
            or self.currency_id != wallet.currency_id
            or self.partner_id.commercial_partner_id != wallet.partner_id
        ):
            raise UserError(
                self.env._(
                    "%(reference)s does not match the wallet of %(customer)s (company, currency "
                    "or customer): no credits are granted.",
                    reference=self.reference,
                    customer=wallet.partner_id.display_name,
                )
            )
        if self.currency_id.compare_amounts(self.credit_amount, self.amount) < 0:
            raise UserError(
                self.env._(
                    "%(reference)s grants fewer credits than it costs.", reference=self.reference
                )
            )
        if not self.provider_id.journal_id:
            raise UserError(
                self.env._(
                    "Set the payment journal of %(provider)s to book credit purchases.",
                    provider=self.provider_id.name,
                )
            )
        if self.provider_id.state == "test" and not self.company_id.credit_test_payments_allowed:
            raise UserError(
                self.env._(
                    "%(provider)s is in test mode and %(company)s does not grant credits for "
                    "test payments (Credits settings).",
                    provider=self.provider_id.name,
                    company=self.company_id.name,
                )
            )

    def _credit_purchase_label(self):
        self.ensure_one()
        return self.credit_package_id.name or self.env._("Custom amount")

    def _credit_purchase_accounting_entry(self):
        """The journal entry of granting a purchase: its payment, or, when Odoo already booked
        that payment on the receivable (credits granted late), a transfer to Customer Credit."""
        self.ensure_one()
        if not self.payment_id:
            return self._create_credit_purchase_payment().move_id
        return self._credit_transfer_receivable(self.amount, self.payment_id.move_id)

    def _credit_transfer_receivable(self, amount, move_to_match):
        """Dr Receivable / Cr Customer Credit for ``amount``, matched with ``move_to_match``'s
        open receivable line: money the customer paid becomes credits."""
        self.ensure_one()
        wallet = self.credit_wallet_id
        receivable = wallet.partner_id.with_company(self.company_id).property_account_receivable_id
        move = wallet._create_accounting_entry(
            amount, self.env._("Credits of %(reference)s", reference=self.reference), receivable
        )
        (move.line_ids + move_to_match.line_ids).filtered(
            lambda line: line.account_id == receivable and not line.reconciled
        ).reconcile()
        return move

    def _create_credit_purchase_payment(self):
        """Post the payment: Dr the provider's outstanding receipts / Cr Customer Credit.

        Runs inside the posting service, which alone may write on Customer Credit. Linking
        it to the transaction keeps account_payment from creating a second payment.
        """
        self.ensure_one()
        provider = self.provider_id
        company = self.company_id
        # an accepted request says which journal received the money
        journal = self.credit_journal_id or provider.journal_id
        method_lines = journal.inbound_payment_method_line_ids
        method_line = (
            method_lines.filtered(lambda line: line.payment_provider_id == provider)
            or method_lines.filtered(lambda line: not line.payment_provider_id)
        )[:1]
        payment = (
            self.env["account.payment"]
            .with_company(company)
            .create(
                {
                    "amount": self.amount,
                    "payment_type": "inbound",
                    "partner_type": "customer",
                    "partner_id": self.credit_wallet_id.partner_id.id,
                    "currency_id": self.currency_id.id,
                    "company_id": company.id,
                    "journal_id": journal.id,
                    **({"payment_method_line_id": method_line.id} if method_line else {}),
                    "payment_token_id": self.token_id.id,
                    "payment_transaction_id": self.id,
                    "destination_account_id": company.credit_account_id.id,
                    "memo": f"{self.reference} - {self.partner_id.display_name or ''} - "
                    f"{self.provider_reference or ''}",
                    "write_off_line_vals": [],
                }
            )
        )
        payment.action_post()
        # writes the transaction row too, so a concurrent crediting fails to serialize
        self.payment_id = payment
        return payment

    def _send_credit_purchase_confirmation(self):
        self.ensure_one()
        template = self.env.ref(
            "credit_wallet.mail_template_credit_purchase", raise_if_not_found=False
        )
        if template and self.partner_id.email:
            template.send_mail(self.id, email_layout_xmlid="mail.mail_notification_light")

    # -------------------------------------------------------------------------
    # Paying with credits (provider "credit")
    # -------------------------------------------------------------------------

    @api.model
    def _credit_spend_refusal(self, document, partner, amount, partial=False):
        """Why ``partner`` cannot pay ``amount`` of ``document`` with credits now, or "".

        The one rule behind every place credits are offered or spent: the payment forms, the
        transaction routes, the backend wizard, and the moment the wallet is debited.

        :param document: the ``sale.order`` or ``account.move`` to pay
        :param partner: the customer paying (its commercial partner must be the document's)
        :param amount: the amount asked; the whole amount due unless ``partial``
        :param partial: allow paying part of the amount due (backend only)
        """
        env = self.env
        if (
            not document
            or len(document) != 1
            or document._name not in ("sale.order", "account.move")
        ):
            return env._("Credits pay an order or an invoice only.")
        if env.user._is_public():
            return env._("Sign in to pay with your credits.")
        company = document.company_id
        if not company.credit_payment_enabled:
            return env._("Credit payments are not available for %(company)s.", company=company.name)
        if not partner or partner.commercial_partner_id != document._credit_customer():
            return env._(
                "%(document)s belongs to another customer.", document=document.display_name
            )
        currency = company.currency_id
        if document.currency_id != currency:
            return env._("Credits pay documents in %(currency)s only.", currency=currency.name)
        refusal = document._credit_payment_refusal()
        if refusal:
            return refusal
        amount_due = document._credit_amount_due()
        if currency.compare_amounts(amount_due, 0.0) <= 0:
            return env._("Nothing is left to pay on %(document)s.", document=document.display_name)
        if not isinstance(amount, int | float) or not math.isfinite(amount):
            return env._("The amount to pay is not a number.")
        comparison = currency.compare_amounts(amount, amount_due)
        if (
            comparison > 0
            or (not partial and comparison)
            or currency.compare_amounts(amount, 0.0) <= 0
        ):
            return env._(
                "The amount to pay no longer matches %(document)s (%(amount_due)s due): refresh "
                "the page.",
                document=document.display_name,
                amount_due=format_amount(env, amount_due, currency),
            )
        wallet_sudo = env["credit.wallet"]._get_wallet(partner, company, create=False)
        balance = wallet_sudo.balance or 0.0
        if currency.compare_amounts(balance, amount) < 0:
            return env._(
                "Your balance of %(balance)s does not cover %(amount)s.",
                balance=format_amount(env, balance, currency),
                amount=format_amount(env, amount, currency),
            )
        return ""

    def _credit_document(self):
        """The order or invoice a payment with credits pays."""
        self.ensure_one()
        documents = self.sale_order_ids or self.invoice_ids
        return documents if len(documents) == 1 else None

    def _credit_process(self):
        """Settle this draft credit transaction, then post-process it, in this transaction.

        Locks the transaction row first, so a double submit settles once: the second request
        waits, fails to serialize and is retried by Odoo, then finds the payment done. The
        wallet moves in ``_set_done``, before the order is confirmed.

        :return: whether this call settled it (False when it was already done)
        """
        self.ensure_one()
        state = self._credit_lock_state()
        if state == "done":
            return False
        if state != "draft":
            raise UserError(
                self.env._(
                    "%(reference)s was already processed: start the payment again.",
                    reference=self.reference,
                )
            )
        self._set_done()
        # post-process as a fresh request would: e.g. an order's amount_paid read before
        # the payment was done is cached and depends on no transaction state
        self.env.invalidate_all()
        self._credit_post_process()
        return True

    def _credit_post_process(self):
        """Confirm the order, invoice it, log on the documents: Odoo's own post-processing.

        The credits have moved when this runs; a failure here is retried later by the status
        page and the post-processing cron, as for any provider, and keeps the debit.
        """
        try:
            with self.env.cr.savepoint():
                self._post_process()
        except psycopg2.OperationalError:
            raise
        except Exception:
            _logger.exception("Post-processing of %s failed; it will be retried", self.reference)

    @api.model
    def _credit_changed_refusal(self, document, fingerprint):
        """Why credits cannot pay ``document`` as its page showed it (``fingerprint``), or ""."""
        if fingerprint != document._credit_fingerprint():
            return self.env._(
                "%(document)s changed since the page was shown: refresh the page.",
                document=document.display_name,
            )
        return ""

    def _credit_lock_state(self):
        """Lock the transaction row until commit and return its committed state."""
        self.ensure_one()
        self.flush_recordset()
        self.env.cr.execute(
            SQL("SELECT state FROM payment_transaction WHERE id = %s FOR UPDATE", self.id)
        )
        self.invalidate_recordset(["state", "credit_returned_amount"])
        return self.env.cr.fetchone()[0]

    def _credit_settle(self):
        self.ensure_one()
        if self.operation == "refund":
            self._credit_settle_return()
        else:
            self._credit_settle_spend()

    def _credit_settle_spend(self):
        """Debit the customer's wallet: Dr Customer Credit / Cr Receivable, as a payment."""
        document = self._credit_document()
        # the backend pays part of an invoice; the portal pays what it showed, in full
        partial = self.operation == "offline"
        refusal = self._credit_spend_refusal(document, self.partner_id, self.amount, partial)
        if not refusal and not partial:
            refusal = self._credit_changed_refusal(document, self.credit_document_fingerprint)
        if refusal:
            raise UserError(refusal)
        company = document.company_id
        wallet = self.env["credit.wallet"]._get_wallet(document._credit_customer(), company)
        wallet._post_movement(
            -self.amount,
            self.env._("Payment of %(document)s", document=document.display_name),
            reference=document,
            kind="spend",
            payment_transaction=self,
            accounting_entry=lambda posting_wallet, _amount: (
                self.with_env(posting_wallet.env)
                .with_company(company)
                ._create_payment(partner_id=posting_wallet.partner_id.id)
                .move_id
            ),
        )

    def _credit_give_way_to_payment(self):
        """Auto-pay gives way to a payment the customer made of the same invoice.

        A card payment (or any provider's) confirmed while auto-pay paid its invoice from
        credits would stay unmatched on the receivable, the invoice paid twice: before Odoo
        books it, the credits auto-pay took for the invoice go back to the wallet.
        """
        for tx in self.filtered(
            lambda tx: tx.state == "done"
            and not tx.payment_id
            and tx.provider_code != CREDIT_CODE
            and tx.operation not in ("refund", "validation")
            and not tx.credit_wallet_id
        ):
            for invoice in tx.invoice_ids.filtered(
                lambda move: move.move_type == "out_invoice" and move.state == "posted"
            ):
                invoice._credit_give_way(tx.amount, tx)

    def _credit_spend_entry(self):
        """The ledger entry of this payment with credits: what it took, from which wallet."""
        self.ensure_one()
        # sudo: the entry is read to know what the payment took, whoever returns it
        return self.sudo().credit_entry_ids.filtered(lambda entry: entry.kind == "spend")

    def _credit_settle_return(self):
        """Give credits back to the wallet that paid: Dr Receivable / Cr Customer Credit.

        The wallet and the cap come from the spending's ledger entry, never from fields of a
        transaction: at most what the spending took, less what was returned already. The
        spending's wallet is locked before the cap is read, so a concurrent return waits,
        then fails to serialize; the spending's returned amount is checked by the database.
        """
        source = self.source_transaction_id
        spend_entry = source._credit_spend_entry()
        if not spend_entry:
            raise UserError(
                self.env._(
                    "%(payment)s took no credits: nothing can be returned.",
                    payment=source.reference,
                )
            )
        amount = self.currency_id.round(-self.amount)
        wallet = spend_entry.wallet_id
        wallet._lock_balance()
        source._check_credit_returnable(amount)
        source.credit_returned_amount = (source.credit_returned_amount or 0.0) + amount
        document = self.invoice_ids[:1] or source._credit_document()
        company = wallet.company_id
        wallet._post_movement(
            amount,
            self.env._("Return for %(document)s", document=document.display_name),
            reference=document,
            source_entry=spend_entry,
            kind="return",
            payment_transaction=self,
            accounting_entry=lambda posting_wallet, _amount: (
                self.with_env(posting_wallet.env)
                .with_company(company)
                ._credit_create_return_payment(posting_wallet.partner_id)
                .move_id
            ),
        )

    def _credit_create_return_payment(self, partner):
        """Post the return payment to ``partner``, whose wallet it credits; with no credit
        note, settle it against the spending."""
        payment = self._create_payment(partner_id=partner.id)
        if not self.invoice_ids:
            # e.g. a cancelled order: the spending's receivable line was never matched
            (
                payment.move_id.line_ids + self.source_transaction_id.payment_id.move_id.line_ids
            ).filtered(
                lambda line: line.account_id == payment.destination_account_id
                and not line.reconciled
            ).reconcile()
        return payment

    def _credit_returnable_amount(self):
        """Credits of this done spending that can still be given back: what its ledger entry
        took, less the returns recorded against that entry."""
        self.ensure_one()
        if self.provider_code != CREDIT_CODE or self.operation == "refund" or self.state != "done":
            return 0.0
        spend_entry = self._credit_spend_entry()
        if not spend_entry:
            return 0.0
        returned = sum(spend_entry.return_entry_ids.mapped("amount"))
        return self.currency_id.round(max(-spend_entry.amount - returned, 0.0))

    def _check_credit_returnable(self, amount):
        """Refuse to return ``amount`` unless it is positive and at most what is left."""
        self.ensure_one()
        currency = self.currency_id
        available = self._credit_returnable_amount()
        if (
            not isinstance(amount, int | float)
            or not math.isfinite(amount)
            or currency.compare_amounts(amount, 0.0) <= 0
            or currency.compare_amounts(amount, available) > 0
        ):
            raise UserError(
                self.env._(
                    "At most %(available)s of %(payment)s can still be returned to credits.",
                    available=format_amount(self.env, available, currency),
                    payment=self.reference,
                )
            )

    def _credit_return(self, amount, credit_note=None, order=None):
        """Return ``amount`` of this spending to the wallet that paid, as a refund transaction.

        :param credit_note: the credit note the return settles
        :param order: the cancelled order whose payment it gives back: linked to the return, the
            order owes its amount again
        """
        self.ensure_one()
        self._check_credit_returnable(amount)
        documents = {}
        if credit_note:
            documents["invoice_ids"] = [Command.set(credit_note.ids)]
        if order:
            documents["sale_order_ids"] = [Command.set(order.ids)]
        refund_tx = self._create_child_transaction(amount, is_refund=True, **documents)
        refund_tx._log_sent_message()
        refund_tx._credit_process()
        return refund_tx

    def _send_invoice(self):
        # a credit payment's invoice goes out with Odoo's background sending job, not while
        # the credits are spent; a return to credits settles a credit note already sent
        credit_txs = self.filtered(lambda tx: tx.provider_code == CREDIT_CODE)
        credit_txs.filtered(lambda tx: tx.operation != "refund").invoice_ids.filtered(
            lambda invoice: invoice.state == "posted" and not invoice.is_move_sent
        )._credit_send_paid_invoice()
        return super(PaymentTransaction, self - credit_txs)._send_invoice()
