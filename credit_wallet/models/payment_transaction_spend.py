import math

from odoo import Command, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.http import request
from odoo.tools.misc import format_amount

from ..const import CREDIT_CODE, CREDIT_PROCESS_URL


class PaymentTransaction(models.Model):
    """Payments with credits (provider ``credit``) and their returns."""

    # one file per concern, on purpose (README, "Code layout")
    _inherit = "payment.transaction"  # pylint: disable=consider-merging-classes-inherited

    credit_returned_amount = fields.Float(
        string="Credits Returned",
        readonly=True,
        copy=False,
        digits=(16, 2),
        help="Credits of this payment given back so far: credit notes, cancelled orders, refunds.",
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

    _sql_constraints = [
        (
            "credit_returned_within_amount",
            "CHECK(credit_returned_amount >= 0 AND credit_returned_amount <= credit_amount)",
            "A payment with credits cannot give back more than it paid.",
        ),
    ]

    # -------------------------------------------------------------------------
    # Payment flow hooks
    # -------------------------------------------------------------------------

    def _update_state(self, allowed_states, target_state, state_message):
        """Override of `payment`: a payment with credits (or its return) moves the wallet before
        it is marked done, in the same database transaction: it is done exactly when the
        credits have moved."""
        if target_state == "done":
            for tx in self._credit_flow().filtered(lambda tx: tx.provider_code == CREDIT_CODE):
                if tx._credit_lock_state() in allowed_states:
                    tx._credit_settle()
        return super()._update_state(allowed_states, target_state, state_message)

    def _create_child_transaction(self, amount, is_refund=False, **custom_create_values):
        """Override of `payment`: a return of credits is a payment with credits too, created by
        its own flow."""
        if self.provider_code != CREDIT_CODE:
            return super()._create_child_transaction(amount, is_refund, **custom_create_values)
        return (
            super(PaymentTransaction, self._credit_flow())
            ._create_child_transaction(amount, is_refund, **custom_create_values)
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
        """Override of `payment`: Odoo's refund of a payment with credits returns the credits."""
        if self.provider_code != CREDIT_CODE:
            return super()._send_refund_request(amount_to_refund=amount_to_refund)
        self._ensure_provider_is_not_disabled()
        return self._credit_return(amount_to_refund or self.amount)

    def _get_tx_from_notification_data(self, provider_code, notification_data):
        """Override of `payment` to find the payment with credits the Credits route names: the
        one its session started, for its customer (``session_transaction_id``,
        ``customer_id``)."""
        tx = super()._get_tx_from_notification_data(provider_code, notification_data)
        if provider_code != CREDIT_CODE or len(tx) == 1:
            return tx
        tx = self.search(
            [
                ("reference", "=", notification_data.get("reference")),
                ("provider_code", "=", CREDIT_CODE),
                ("operation", "=", "online_redirect"),
            ],
            limit=1,
        )
        if (
            not tx
            or tx.id != notification_data.get("session_transaction_id")
            or tx.partner_id.commercial_partner_id.id != notification_data.get("customer_id")
        ):
            raise ValidationError(
                self.env._(
                    "Credits: no payment of this session matches the reference %(reference)s.",
                    reference=notification_data.get("reference"),
                )
            )
        return tx

    def _process_notification_data(self, notification_data):
        """Override of `payment` to settle a payment with credits: the wallet is debited as the
        transaction is marked done. A refusal found now (the balance spent meanwhile, the
        document changed or paid) leaves nothing debited and the transaction in error, saying
        why; a second submission changes nothing."""
        super()._process_notification_data(notification_data)
        if self.provider_code != CREDIT_CODE or self._credit_lock_state() != "draft":
            return
        try:
            with self.env.cr.savepoint():
                self._set_done()
        except UserError as error:
            self._set_error(error.args[0])

    def _post_process(self):
        """Override of `payment`: before Odoo matches a customer's payment with its invoices,
        auto-pay gives way to it."""
        self._credit_flow()._credit_give_way_to_payment()
        return super()._post_process()

    def _send_invoice(self):
        # a credit payment's invoice goes out with Odoo's background sending job, not while
        # the credits are spent; a return to credits settles a credit note already sent
        credit_txs = self.filtered(lambda tx: tx.provider_code == CREDIT_CODE)
        credit_txs.filtered(lambda tx: tx.operation != "refund").invoice_ids.filtered(
            lambda invoice: invoice.state == "posted" and not invoice.is_move_sent
        )._credit_send_paid_invoice()
        return super(PaymentTransaction, self - credit_txs)._send_invoice()

    # -------------------------------------------------------------------------
    # Paying with credits
    # -------------------------------------------------------------------------

    def _credit_document(self):
        """The order or invoice a payment with credits pays (an empty recordset when it is not
        exactly one)."""
        self.ensure_one()
        documents = self.sale_order_ids or self.invoice_ids
        return documents if len(documents) == 1 else self.env["sale.order"]

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
        if self._credit_settled_in_the_backend():
            # what Odoo's post-processing would conclude: the payment is posted and matched,
            # there is no order to confirm and nobody waiting on a status page
            self.is_post_processed = True
        else:
            self._credit_post_process()
        return True

    def _credit_settled_in_the_backend(self):
        """Whether this payment with credits is settled by the agency's side (Pay with Credits,
        auto-pay), not by a customer's payment form: it pays an invoice at once, as Register
        Payment does, without the payment form's chatter and post-processing."""
        self.ensure_one()
        return self.provider_code == CREDIT_CODE and self.operation == "offline"

    def _log_received_message(self):
        """Override of `payment`: the agency's own payments with credits log no confirmation on
        the invoice, as Register Payment logs none (the payment and the ledger record them)."""
        return super(
            PaymentTransaction,
            self.filtered(lambda tx: not tx._credit_settled_in_the_backend()),
        )._log_received_message()

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
        refusal = document._credit_spend_refusal(self.partner_id, self.amount, partial)
        if not refusal and not partial:
            refusal = document._credit_changed_refusal(self.credit_document_fingerprint)
        company = document.company_id
        if not refusal and company._credit_compare(
            self.credit_amount, company._credit_from_money(self.amount, self.currency_id)
        ):
            # the currency's rate changed since the customer chose: refused like a change
            refusal = self.env._(
                "%(document)s changed since the page was shown: refresh the page.",
                document=document.display_name,
            )
        if refusal:
            raise UserError(refusal)
        wallet = self.env["credit.wallet"]._get_or_create_wallet(
            document._credit_customer(), company
        )
        wallet._post_movement(
            -self.credit_amount,
            self.env._("Payment of %(document)s", document=document.display_name),
            reference=document,
            kind="spend",
            payment_transaction=self,
            accounting_entry=lambda posting_wallet, amount: (
                self.with_env(posting_wallet.env)
                .with_company(company)
                ._create_payment(
                    partner_id=posting_wallet.partner_id.id,
                    line_ids=self._credit_payment_lines(posting_wallet, -amount),
                )
                .move_id
            ),
        )

    def _credit_payment_lines(self, wallet, credits, money_balance=None):
        """Journal items of this payment with credits (or return): Customer Credit at the
        credits' book value, the receivable at the money's value (Odoo's conversion on the
        day, or ``money_balance``), the difference on the Credit Exchange Difference account.

        :param credits: the credits moved (positive)
        :param money_balance: the money's value in the company currency, when not the day's
        """
        company = wallet.company_id
        company_currency = company.currency_id
        sign = 1 if self.amount > 0 else -1
        money = abs(self.amount)
        value = company._credit_book_value(credits)
        if money_balance is None:
            money_balance = self.currency_id._convert(
                money, company_currency, company, fields.Date.context_today(self)
            )
        partner = wallet.partner_id
        receivable = partner.with_company(company).property_account_receivable_id
        label = self.env._(
            "%(reference)s: %(credits)s",
            reference=self.reference,
            credits=company._credit_format(credits),
        )
        lines = [
            {
                "name": label,
                "account_id": company.credit_account_id.id,
                "partner_id": partner.id,
                "currency_id": self.currency_id.id,
                "amount_currency": sign * money,
                "balance": sign * value,
            },
            {
                "name": label,
                "account_id": receivable.id,
                "partner_id": partner.id,
                "currency_id": self.currency_id.id,
                "amount_currency": -sign * money,
                "balance": -sign * money_balance,
            },
        ]
        difference = company_currency.round(sign * (money_balance - value))
        if not company_currency.is_zero(difference):
            if not company.credit_exchange_account_id:
                raise UserError(
                    self.env._(
                        "Set the Credit Exchange Difference account of %(company)s in Settings "
                        "first.",
                        company=company.name,
                    )
                )
            lines.append(
                {
                    "name": self.env._("Credit exchange difference"),
                    "account_id": company.credit_exchange_account_id.id,
                    "partner_id": partner.id,
                    "currency_id": company_currency.id,
                    "amount_currency": difference,
                    "balance": difference,
                }
            )
        return [Command.create(line) for line in lines]

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

    # -------------------------------------------------------------------------
    # Returning credits
    # -------------------------------------------------------------------------

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
        money = self.currency_id.round(-self.amount)
        wallet = spend_entry.wallet_id
        company = wallet.company_id
        wallet._lock_balance()
        source._check_credit_returnable(money)
        credits = self.credit_amount
        if company._credit_compare(credits, source._credit_returnable_credits()) > 0:
            raise UserError(
                self.env._(
                    "At most %(credits)s of %(payment)s can still be returned.",
                    credits=company._credit_format(source._credit_returnable_credits()),
                    payment=source.reference,
                )
            )
        source.credit_returned_amount = (source.credit_returned_amount or 0.0) + credits
        document = self.invoice_ids[:1] or source._credit_document()
        wallet._post_movement(
            credits,
            self.env._("Return for %(document)s", document=document.display_name),
            reference=document,
            source_entry=spend_entry,
            kind="return",
            payment_transaction=self,
            accounting_entry=lambda posting_wallet, amount: (
                self.with_env(posting_wallet.env)
                .with_company(company)
                ._credit_create_return_payment(posting_wallet, amount)
                .move_id
            ),
        )

    def _credit_create_return_payment(self, wallet, credits):
        """Post the return payment to ``wallet``'s customer, at the spending's values: the
        receivable at the spending's conversion, so the return undoes it in proportion; with
        no credit note, settle it against the spending."""
        source = self.source_transaction_id
        spend_receivable = source.payment_id.move_id.line_ids.filtered(
            lambda line: line.account_id == source.payment_id.destination_account_id
        )
        money = abs(self.amount)
        money_balance = self.company_id.currency_id.round(
            abs(sum(spend_receivable.mapped("balance"))) * money / source.amount
        )
        payment = self._create_payment(
            partner_id=wallet.partner_id.id,
            line_ids=self._credit_payment_lines(wallet, credits, money_balance),
        )
        if not self.invoice_ids:
            # e.g. a cancelled order: the spending's receivable line was never matched
            (
                payment.move_id.line_ids + self.source_transaction_id.payment_id.move_id.line_ids
            ).filtered(
                lambda line: line.account_id == payment.destination_account_id
                and not line.reconciled
            ).reconcile()
        return payment

    def _credit_returnable_credits(self):
        """Credits of this done spending that can still be given back: what its ledger entry
        took, less the returns recorded against that entry."""
        self.ensure_one()
        if self.provider_code != CREDIT_CODE or self.operation == "refund" or self.state != "done":
            return 0.0
        spend_entry = self._credit_spend_entry()
        if not spend_entry:
            return 0.0
        returned = sum(spend_entry.return_entry_ids.mapped("amount"))
        return spend_entry.company_id._credit_round(max(-spend_entry.amount - returned, 0.0))

    def _credit_returnable_amount(self):
        """Money of this done spending that can still be given back (in its currency): what it
        paid, less its done returns, while credits of it remain."""
        self.ensure_one()
        company = self.company_id
        if company._credit_is_zero(self._credit_returnable_credits()):
            return 0.0
        returns = self.child_transaction_ids.filtered(
            lambda child: child.operation == "refund" and child.state == "done"
        )
        return self.currency_id.round(max(self.amount + sum(returns.mapped("amount")), 0.0))

    def _credit_return_credits(self, money):
        """The credits ``money`` of this spending gives back: the spending's credits in
        proportion, all that remain for what remains, never more."""
        self.ensure_one()
        company = self.company_id
        remaining = self._credit_returnable_credits()
        if not self.currency_id.compare_amounts(money, self._credit_returnable_amount()):
            return remaining
        share = company._credit_round(self.credit_amount * money / self.amount)
        return min(share, remaining)

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
        refund_tx = self._create_child_transaction(
            amount,
            is_refund=True,
            credit_amount=self._credit_return_credits(amount),
            **documents,
        )
        refund_tx._log_sent_message()
        refund_tx._credit_process()
        return refund_tx
