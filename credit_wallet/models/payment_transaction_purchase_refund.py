import functools

from odoo import fields, models
from odoo.exceptions import UserError
from odoo.tools import float_round
from odoo.tools.misc import format_amount

from ..utils import check_company_access


class PaymentTransaction(models.Model):
    """Refunds and voids of a credit purchase take its credits back."""

    # one file per concern, on purpose (README, "Code layout")
    _inherit = "payment.transaction"  # pylint: disable=consider-merging-classes-inherited

    credit_taken_back_amount = fields.Float(
        string="Refunded Credits Taken Back",
        readonly=True,
        copy=False,
        digits=(16, 2),
        help="Of the money refunded on this credit purchase, what was taken back from the wallet "
        "(the rest, already spent, was booked on the customer's receivable).",
    )

    def _send_refund_request(self, amount_to_refund=None):
        """Override of `payment`: a credit purchase refunds at most the money whose credits the
        customer still holds."""
        if self.credit_wallet_id:
            self._check_credit_purchase_refundable(amount_to_refund or self.amount)
        return super()._send_refund_request(amount_to_refund=amount_to_refund)

    def _set_done(self, state_message=None, extra_allowed_states=()):
        """Override of `payment`: a done refund of a credit purchase takes its credits back."""
        txs = super()._set_done(
            state_message=state_message, extra_allowed_states=extra_allowed_states
        )
        txs._credit_purchase_refunds()._credit_flow()._credit_take_back_refund()
        return txs

    def _set_canceled(self, state_message=None, extra_allowed_states=()):
        """Override of `payment`: a done credit purchase that the provider voids afterwards is a
        full refund."""
        done_purchases = self.filtered(lambda tx: tx.credit_wallet_id and tx.state == "done")
        txs = super()._set_canceled(
            state_message=state_message, extra_allowed_states=extra_allowed_states
        )
        (txs & done_purchases)._credit_flow()._credit_take_back_refund()
        return txs

    def _set_error(self, state_message, extra_allowed_states=()):
        """Override of `payment`: a refund of a credit purchase that fails after it was done
        gives the credits back."""
        done_refunds = self._credit_purchase_refunds().filtered(lambda tx: tx.state == "done")
        txs = super()._set_error(state_message, extra_allowed_states=extra_allowed_states)
        (txs & done_refunds)._credit_flow()._credit_undo_take_back()
        return txs

    def _post_process(self):
        """Override of `payment`: a voided purchase is offset by the credits taken back, its
        payment stays posted (account_payment would cancel it, and the wallet's guard refuse)."""
        voided_purchases = self.filtered(
            lambda tx: tx.state == "cancel"
            and tx.credit_entry_ids.filtered(lambda entry: entry.kind == "purchase")
        )
        voided_purchases._credit_flow().is_post_processed = True
        return super(PaymentTransaction, self - voided_purchases)._post_process()

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
        # sudo: notifications arrive as the public user; the wallet is the agency's books
        for tx_sudo in self.sudo():
            purchase = tx_sudo.source_transaction_id if tx_sudo.operation == "refund" else tx_sudo
            money = (
                -tx_sudo.amount
                if tx_sudo.operation == "refund"
                else tx_sudo._credit_unrefunded_money()
            )
            tx_sudo._credit_attempt(
                functools.partial(
                    purchase._credit_take_back, purchase.currency_id.round(money), tx_sudo
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

        The refunded money's share of the purchased credits comes out of the wallet, the bonus
        in proportion too, each at most what the wallet still holds; the shares of successive
        refunds add up to the purchase's credits exactly.
        """
        self.ensure_one()
        currency = self.currency_id
        company = self.company_id
        if currency.compare_amounts(money, 0.0) <= 0 or not self.credit_entry_ids.filtered(
            lambda entry: entry.kind == "purchase"
        ):
            # nothing credited: Odoo books the refund on the receivable, as the payment was
            return
        self._credit_lock_state()
        wallet = self.credit_wallet_id
        refunded_before = refund._credit_refunded_money(self)

        def share(credits):
            return company._credit_round(
                credits * (refunded_before + money) / self.amount
            ) - company._credit_round(credits * refunded_before / self.amount)

        credits = share(self._credit_purchased_credits())
        bonus_share = share(self.credit_bonus)
        label = self._credit_purchase_label()
        reference_name = f"{label} ({refund.reference})"
        taken_entry = wallet._post_movement(
            -credits,
            self.env._("Refund of %(reference)s", reference=self.reference),
            reference=refund,
            reference_name=reference_name,
            kind="purchase_refund",
            payment_transaction=refund,
            at_most_balance=True,
            accounting_entry=lambda posting_wallet, amount: (
                refund.with_env(posting_wallet.env)
                ._credit_create_refund_payment(self, money, credits, -amount)
                .move_id
            ),
        )
        if not taken_entry:
            # the customer spent every credit: the whole refund is owed on the receivable
            refund._credit_create_refund_payment(self, money, credits, 0.0)
        taken_bonus_entry = self.env["credit.ledger.entry"]
        if company._credit_compare(bonus_share, 0.0) > 0:
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
        if company._credit_compare(taken, credits) < 0:
            spent = currency.round(money * (credits - taken) / credits)
            wallet.partner_id._credit_notify_managers(
                self.env._(
                    "Refund beyond the credits left: %(reference)s", reference=refund.reference
                ),
                self.env._(
                    "%(money)s of %(purchase)s was refunded, but the customer had already spent "
                    "%(spent)s of its credits: that part is booked on the customer's receivable.",
                    money=format_amount(self.env, money, currency),
                    purchase=self.reference,
                    spent=format_amount(self.env, spent, currency),
                ),
                company=wallet.company_id,
            )

    def _credit_create_refund_payment(self, purchase, money, credits, taken):
        """The refund's payment: Cr the provider's outstanding account for ``money`` (on the
        day), Dr Customer Credit for the book value of the ``taken`` credits, Dr Receivable for
        the money of the refunded ``credits`` already spent, and the difference on Credit
        Exchange Difference."""
        self.ensure_one()
        company = purchase.company_id
        currency = purchase.currency_id
        partner = purchase.credit_wallet_id.partner_id
        purchase_payment = purchase.payment_id
        receivable = partner.with_company(company).property_account_receivable_id
        write_off = []
        if taken:
            money_balance = company._credit_money_balance(money, currency)
            spent_share = (credits - taken) / credits
            spent = currency.round(money * spent_share)
            spent_balance = company.currency_id.round(money_balance * spent_share)
            if currency.compare_amounts(spent, 0.0) > 0:
                write_off.append(
                    {
                        "name": self.env._("Refunded credits already spent"),
                        "account_id": receivable.id,
                        "partner_id": partner.id,
                        "currency_id": currency.id,
                        "amount_currency": spent,
                        "balance": spent_balance,
                    }
                )
            difference = company.currency_id.round(
                money_balance - company._credit_book_value(taken) - spent_balance
            )
            if not company.currency_id.is_zero(difference):
                write_off.append(company._credit_exchange_write_off(difference, partner, currency))
        payment = (
            self.env["account.payment"]
            .with_company(company)
            .create(
                {
                    "amount": money,
                    "payment_type": "outbound",
                    "partner_type": "customer",
                    "partner_id": partner.id,
                    "currency_id": currency.id,
                    "company_id": company.id,
                    "journal_id": purchase_payment.journal_id.id,
                    "payment_method_line_id": purchase_payment.payment_method_line_id.id,
                    # a voided purchase has no refund transaction of its own
                    "payment_transaction_id": self.id if self.operation == "refund" else False,
                    "destination_account_id": (
                        company.credit_account_id if taken else receivable
                    ).id,
                    "memo": self.env._("Refund of %(reference)s", reference=purchase.reference),
                    "write_off_line_vals": write_off,
                }
            )
        )
        payment.action_post()
        if self.operation == "refund":
            self.payment_id = payment
        return payment

    def _credit_undo_take_back(self):
        """A refund that failed after it was done: its credits come back, its payment is undone."""
        # sudo: notifications arrive as the public user; the wallet is the agency's books
        for tx_sudo in self.sudo():
            entries = tx_sudo.credit_entry_ids.filtered(
                lambda entry: entry.kind in ("purchase_refund", "bonus_refund")
                and not entry.reversal_entry_ids
            )
            purchase = tx_sudo.source_transaction_id
            try:
                with self.env.cr.savepoint():
                    for entry in entries:
                        entry._reverse()
                    purchase.credit_taken_back_amount = (
                        purchase.credit_taken_back_amount or 0.0
                    ) + sum(entries.mapped("amount"))
            except UserError as error:
                tx_sudo._credit_note_issue(
                    self.env._(
                        "Credits not given back: %(reference)s", reference=tx_sudo.reference
                    ),
                    self.env._(
                        "The refund %(reference)s failed after its credits were taken back, and "
                        "they could not be given back: %(reason)s",
                        reference=tx_sudo.reference,
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
        # a credit cost amount / credit_amount: the balance buys back this much money
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

    def action_credit_open_refund(self):
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
