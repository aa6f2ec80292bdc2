import logging

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

_logger = logging.getLogger(__name__)


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

    # -------------------------------------------------------------------------
    # Payment flow
    # -------------------------------------------------------------------------

    @api.model
    def _compute_reference_prefix(self, provider_code, separator, **values):
        wallet_id = values.get("credit_wallet_id")
        if wallet_id:
            return f"CREDIT{separator}{wallet_id}"
        return super()._compute_reference_prefix(provider_code, separator, **values)

    def _send_capture_request(self, amount_to_capture=None):
        self._check_credit_purchase_whole_amount(amount_to_capture)
        return super()._send_capture_request(amount_to_capture=amount_to_capture)

    def _send_void_request(self, amount_to_void=None):
        self._check_credit_purchase_whole_amount(amount_to_void)
        return super()._send_void_request(amount_to_void=amount_to_void)

    def _check_credit_purchase_whole_amount(self, amount):
        # a partial capture is paid by child transactions, which carry no wallet
        for tx in self.filtered("credit_wallet_id"):
            if amount and tx.currency_id.compare_amounts(amount, tx.amount):
                raise UserError(
                    self.env._(
                        "%(reference)s buys credits: capture or void its whole amount.",
                        reference=tx.reference,
                    )
                )

    def _set_done(self, state_message=None, extra_allowed_states=()):
        """Credit the wallet as soon as the provider confirms the payment."""
        txs = super()._set_done(
            state_message=state_message, extra_allowed_states=extra_allowed_states
        )
        for tx in txs.filtered("credit_wallet_id"):
            try:
                with self.env.cr.savepoint():
                    tx._credit_wallet_purchase()
            except UserError as error:
                # the payment is real: keep it done; post-processing retries the credit
                _logger.warning(
                    "Credits of transaction %s not granted yet: %s", tx.reference, error
                )
        return txs

    def _post_process(self):
        # before super: account_payment would otherwise book the payment on the receivable
        self.filtered(
            lambda tx: tx.state == "done" and tx.credit_wallet_id
        )._credit_wallet_purchase()
        return super()._post_process()

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
                accounting_entry=lambda posting_wallet, tx_sudo=tx_sudo: (
                    tx_sudo.with_env(posting_wallet.env)._create_credit_purchase_payment().move_id
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
            tx_sudo._send_credit_purchase_confirmation()

    def _lock_for_crediting(self):
        """Lock the transaction row; return whether it is done and not credited yet."""
        self.ensure_one()
        self.flush_recordset()
        self.env.cr.execute(
            SQL("SELECT state FROM payment_transaction WHERE id = %s FOR UPDATE", self.id)
        )
        row = self.env.cr.fetchone()
        if not row or row[0] != "done":
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

    def _credit_purchase_label(self):
        self.ensure_one()
        return self.credit_package_id.name or self.env._("Custom amount")

    def _create_credit_purchase_payment(self):
        """Post the payment: Dr the provider's outstanding receipts / Cr Customer Credit.

        Runs inside the posting service, which alone may write on Customer Credit. Linking
        it to the transaction keeps account_payment from creating a second payment.
        """
        self.ensure_one()
        provider = self.provider_id
        company = self.company_id
        method_line = provider.journal_id.inbound_payment_method_line_ids.filtered(
            lambda line: line.payment_provider_id == provider
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
                    "journal_id": provider.journal_id.id,
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
