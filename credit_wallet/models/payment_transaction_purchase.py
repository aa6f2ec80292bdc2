import base64
import logging
import threading

from odoo import SUPERUSER_ID, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.modules.registry import Registry
from odoo.tools import SQL, is_html_empty
from odoo.tools.misc import format_amount

from ..const import CRYPTO_MODE
from ..utils import check_company_access

_logger = logging.getLogger(__name__)

RECEIPT_REPORT = "credit_wallet.action_report_credit_purchase_receipt"


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

    credit_amount = fields.Float(
        string="Credits",
        readonly=True,
        digits=(16, 2),
        help="The credits this transaction moves, frozen when the customer started paying: a "
        "purchase's credits, bonus included; a payment with credits' credits taken.",
    )
    credit_bonus = fields.Float(
        string="Bonus Credits",
        readonly=True,
        digits=(16, 2),
        help="Of a purchase's credits, those above what its money buys at its currency's rate.",
    )

    credit_request_ids = fields.One2many(
        "credit.request", "payment_transaction_id", string="Credit Request", readonly=True
    )

    # Odoo's state of the payment, read as the agency says it: a purchase whose request was
    # rejected is cancelled in Odoo and "Rejected" to the customer and the agency
    # sudo: whoever reads the payment sees whether its request was rejected
    credit_purchase_state = fields.Selection(
        [
            ("draft", "Draft"),
            ("pending", "Pending"),
            ("authorized", "Authorized"),
            ("done", "Confirmed"),
            ("cancel", "Canceled"),
            ("error", "Error"),
            ("rejected", "Rejected"),
        ],
        string="Purchase Status",
        compute="_compute_credit_purchase_state",
        compute_sudo=True,
    )

    credit_journal_id = fields.Many2one(
        "account.journal",
        string="Received In",
        readonly=True,
        copy=False,
        help="The journal that received the money of an accepted credit request, said by the "
        "credit manager who accepted it; the provider's journal otherwise.",
    )

    @api.depends("state", "credit_request_ids.state")
    def _compute_credit_purchase_state(self):
        for tx in self:
            rejected = tx.state == "cancel" and "rejected" in tx.credit_request_ids.mapped("state")
            tx.credit_purchase_state = "rejected" if rejected else tx.state

    # -------------------------------------------------------------------------
    # Payment flow hooks
    # -------------------------------------------------------------------------

    @api.model
    def _credit_create_purchase(self, values):
        """Create a credit purchase transaction as the Buy Credits route does (data files):
        credits above what its money buys are its bonus."""
        if "credit_bonus" not in values:
            wallet = self.env["credit.wallet"].browse(values["credit_wallet_id"])
            currency = self.env["res.currency"].browse(values["currency_id"])
            values = {
                **values,
                "credit_bonus": wallet.company_id._credit_bonus(
                    values["credit_amount"], values["amount"], currency
                ),
            }
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
        company = self.company_id
        children = self.child_transaction_ids.filtered(
            lambda child: child.operation == self.operation
        )
        ratio = amount / self.amount if self.amount else 0.0
        credits = max(
            min(
                company._credit_round(self.credit_amount * ratio),
                company._credit_round(self.credit_amount - sum(children.mapped("credit_amount"))),
            ),
            0.0,
        )
        bonus = max(
            min(
                company._credit_round(self.credit_bonus * ratio),
                company._credit_round(self.credit_bonus - sum(children.mapped("credit_bonus"))),
                credits,
            ),
            0.0,
        )
        return (
            super(PaymentTransaction, self._credit_flow())
            ._create_child_transaction(
                amount,
                is_refund,
                credit_wallet_id=self.credit_wallet_id.id,
                credit_package_id=self.credit_package_id.id,
                credit_amount=credits,
                credit_bonus=bonus,
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
            company = wallet_sudo.company_id
            label = tx_sudo._credit_purchase_label()
            reference_name = f"{label} ({tx_sudo.reference})"
            wallet_sudo._post_movement(
                tx_sudo._credit_purchased_credits(),
                self.env._("Credit purchase: %(label)s", label=label),
                reference=tx_sudo,
                reference_name=reference_name,
                kind="purchase",
                payment_transaction=tx_sudo,
                accounting_entry=lambda posting_wallet, amount, tx_sudo=tx_sudo: (
                    tx_sudo.with_env(posting_wallet.env)._credit_purchase_accounting_entry(amount)
                ),
            )
            bonus = company._credit_round(tx_sudo.credit_bonus)
            if company._credit_compare(bonus, 0.0) > 0:
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
        company = wallet.company_id
        if self.company_id != company or self.partner_id.commercial_partner_id != wallet.partner_id:
            raise UserError(
                self.env._(
                    "%(reference)s does not match the wallet of %(customer)s (company or "
                    "customer): no credits are granted.",
                    reference=self.reference,
                    customer=wallet.partner_id.display_name,
                )
            )
        if (
            company._credit_compare(self.credit_bonus, 0.0) < 0
            or company._credit_compare(self._credit_purchased_credits(), 0.0) <= 0
        ):
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

    def _credit_purchased_credits(self):
        """Of this purchase's credits, those its money buys (the rest is bonus)."""
        self.ensure_one()
        return self.company_id._credit_round(self.credit_amount - self.credit_bonus)

    def _credit_purchase_accounting_entry(self, credits):
        """The journal entry granting ``credits`` of a purchase: its payment, or, when Odoo
        already booked that payment on the receivable (credits granted late), a transfer to
        Customer Credit."""
        self.ensure_one()
        if not self.payment_id:
            return self._credit_create_purchase_payment(credits).move_id
        return self._credit_transfer_receivable(credits, self.payment_id.move_id)

    def _credit_transfer_receivable(self, credits, move_to_match):
        """Dr Receivable (the money Odoo booked there) / Cr Customer Credit (the credits' book
        value), the difference on Credit Exchange Difference, matched with ``move_to_match``'s
        open receivable line: money the customer paid becomes credits."""
        self.ensure_one()
        wallet = self.credit_wallet_id
        company = self.company_id
        partner = wallet.partner_id
        receivable = partner.with_company(company).property_account_receivable_id
        money_balance = -sum(
            move_to_match.line_ids.filtered(lambda line: line.account_id == receivable).mapped(
                "balance"
            )
        )
        value = company._credit_book_value(credits)
        lines = [
            (company.credit_account_id, partner, -value),
            (receivable, partner, money_balance),
        ]
        difference = company.currency_id.round(value - money_balance)
        if not company.currency_id.is_zero(difference):
            lines.append((company.credit_exchange_account_id, partner, difference))
        move = wallet._post_credit_journal_entry(
            self.env._("Credits of %(reference)s", reference=self.reference), lines
        )
        (move.line_ids + move_to_match.line_ids).filtered(
            lambda line: line.account_id == receivable and not line.reconciled
        ).reconcile()
        return move

    def _credit_create_purchase_payment(self, credits):
        """Post the payment: Dr the provider's outstanding receipts (the money on the day) /
        Cr Customer Credit (the book value of ``credits``), the difference on Credit Exchange
        Difference.

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
        partner = self.credit_wallet_id.partner_id
        difference = company.currency_id.round(
            company._credit_book_value(credits)
            - company._credit_money_balance(self.amount, self.currency_id)
        )
        write_off = (
            []
            if company.currency_id.is_zero(difference)
            else [company._credit_exchange_write_off(difference, partner, self.currency_id)]
        )
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
                    "write_off_line_vals": write_off,
                }
            )
        )
        payment.action_post()
        # writes the transaction row too, so a concurrent crediting fails to serialize
        self.payment_id = payment
        return payment

    # -------------------------------------------------------------------------
    # Confirmation email and receipt
    # -------------------------------------------------------------------------

    def _credit_send_purchase_confirmation(self):
        """Email the customer their new credits, with the receipt, once the grant has committed.

        wkhtmltopdf prints the receipt by loading its assets from this server: under the
        wallet's lock it would hold every movement of the wallet meanwhile, and a failure
        must neither undo nor delay the grant.
        """
        self.ensure_one()
        if getattr(threading.current_thread(), "testing", False) or (
            self.env.registry.in_test_mode()
        ):
            # tests never commit: send at once, as Odoo's mail.mail.send_after_commit does
            self._credit_email_purchase_confirmation()
            return
        dbname, purchase_id = self.env.cr.dbname, self.id

        @self.env.cr.postcommit.add
        def email_after_commit():
            try:
                with Registry(dbname).cursor() as cr:
                    env = api.Environment(cr, SUPERUSER_ID, {})
                    purchase = env["payment.transaction"].browse(purchase_id).exists()
                    purchase._credit_email_purchase_confirmation()
            except Exception:
                _logger.exception("Confirmation email of credit purchase %s not sent", purchase_id)

    def _credit_email_purchase_confirmation(self):
        self.ensure_one()
        template = self.env.ref(
            "credit_wallet.mail_template_credit_purchase", raise_if_not_found=False
        )
        if not template or not self.partner_id.email:
            return
        # while modules load (demo purchases of an installation), no server serves the
        # report's assets to wkhtmltopdf: the email goes without the receipt, which the
        # customer downloads from the portal
        receipt = self._credit_render_receipt() if self.env.registry.ready else None
        attachments = [(receipt[0], base64.b64encode(receipt[1]))] if receipt else []
        template.with_context(credit_receipt_attached=bool(receipt)).send_mail(
            self.id,
            email_layout_xmlid="mail.mail_notification_light",
            email_values={"attachments": attachments},
        )

    def _credit_receipt_refusal(self):
        """Why this transaction has no receipt, or "": a credit purchase has one once its
        credits were granted."""
        self.ensure_one()
        if not self.credit_wallet_id:
            return self.env._(
                "%(reference)s is not a credit purchase: it has no receipt.",
                reference=self.reference,
            )
        # sudo: whether the ledger holds its purchase entry, for a transaction the caller reads
        entries_sudo = self.sudo().credit_entry_ids
        if self.state != "done" or "purchase" not in entries_sudo.mapped("kind"):
            return self.env._(
                "%(reference)s has no receipt: its credits were not granted.",
                reference=self.reference,
            )
        return ""

    def _credit_receipt_filename(self):
        """The receipt's file name without extension, in the customer's language."""
        self.ensure_one()
        lang = self.partner_id.lang or self.company_id.partner_id.lang
        return self.with_context(lang=lang).env._("Receipt %(reference)s", reference=self.reference)

    def _credit_render_receipt(self, html_fallback=False):
        """The receipt as (file name, content, format): a PDF, or, where Odoo cannot print
        one (wkhtmltopdf missing or failing), the HTML page if ``html_fallback``, else None.

        In tests, Odoo's report engine gives the HTML page instead of a PDF.
        """
        self.ensure_one()
        reports = self.env["ir.actions.report"].with_company(self.company_id)
        try:
            content, file_format = reports._render_qweb_pdf(RECEIPT_REPORT, self.ids)
        except UserError as error:
            _logger.info("No PDF receipt for %s: %s", self.reference, error.args[0])
            if not html_fallback:
                return None
            content, file_format = reports._render_qweb_html(RECEIPT_REPORT, self.ids)
        return f"{self._credit_receipt_filename()}.{file_format}", content, file_format

    def action_credit_print_receipt(self):
        """The receipt of these purchases, as the Print menu gives it."""
        check_company_access(self, "read")
        for tx in self:
            refusal = tx._credit_receipt_refusal()
            if refusal:
                raise UserError(refusal)
        return self.env.ref(RECEIPT_REPORT).report_action(self)

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
