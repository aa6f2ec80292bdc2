from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, float_compare, float_is_zero, float_round
from odoo.tools.misc import format_amount, formatLang

from ..const import CREDIT_ROUNDINGS


class ResCompany(models.Model):
    """Credits as a unit of their own: conversion rates per currency, the credit's book value
    and rounding, and the conversions every flow uses (DESIGN.md, "Credits as a unit")."""

    # one file per concern, on purpose (README, "Code layout")
    _inherit = "res.company"  # pylint: disable=consider-merging-classes-inherited

    credit_rounding = fields.Selection(
        CREDIT_ROUNDINGS,
        required=True,
        default="0.01",
        help="Whole credits, or hundredths of a credit. Money becomes credits by rounding up to "
        "it. Fixed once the company has credit movements.",
    )
    credit_rate_ids = fields.One2many(
        "credit.conversion.rate", "company_id", string="Conversion Rates"
    )
    credit_value = fields.Float(
        string="Value of a Credit",
        compute="_compute_credit_value",
        digits=(16, 10),
        help="What a credit is worth in the books, in the company currency: 1 / the company "
        "currency's rate.",
    )
    credit_exchange_account_id = fields.Many2one(
        "account.account",
        string="Credit Exchange Difference Account",
        check_company=True,
        domain="[('internal_group', 'in', ('income', 'expense'))]",
        help="Where the difference between credits' book value and the money paid in another "
        "currency (or rounded up to whole credits) goes, on the same journal entry.",
    )

    @api.depends("credit_rate_ids.rate", "credit_rate_ids.active", "currency_id")
    def _compute_credit_value(self):
        for company in self:
            company.credit_value = company._credit_book_value_of_one()

    def write(self, vals):
        if "credit_rounding" in vals:
            for company in self.filtered(lambda c: c.credit_rounding != vals["credit_rounding"]):
                if company._credit_has_movements():
                    raise UserError(
                        self.env._(
                            "%(company)s already has credit movements: its credit rounding "
                            "cannot change any more.",
                            company=company.name,
                        )
                    )
                rate = company._credit_rate(company.currency_id)
                if rate:
                    company._check_credit_value(rate.rate, vals["credit_rounding"])
        return super().write(vals)

    def _credit_has_movements(self):
        self.ensure_one()
        # sudo: counted for the company's settings, whoever configures them
        entries_sudo = self.env["credit.ledger.entry"].sudo()
        return bool(entries_sudo.search_count([("company_id", "=", self.id)], limit=1))

    def _check_credit_value(self, rate, rounding):
        """Refuse a company rate and rounding whose smallest movement is not a whole number of
        the currency's smallest unit: the books could not hold credits exactly."""
        self.ensure_one()
        currency = self.currency_id
        step_value = float(rounding) / rate
        units = step_value / currency.rounding
        if abs(units - round(units)) > 1e-6 or round(units) < 1:
            raise UserError(
                self.env._(
                    "At %(rate)s credits per %(currency)s, %(step)s credit would be worth "
                    "%(value)s %(currency)s, which the books cannot hold exactly: choose a rate "
                    "that makes %(step)s credit a whole number of %(smallest)s %(currency)s, or "
                    "whole credits.",
                    rate=format(rate, "g"),
                    currency=currency.name,
                    step=rounding,
                    value=format(step_value, ".10g"),
                    smallest=currency.rounding,
                )
            )

    # -------------------------------------------------------------------------
    # Conversions: the one place money and credits meet
    # -------------------------------------------------------------------------

    def _credit_rate(self, currency):
        """The active conversion rate of ``currency`` in this company, or an empty recordset."""
        self.ensure_one()
        # sudo: a company's rates are read for its payments and pages, whoever they serve
        return self.sudo().credit_rate_ids.filtered(lambda rate: rate.currency_id == currency)[:1]

    def _credit_book_value_of_one(self):
        """A credit's book value in the company currency (1 before any rate is set)."""
        self.ensure_one()
        rate = self._credit_rate(self.currency_id)
        return 1.0 / rate.rate if rate else 1.0

    @api.model
    def _credit_sql_values(self):
        """SQL rows (company_id, rate, decimal_places), one per company: the credits one unit
        of its currency buys (1 before a rate is set) and its currency's decimals. A credit's
        book value is 1 / rate, as ``_credit_book_value_of_one`` says it in Python: the
        reconciliation report and the audit read it from here."""
        return SQL(
            """
            SELECT company.id AS company_id, COALESCE(rate.rate, 1) AS rate,
                   currency.decimal_places
              FROM res_company company
              JOIN res_currency currency ON currency.id = company.currency_id
         LEFT JOIN credit_conversion_rate rate ON rate.company_id = company.id
                                              AND rate.currency_id = company.currency_id
                                              AND rate.active
            """
        )

    def _credit_book_value(self, credits):
        """What ``credits`` are worth in the books: credits x the credit's value, exactly."""
        self.ensure_one()
        return self.currency_id.round(credits * self._credit_book_value_of_one())

    def _credit_from_money(self, amount, currency):
        """The credits ``amount`` of ``currency`` buys, rounded up; None without a rate."""
        self.ensure_one()
        rate = self._credit_rate(currency)
        if not rate:
            return None
        money = currency.round(amount)
        return float_round(
            money * rate.rate, precision_rounding=self._credit_precision(), rounding_method="UP"
        )

    def _credit_bonus(self, credits, amount, currency):
        """Of ``credits`` sold for ``amount`` of ``currency``, those above what the money buys
        (0 when it buys them all, or without a rate)."""
        self.ensure_one()
        bought = self._credit_from_money(amount, currency)
        return self._credit_round(max(credits - bought, 0.0)) if bought is not None else 0.0

    def _credit_money_value(self, credits, currency):
        """What ``credits`` are worth in ``currency`` at its rate (for showing); None without."""
        self.ensure_one()
        rate = self._credit_rate(currency)
        return currency.round(credits / rate.rate) if rate else None

    def _credit_website_currency(self, website):
        """The currency ``website`` sells credits in and shows their value in: its pricelist's
        (as Odoo's shop prices), when this company has a conversion rate for it; else the
        company currency."""
        self.ensure_one()
        pricelist = website._get_current_pricelist() if website else None
        currency = pricelist.currency_id if pricelist else self.currency_id
        return currency if self._credit_rate(currency) else self.currency_id

    def _credit_money_balance(self, amount, currency, date=None):
        """``amount`` of ``currency`` in the company currency, as Odoo converts it on ``date``."""
        self.ensure_one()
        return currency._convert(
            amount, self.currency_id, self, date or fields.Date.context_today(self)
        )

    def _credit_exchange_write_off(self, balance, partner, currency):
        """A payment's write-off line taking ``balance`` (company currency) to the Credit
        Exchange Difference account: what credits' book value and the money differ by."""
        self.ensure_one()
        if not self.credit_exchange_account_id:
            raise UserError(
                self.env._(
                    "Set the Credit Exchange Difference account of %(company)s in Settings first.",
                    company=self.name,
                )
            )
        return {
            "name": self.env._("Credit exchange difference"),
            "account_id": self.credit_exchange_account_id.id,
            "partner_id": partner.id,
            "currency_id": currency.id,
            "amount_currency": 0.0,
            "balance": balance,
        }

    def _credit_precision(self):
        self.ensure_one()
        return float(self.credit_rounding or "0.01")

    def _credit_round(self, credits):
        return float_round(credits, precision_rounding=self._credit_precision())

    def _credit_compare(self, credits, other):
        return float_compare(credits, other, precision_rounding=self._credit_precision())

    def _credit_is_zero(self, credits):
        return float_is_zero(credits, precision_rounding=self._credit_precision())

    def _credit_format(self, credits):
        """``credits`` as a customer reads them: "1,250 credits", "1,250.50 credits"."""
        self.ensure_one()
        return self.env._("%(credits)s credits", credits=self._credit_format_number(credits))

    def _credit_format_number(self, credits):
        """``credits`` as a number in the reader's language, to the company's precision."""
        self.ensure_one()
        return formatLang(self.env, credits, digits=self._credit_digits())

    def _credit_digits(self):
        """Decimals a number of credits shows: none in whole credits, else two."""
        self.ensure_one()
        return 0 if self.credit_rounding == "1" else 2

    def _credit_format_value(self, credits, currency):
        """What ``credits`` are worth in ``currency``, "≈ 125.00 USD" as the customer reads
        it, where it tells them something: empty when a credit is one unit of it."""
        self.ensure_one()
        rate = self._credit_rate(currency)
        if not rate or rate.rate == 1.0:
            return ""
        return self.env._(
            "≈ %(value)s",
            value=format_amount(self.env, self._credit_money_value(credits, currency), currency),
        )

    def _credit_ensure_company_rate(self):
        """The company currency at 1 credit per unit, as the first versions had it, unless the
        company chose a rate of its own."""
        for company in self:
            if not company._credit_rate(company.currency_id):
                # sudo: the add-on sets the company's default up, whoever installs or upgrades
                self.env["credit.conversion.rate"].sudo().create(
                    {"company_id": company.id, "currency_id": company.currency_id.id, "rate": 1.0}
                )
                company.invalidate_recordset(["credit_rate_ids"])

    def _credit_follow_new_currency(self, former_currency):
        """A new company currency (Odoo allows it before any journal entry, so before any
        credit movement): the former one's rate goes with it, the new one gets 1 credit per
        unit unless it has a rate already."""
        self.ensure_one()
        former_rate = self._credit_rate(former_currency)
        if former_rate:
            former_rate.with_context(credit_rate_replacing=True).write(
                {"active": False, "date_end": fields.Datetime.now()}
            )
        if self.credit_account_id:
            self._credit_ensure_company_rate()
        self._credit_sync_provider_currency()

    def _credit_sync_provider_currency(self):
        """Offer the Credits provider in every currency that has a conversion rate: Odoo
        computes a provider's currencies once, from its code."""
        # sudo: the add-on keeps its own provider in step, whoever changed the rates
        for company_sudo in self.sudo():
            provider_sudo = self.env["payment.provider"]._credit_get_provider(company_sudo)
            currencies = company_sudo.credit_rate_ids.currency_id or company_sudo.currency_id
            if provider_sudo and provider_sudo.available_currency_ids != currencies:
                provider_sudo.available_currency_ids = currencies
