import hashlib
import json
import math

from odoo import models
from odoo.tools.misc import format_amount

from ..const import CREDIT_OBSTACLE_BALANCE, CREDIT_OBSTACLE_INELIGIBLE, CREDIT_OBSTACLE_OTHER


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

    def _credit_ineligible_products(self):
        """The products this document asks money for that credits cannot pay."""
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
        return self._credit_spend_obstacle(partner, amount, partial)[1]

    def _credit_spend_obstacle(self, partner, amount, partial=False):
        """The rule, as ``(obstacle, refusal)``: what stands in the way (a CREDIT_OBSTACLE_*
        code) and why, or ``("", "")``. Parameters as for _credit_spend_refusal."""
        env = self.env
        if len(self) != 1:
            return CREDIT_OBSTACLE_OTHER, env._("Credits pay an order or an invoice only.")
        if env.user._is_public():
            return CREDIT_OBSTACLE_OTHER, env._("Sign in to pay with your credits.")
        company = self.company_id
        if not company.credit_payment_enabled:
            return CREDIT_OBSTACLE_OTHER, env._(
                "Credit payments are not available for %(company)s.", company=company.name
            )
        if not partner or partner.commercial_partner_id != self._credit_customer():
            return CREDIT_OBSTACLE_OTHER, env._(
                "%(document)s belongs to another customer.", document=self.display_name
            )
        currency = self.currency_id
        if not company._credit_rate(currency):
            return CREDIT_OBSTACLE_OTHER, env._(
                "Credits do not pay documents in %(currency)s: %(company)s has no conversion "
                "rate for it.",
                currency=currency.name,
                company=company.name,
            )
        refusal = self._credit_payment_refusal()
        if refusal:
            return CREDIT_OBSTACLE_OTHER, refusal
        ineligible = self._credit_ineligible_products()
        if ineligible:
            return CREDIT_OBSTACLE_INELIGIBLE, env._(
                "%(products)s cannot be paid with credits.",
                products=", ".join(ineligible.mapped("display_name")),
            )
        amount_due = self._credit_amount_due()
        if currency.compare_amounts(amount_due, 0.0) <= 0:
            return CREDIT_OBSTACLE_OTHER, env._(
                "Nothing is left to pay on %(document)s.", document=self.display_name
            )
        if not isinstance(amount, int | float) or not math.isfinite(amount):
            return CREDIT_OBSTACLE_OTHER, env._("The amount to pay is not a number.")
        comparison = currency.compare_amounts(amount, amount_due)
        if (
            comparison > 0
            or (not partial and comparison)
            or currency.compare_amounts(amount, 0.0) <= 0
        ):
            return CREDIT_OBSTACLE_OTHER, env._(
                "The amount to pay no longer matches %(document)s (%(amount_due)s due): refresh "
                "the page.",
                document=self.display_name,
                amount_due=format_amount(env, amount_due, currency),
            )
        balance = self._credit_wallet_balance(partner)
        credits = company._credit_from_money(amount, currency)
        if company._credit_compare(balance, credits) < 0:
            return CREDIT_OBSTACLE_BALANCE, env._(
                "Your balance of %(balance)s does not cover %(amount)s.",
                balance=company._credit_format(balance),
                amount=company._credit_format(credits),
            )
        return "", ""

    def _credit_wallet_balance(self, partner):
        """The credits ``partner`` holds in this document's company (0 without a wallet)."""
        return self.env["credit.wallet"]._get_wallet(partner, self.company_id).balance or 0.0

    # -------------------------------------------------------------------------
    # What the customer is told when credits cannot pay
    # -------------------------------------------------------------------------

    def _credit_spend_hint(self, partner, amount):
        """What the payment form tells ``partner`` where Credits would be, when the rule leaves
        it out for a reason they can act on: ``{"message", "buy_credits"}``, or {}.

        Products not payable with credits are named; a short balance says how much is missing
        and leads to Buy Credits (in the website's company only: the page buys credits of that
        company). Any other refusal says nothing: credit payments off for the company, a
        visitor, another customer's document (its balance is never shown), another currency, a
        document paid, cancelled or asking for part of its amount.
        """
        obstacle, refusal = self._credit_spend_obstacle(partner, amount)
        if obstacle == CREDIT_OBSTACLE_INELIGIBLE:
            return {"message": refusal, "buy_credits": False}
        if obstacle == CREDIT_OBSTACLE_BALANCE:
            env, company = self.env, self.company_id
            missing = company._credit_round(
                company._credit_from_money(amount, self.currency_id)
                - self._credit_wallet_balance(partner)
            )
            return {
                "message": env._(
                    "You need %(missing)s more.", missing=company._credit_format(missing)
                ),
                "buy_credits": company == env.user._credit_portal_company_sudo(),
            }
        return {}
