import hashlib
import json
import math

from odoo import models
from odoo.tools.misc import format_amount


class CreditPayableDocument(models.AbstractModel):
    """What an order and an invoice share as documents customers pay with credits.

    The one rule behind every place credits are offered or spent (the payment forms, the
    transaction routes, the backend wizard, auto-pay, and the moment the wallet is debited)
    is asked of the document: ``document._credit_spend_refusal(partner, amount)``. Each
    document says who its customer is, what is due, what makes it unpayable and what its
    customer was shown.
    """

    _name = "credit.payable.document"
    _description = "Document Payable with Credits"

    def write(self, vals):
        return self.env["payment.transaction"]._credit_write_keeping_links(
            self, super().write, vals
        )

    # -------------------------------------------------------------------------
    # What each document says
    # -------------------------------------------------------------------------

    def _credit_customer(self):
        """The commercial partner whose wallet pays this document."""
        raise NotImplementedError()

    def _credit_amount_due(self):
        """What the customer still has to pay on this document."""
        raise NotImplementedError()

    def _credit_payment_refusal(self):
        """Why this document, whoever pays, cannot be paid with credits now, or ""."""
        raise NotImplementedError()

    def _credit_fingerprint_content(self):
        """The values the customer was shown, as a JSON-serializable list."""
        raise NotImplementedError()

    # -------------------------------------------------------------------------
    # The rule
    # -------------------------------------------------------------------------

    def _credit_fingerprint(self):
        """A digest of what the customer was shown when choosing to pay with credits."""
        self.ensure_one()
        # the rate too: a payment uses the rate its page showed, or none
        rate = self.company_id._credit_rate(self.currency_id)
        content = [self._name, self.id, rate.rate, *self._credit_fingerprint_content()]
        return hashlib.sha256(json.dumps(content, default=str).encode()).hexdigest()

    def _credit_changed_refusal(self, fingerprint):
        """Why credits cannot pay this document as its page showed it (``fingerprint``), or ""."""
        self.ensure_one()
        if fingerprint != self._credit_fingerprint():
            return self.env._(
                "%(document)s changed since the page was shown: refresh the page.",
                document=self.display_name,
            )
        return ""

    def _credit_spend_refusal(self, partner, amount, partial=False):
        """Why ``partner`` cannot pay ``amount`` of this document with credits now, or "".

        :param partner: the customer paying (its commercial partner must be the document's)
        :param amount: the amount asked; the whole amount due unless ``partial``
        :param partial: allow paying part of the amount due (backend only)
        """
        env = self.env
        if len(self) != 1:
            return env._("Credits pay an order or an invoice only.")
        if env.user._is_public():
            return env._("Sign in to pay with your credits.")
        company = self.company_id
        if not company.credit_payment_enabled:
            return env._("Credit payments are not available for %(company)s.", company=company.name)
        if not partner or partner.commercial_partner_id != self._credit_customer():
            return env._("%(document)s belongs to another customer.", document=self.display_name)
        currency = self.currency_id
        if not company._credit_rate(currency):
            return env._(
                "Credits do not pay documents in %(currency)s: %(company)s has no conversion "
                "rate for it.",
                currency=currency.name,
                company=company.name,
            )
        refusal = self._credit_payment_refusal()
        if refusal:
            return refusal
        amount_due = self._credit_amount_due()
        if currency.compare_amounts(amount_due, 0.0) <= 0:
            return env._("Nothing is left to pay on %(document)s.", document=self.display_name)
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
                document=self.display_name,
                amount_due=format_amount(env, amount_due, currency),
            )
        wallet_sudo = env["credit.wallet"]._get_wallet(partner, company)
        balance = wallet_sudo.balance or 0.0
        credits = company._credit_from_money(amount, currency)
        if company._credit_compare(balance, credits) < 0:
            return env._(
                "Your balance of %(balance)s does not cover %(amount)s.",
                balance=company._credit_format(balance),
                amount=company._credit_format(credits),
            )
        return ""
