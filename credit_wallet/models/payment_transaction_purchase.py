from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL, is_html_empty
from odoo.tools.misc import format_amount

from ..const import CRYPTO_MODE
from ..utils import check_company_access


class PaymentTransaction(models.Model):
    """Credit purchases: a payment of any provider that buys credits, granted once it is done."""

    # one file per concern, on purpose (README, "Code layout")
    _inherit = "payment.transaction"  # pylint: disable=consider-merging-classes-inherited

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

    credit_request_ids = fields.One2many(
        "credit.request", "payment_transaction_id", string="Credit Request", readonly=True
    )

    credit_journal_id = fields.Many2one(
        "account.journal",
        string="Received In",
        readonly=True,
        copy=False,
        help="The journal that received the money of an accepted credit request, said by the "
        "credit manager who accepted it; the provider's journal otherwise.",
    )

    # -------------------------------------------------------------------------
    # Payment flow hooks
    # -------------------------------------------------------------------------

    @api.model
    def _credit_create_purchase(self, values):
        """Create a credit purchase transaction as the Buy Credits route does (data files)."""
        return self._credit_create(values)

    @api.model
    def _compute_reference_prefix(self, provider_code, separator, **values):
        wallet_id = values.get("credit_wallet_id")
        if wallet_id:
            # a number of its own: two purchases started at once never compute one reference
            # sudo: the add-on's sequence, drawn for whoever starts a purchase
            sequences_sudo = self.env["ir.sequence"].sudo()
            number = sequences_sudo.next_by_code("credit.purchase")
            return f"CREDIT{separator}{wallet_id}{separator}{number}"
        return super()._compute_reference_prefix(provider_code, separator, **values)

    def _create_child_transaction(self, amount, is_refund=False, **custom_create_values):
        """Override of `payment`: a partial capture or void of a credit purchase buys its share
        of the credits.

        The share is the captured part of the price, bonus included in proportion, and the
        children of one purchase never grant more than the purchase's credits in total.
        """
        if not self.credit_wallet_id or is_refund:
            return super()._create_child_transaction(amount, is_refund, **custom_create_values)
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

    def _set_pending(self, state_message=None, extra_allowed_states=()):
        """Override of `payment`: a credit purchase that ends pending (transfer, crypto...)
        waits for the agency."""
        txs = super()._set_pending(
            state_message=state_message, extra_allowed_states=extra_allowed_states
        )
        # sudo: notifications arrive as the public user; the request is the agency's record
        requests_sudo = self.env["credit.request"].sudo()
        requests_sudo._open_for_transactions(txs.filtered("credit_wallet_id"))
        return txs

    def _set_done(self, state_message=None, extra_allowed_states=()):
        """Override of `payment` to grant the credits of purchases once confirmed."""
        txs = super()._set_done(
            state_message=state_message, extra_allowed_states=extra_allowed_states
        )
        flow_txs = txs.filtered("credit_wallet_id")._credit_flow()
        # a provider that confirms a pending purchase itself decides its request
        # sudo: notifications arrive as the public user; the request is the agency's record
        requests_sudo = flow_txs.credit_request_ids.sudo()
        requests_sudo._close_as_confirmed_by_provider()
        flow_txs._credit_grant_or_report()
        return txs

    def _post_process(self):
        """Override of `payment` to grant a paid purchase before account_payment books its
        money on the customer's receivable."""
        paid_purchases = self.filtered(lambda tx: tx.state == "done" and tx.credit_wallet_id)
        paid_purchases._credit_flow()._credit_grant_or_report()
        return super()._post_process()

    # -------------------------------------------------------------------------
    # Crediting the wallet, exactly once
    # -------------------------------------------------------------------------

    def _credit_grant(self):
        """Credit each done transaction's wallet with its credits, unless already done.

        The transaction row is locked first: a concurrent crediting of the same transaction
        waits, then fails to serialize (the winner wrote the row) and is retried, by which
        time the credit is visible. UNIQUE(payment_transaction_id, kind) on the ledger is
        the last line of defence.
        """
        for tx in self:
            # sudo: notifications arrive as the public user; only this transaction is read
            tx_sudo = tx.sudo()
            if not tx_sudo._credit_lock_for_grant():
                continue
            tx_sudo._check_credit_grantable()
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
            tx_sudo._credit_send_purchase_confirmation()
            # a top-up pays the customer's waiting invoices when they asked for auto-pay,
            # once this transaction has committed
            if wallet_sudo.partner_id._credit_autopay_enabled(wallet_sudo.company_id):
                self.env["account.move"]._credit_autopay_later()

    def _credit_grant_or_report(self):
        """Grant the credits of these paid purchases; note why, when they cannot be.

        The payment is real whatever happens: a purchase that cannot be credited stays done,
        is booked on the customer's receivable by Odoo's post-processing, appears under
        "Credits not granted" and gives the credit managers an activity.
        """
        for tx in self:
            tx._credit_attempt(
                tx._credit_grant,
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

    def action_credit_grant(self):
        """A credit manager grants the credits of a paid purchase once the cause is fixed."""
        self._check_credit_grant()
        # sudo: a credit manager grants for the company, whatever their payment rights
        for tx_sudo in self.sudo()._credit_flow():
            tx_sudo._credit_grant()
        return True

    def _check_credit_grant(self):
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

    def _credit_lock_for_grant(self):
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

    def _check_credit_grantable(self):
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
            return self._credit_create_purchase_payment().move_id
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

    def _credit_create_purchase_payment(self):
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

    def _credit_send_purchase_confirmation(self):
        self.ensure_one()
        template = self.env.ref(
            "credit_wallet.mail_template_credit_purchase", raise_if_not_found=False
        )
        if template and self.partner_id.email:
            template.send_mail(self.id, email_layout_xmlid="mail.mail_notification_light")

    # -------------------------------------------------------------------------
    # What the customer of a purchase by wire transfer or cryptocurrency is told
    # -------------------------------------------------------------------------

    def _credit_payment_instructions(self):
        """Where the money of this credit purchase goes and what it quotes, when a wire transfer
        or cryptocurrency provider takes it; an empty dict for another payment.

        :return: ``message``, the provider's pending message (Markup, "" when empty), and
            ``details``, the rows the customer copies: label, value and a name (amount, holder,
            bank, bic, account or coin, network, address, then reference)
        """
        self.ensure_one()
        # sudo: the agency's payment details, for the customer who pays with them
        provider_sudo = self.provider_id.sudo()
        if not self.credit_wallet_id or provider_sudo.code != "custom":
            return {}
        env = self.env
        details = [("amount", env._("Amount"), format_amount(env, self.amount, self.currency_id))]
        if provider_sudo.custom_mode == CRYPTO_MODE:
            details += [
                ("coin", env._("Coin"), provider_sudo.credit_crypto_coin),
                ("network", env._("Network"), provider_sudo.credit_crypto_network),
                ("address", env._("Address"), provider_sudo.credit_crypto_address),
            ]
        elif provider_sudo.custom_mode == "wire_transfer":
            for account in provider_sudo._credit_transfer_bank_accounts():
                details += [
                    (
                        "holder",
                        env._("Account holder"),
                        account.acc_holder_name or account.partner_id.name,
                    ),
                    ("bank", env._("Bank"), account.bank_id.name),
                    ("bic", env._("BIC / SWIFT"), account.bank_id.bic),
                    ("account", env._("Account number"), account.acc_number),
                ]
        else:
            return {}
        # Odoo's communication: what a bank transfer quotes for payment_custom
        details.append(("reference", env._("Reference to quote"), self._get_communication()))
        return {
            "message": ""
            if is_html_empty(provider_sudo.pending_msg)
            else provider_sudo.pending_msg,
            "details": [
                {"name": name, "label": label, "value": value}
                for name, label, value in details
                if value
            ],
        }
