import logging

import psycopg2

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..const import CREDIT_CODE, PAYMENT_FLOW_GATE, POSTING_GATE
from ..utils import is_through_gate, through_gate

_logger = logging.getLogger(__name__)

# What this add-on records on a transaction: written by the payment flow only
CREDIT_FIELDS = {
    "credit_wallet_id",
    "credit_package_id",
    "credit_amount",
    "credit_bonus",
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
    """Guards and framework hooks shared by the add-on's transactions.

    Payments with credits (payment_transaction_spend.py) and credit purchases
    (payment_transaction_purchase.py, payment_transaction_purchase_refund.py) are facts of
    their own flow: what they moved changes only through it.
    """

    # one file per concern, on purpose (README, "Code layout")
    _inherit = "payment.transaction"  # pylint: disable=consider-merging-classes-inherited

    credit_entry_ids = fields.One2many(
        "credit.ledger.entry", "payment_transaction_id", string="Credit Entries", readonly=True
    )

    credit_issue = fields.Text(
        readonly=True,
        copy=False,
        help="Why the credits of this transaction could not be moved: a paid purchase whose "
        "credits were not granted (a credit manager grants them once the cause is fixed), or a "
        "refund whose credits were not taken back.",
    )

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

    def _update_state(self, allowed_states, target_state, state_message):
        """Override of `payment` to change states in the payment flow: the one way a payment
        with credits or a credit purchase changes state."""
        updated = super(PaymentTransaction, self._credit_flow())._update_state(
            allowed_states, target_state, state_message
        )
        return updated.with_env(self.env)

    def _post_process(self):
        """Override of `payment` to post-process in the payment flow, which may record on these
        transactions what credits moved."""
        return super(PaymentTransaction, self._credit_flow())._post_process()

    # -------------------------------------------------------------------------
    # Shared by the flows
    # -------------------------------------------------------------------------

    def _credit_lock_state(self):
        """Lock the transaction row until commit and return its committed state."""
        self.ensure_one()
        self.flush_recordset()
        self.env.cr.execute(
            SQL("SELECT state FROM payment_transaction WHERE id = %s FOR UPDATE", self.id)
        )
        self.invalidate_recordset(["state", "credit_returned_amount"])
        return self.env.cr.fetchone()[0]

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

    def _credit_post_process(self):
        """Confirm the order, invoice it, log on the documents: Odoo's own post-processing.

        The credits have moved when this runs; a failure here is retried later by the status
        page and the post-processing cron, as for any provider, and keeps the debit.
        """
        # as a fresh request would: e.g. an order's amount_paid read before the payment was
        # done is cached and depends on no transaction state
        self.env.invalidate_all()
        try:
            with self.env.cr.savepoint():
                self._post_process()
        except psycopg2.OperationalError:
            raise
        except Exception:
            _logger.exception("Post-processing of %s failed; it will be retried", self.reference)
