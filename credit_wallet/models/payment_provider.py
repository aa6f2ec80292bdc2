from odoo import api, fields, models, tools
from odoo.exceptions import UserError, ValidationError

from odoo.addons.payment import utils as payment_utils
from odoo.addons.payment.controllers.portal import PaymentPortal

from ..const import CREDIT_CODE, CRYPTO_FIELDS, CRYPTO_MODE


class PaymentProvider(models.Model):
    _inherit = "payment.provider"

    code = fields.Selection(
        selection_add=[(CREDIT_CODE, "Credits")], ondelete={CREDIT_CODE: "set default"}
    )
    custom_mode = fields.Selection(
        selection_add=[(CRYPTO_MODE, "Cryptocurrency")], ondelete={CRYPTO_MODE: "set null"}
    )
    credit_crypto_coin = fields.Char(
        string="Accepted Coin", help="What customers send, e.g. USDC or BTC."
    )
    credit_crypto_network = fields.Char(
        string="Network", help="The network to send it on, e.g. Ethereum (ERC-20)."
    )
    credit_crypto_address = fields.Char(
        string="Receiving Address", help="The agency's wallet address customers send to."
    )

    # -------------------------------------------------------------------------
    # Provider definition
    # -------------------------------------------------------------------------

    def _compute_feature_support_fields(self):
        result = super()._compute_feature_support_fields()
        self.filtered(lambda provider: provider.code == CREDIT_CODE).update(
            {"support_refund": "partial"}
        )
        return result

    def _get_supported_currencies(self):
        # a credit is worth one unit of the company currency
        if self.code == CREDIT_CODE:
            return self.company_id.currency_id
        return super()._get_supported_currencies()

    def _get_default_payment_method_codes(self):
        if self.code == CREDIT_CODE:
            return {CREDIT_CODE}
        if self.custom_mode == CRYPTO_MODE:
            return {CRYPTO_MODE}
        return super()._get_default_payment_method_codes()

    @api.depends("code", "state", "company_id")
    def _compute_journal_id(self):
        """Never give another provider the Credit Payments journal by default.

        Odoo takes the company's first bank journal, which in a new branch may be Credit
        Payments: card money would be booked as spent credits. Another bank journal is taken
        instead, or none (to be chosen).
        """
        result = super()._compute_journal_id()
        for provider in self.filtered(
            lambda provider: provider._credit_on_credit_payments_journal()
        ):
            provider.journal_id = self.env["account.journal"].search(
                [
                    ("company_id", "=", provider.company_id.id),
                    ("type", "=", "bank"),
                    ("id", "!=", provider.journal_id.id),
                ],
                limit=1,
            )
            if provider.id and provider.journal_id:
                provider._ensure_payment_method_line()
        return result

    def _ensure_payment_method_line(self, allow_create=True):
        # the Credit Payments journal keeps the Credits method only (Odoo's default pick is
        # redirected by _compute_journal_id)
        if self._credit_on_credit_payments_journal():
            return None
        return super()._ensure_payment_method_line(allow_create=allow_create)

    def _inverse_journal_id(self):
        for provider in self.filtered(
            lambda provider: provider._credit_on_credit_payments_journal()
        ):
            raise ValidationError(
                self.env._(
                    "%(journal)s books payments with credits only: choose another bank journal "
                    "for %(provider)s.",
                    journal=provider.journal_id.display_name,
                    provider=provider.name,
                )
            )
        return super()._inverse_journal_id()

    def _credit_on_credit_payments_journal(self):
        """Whether this provider, not the Credits one, is on its company's Credit Payments
        journal."""
        self.ensure_one()
        # sudo: the company's Credit Payments journal, whatever the user may read
        credit_journal_sudo = self.company_id.sudo().credit_payment_journal_id
        return bool(
            self.code != CREDIT_CODE
            and credit_journal_sudo
            and self.journal_id == credit_journal_sudo
        )

    def _get_payment_method_outstanding_account_id(self, payment_method_id):
        # spending debits the Customer Credit liability, not an outstanding receipts account
        if self.code == CREDIT_CODE:
            return self.company_id.credit_account_id.id
        return super()._get_payment_method_outstanding_account_id(payment_method_id)

    @api.constrains("state", "custom_mode", *CRYPTO_FIELDS)
    def _check_crypto_instructions(self):
        for provider in self.filtered(lambda p: p.custom_mode == CRYPTO_MODE):
            if provider.state != "disabled" and not all(provider[f] for f in CRYPTO_FIELDS):
                raise ValidationError(
                    self.env._(
                        "Give the accepted coin, the network and the receiving address before "
                        "enabling %(provider)s: customers pay with them.",
                        provider=provider.name,
                    )
                )

    # -------------------------------------------------------------------------
    # What customers paying by wire transfer or cryptocurrency are told
    # -------------------------------------------------------------------------

    def _credit_transfer_bank_accounts(self):
        """The bank accounts a wire transfer goes to, in sudo: the one of the provider's
        journal, else those of the company's bank journals (as payment_custom's pending message
        lists them)."""
        self.ensure_one()
        # sudo: the agency's own bank details, which it gives every customer paying by transfer
        provider_sudo = self.sudo()
        if provider_sudo.journal_id.bank_account_id:
            return provider_sudo.journal_id.bank_account_id
        journals_sudo = self.env["account.journal"].sudo()
        return journals_sudo.search(
            [
                *journals_sudo._check_company_domain(provider_sudo.company_id),
                ("type", "=", "bank"),
                ("bank_account_id", "!=", False),
            ]
        ).bank_account_id

    def _credit_instructions_issues(self):
        """What a customer paying with this manual provider would not be told, one sentence
        each (nothing for another provider)."""
        self.ensure_one()
        issues = []
        if self.code != "custom" or not self.custom_mode:
            return issues
        if tools.is_html_empty(self.pending_msg):
            issues.append(self.env._("no pending message (what to do once the order is placed)"))
        if self.custom_mode == "wire_transfer" and not self._credit_transfer_bank_accounts():
            issues.append(
                self.env._("no bank account on its journal or on the company's bank journals")
            )
        if self.custom_mode == CRYPTO_MODE:
            issues.extend(
                self.env._("no %(field)s", field=self._fields[field].string.lower())
                for field in CRYPTO_FIELDS
                if not self[field]
            )
        return issues

    # -------------------------------------------------------------------------
    # Where credits are offered
    # -------------------------------------------------------------------------

    @api.model
    def _get_compatible_providers(
        self, company_id, partner_id, amount, *args, report=None, **kwargs
    ):
        """Offer Credits only for one known order or invoice that the customer can pay in full,
        and cryptocurrency only for buying credits (``credit_purchase``).

        Both are whitelists: without a document (Buy Credits, donations, saving a card,
        payment links without a document) Credits is never compatible.
        """
        providers = super()._get_compatible_providers(
            company_id, partner_id, amount, *args, report=report, **kwargs
        )
        if not kwargs.get("credit_purchase"):
            crypto_providers = providers.filtered(lambda p: p.custom_mode == CRYPTO_MODE)
            providers -= crypto_providers
            payment_utils.add_to_report(
                report,
                crypto_providers,
                available=False,
                reason=self.env._("cryptocurrency buys credits only"),
            )
        credit_providers = providers.filtered(lambda provider: provider.code == CREDIT_CODE)
        if not credit_providers:
            return providers
        document = self._credit_document_from_kwargs(**kwargs)
        # a donation form may name a document in its URL: it still pays no document
        if any(kwargs.get(key) for key in ("is_validation", "force_tokenization", "is_donation")):
            document = document.browse()
        # ``amount`` is what the payment form asks for: credits pay the whole amount due; no
        # document (Buy Credits, donations, payment links of nothing) is a refusal too
        refusal = document._credit_spend_refusal(self.env["res.partner"].browse(partner_id), amount)
        if refusal:
            providers -= credit_providers
            payment_utils.add_to_report(report, credit_providers, available=False, reason=refusal)
        return providers

    @api.model
    def _credit_document_from_kwargs(self, sale_order_id=None, invoice_id=None, **_kwargs):
        """The order or invoice a payment form is about, from Odoo's own keyword arguments (an
        empty recordset when it names none, or both)."""
        model, record_id = (
            ("sale.order", sale_order_id) if sale_order_id else ("account.move", invoice_id)
        )
        record_id = PaymentPortal._cast_as_int(record_id)
        if bool(sale_order_id) == bool(invoice_id) or not record_id:
            return self.env["sale.order"]
        return self.env[model].browse(record_id).exists()

    @api.model
    def _credit_get_provider(self, company):
        """The Credits provider of ``company`` (created with its accounting setup), in sudo."""
        # sudo: the provider is the add-on's, looked up for payments and settings of ``company``
        return self.sudo().browse(self._credit_provider_id(company.id))

    @api.model
    @tools.ormcache("company_id")
    def _credit_provider_id(self, company_id):
        """The id of the Credits provider of a company: it never changes once created (the
        provider cannot be deleted), so every payment with credits need not search it."""
        # sudo: the provider is the add-on's, looked up for payments and settings of a company
        return (
            self.sudo()
            .with_context(active_test=False)
            .search([("code", "=", CREDIT_CODE), ("company_id", "=", company_id)], limit=1)
            .id
        ) or None

    @api.ondelete(at_uninstall=False)
    def _unlink_except_credits_provider(self):
        if self.filtered(lambda provider: provider.code == CREDIT_CODE):
            raise UserError(
                self.env._(
                    "The Credits provider books the payments with credits of its company: it "
                    "cannot be deleted (disable it instead)."
                )
            )

    def _credit_payment_hint(self, document, partner_id, amount):
        """What the payment form of ``document`` says where Credits would be, when these
        providers (the form's) leave it out: see _credit_spend_hint.

        Nothing when Credits is offered, or when it is no payment method of the document's
        company at all (disabled, unpublished): buying credits would change nothing.
        """
        if not document or CREDIT_CODE in self.mapped("code"):
            return {}
        provider_sudo = self._credit_get_provider(document.company_id)
        if provider_sudo.state == "disabled" or not provider_sudo.is_published:
            return {}
        # portal pages hold their document as the superuser: the rule asks who is signed in
        document = document.with_env(self.env)
        return document._credit_spend_hint(self.env["res.partner"].browse(partner_id), amount)

    def _credit_payment_option_values(self, partner_id, document):
        """What the Credits option says: the balance (and its value in the document's
        currency), the credits the payment takes, what is left, and the fingerprint of the
        document as shown."""
        self.ensure_one()
        company = self.company_id
        partner = self.env["res.partner"].browse(partner_id)
        wallet_sudo = self.env["credit.wallet"]._get_wallet(partner, company)
        balance = wallet_sudo.balance or 0.0
        currency = document.currency_id if document else company.currency_id
        credits = (
            company._credit_from_money(document._credit_amount_due(), currency) or 0.0
            if document
            else 0.0
        )
        return {
            "balance": company._credit_format(balance),
            "value": company._credit_format_value(balance, currency),
            "credits": company._credit_format(credits),
            "balance_after": company._credit_format_number(
                company._credit_round(balance - credits)
            ),
            "fingerprint": document._credit_fingerprint() if document else "",
        }
