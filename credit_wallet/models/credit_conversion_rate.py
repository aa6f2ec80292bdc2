import math

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL, float_round

from ..const import CREDIT_RATE_DIGITS, MAX_CREDIT_RATE


class CreditConversionRate(models.Model):
    """How many credits one unit of a currency buys, per company ("1 USD = 10 credits").

    One active rate per currency and company: a new rate archives the one it replaces, which
    stays visible with its dates. The company currency's rate fixes the book value of a credit
    (1 / rate in the company currency) and cannot change once the company has movements.
    Rates are never edited: a new one replaces the old.
    """

    _name = "credit.conversion.rate"
    _description = "Credit Conversion Rate"
    _order = "company_id, currency_id, active desc, id desc"
    _check_company_auto = True

    company_id = fields.Many2one(
        "res.company",
        required=True,
        index=True,
        readonly=True,
        default=lambda self: self.env.company,
    )
    currency_id = fields.Many2one("res.currency", required=True, readonly=True)
    rate = fields.Float(
        string="Credits per Unit",
        required=True,
        readonly=True,
        digits=(16, CREDIT_RATE_DIGITS),
        help="How many credits one unit of the currency buys, e.g. 10 for 1 USD = 10 credits.",
    )
    active = fields.Boolean(default=True, readonly=True)
    date_start = fields.Datetime(
        string="From", required=True, readonly=True, default=fields.Datetime.now
    )
    date_end = fields.Datetime(string="Until", readonly=True)
    is_company_currency = fields.Boolean(compute="_compute_is_company_currency")

    _sql_constraints = [
        ("rate_positive", "CHECK(rate > 0)", "A conversion rate is above zero."),
    ]

    def init(self):
        # one active rate per currency and company, whatever runs at the same moment
        self.env.cr.execute(
            SQL(
                """CREATE UNIQUE INDEX IF NOT EXISTS credit_conversion_rate_one_active_index
                   ON credit_conversion_rate (company_id, currency_id) WHERE active"""
            )
        )

    @api.depends("company_id.currency_id", "currency_id")
    def _compute_is_company_currency(self):
        for rate in self:
            rate.is_company_currency = rate.currency_id == rate.company_id.currency_id

    @api.depends("currency_id", "rate")
    def _compute_display_name(self):
        for rate in self:
            rate.display_name = self.env._(
                "1 %(currency)s = %(rate)s credits",
                currency=rate.currency_id.name or "",
                rate=format(rate.rate, "g"),
            )

    # -------------------------------------------------------------------------
    # A new rate replaces the old one; rates are never edited
    # -------------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        rates = self.browse()
        # one at a time: each archives the rate it replaces before it becomes the active one
        for vals in vals_list:
            vals = {**vals, "rate": self._credit_checked_rate(vals.get("rate"))}
            company = self.env["res.company"].browse(vals.get("company_id") or self.env.company.id)
            currency = self.env["res.currency"].browse(vals.get("currency_id"))
            replaced = self.search(
                [("company_id", "=", company.id), ("currency_id", "=", currency.id)]
            )
            if currency == company.currency_id:
                company._check_credit_value(vals["rate"], company.credit_rounding)
                if replaced and company._credit_has_movements():
                    raise UserError(
                        self.env._(
                            "%(company)s already has credit movements: the rate of %(currency)s, "
                            "which sets what a credit is worth in the books, cannot change any "
                            "more.",
                            company=company.name,
                            currency=currency.name,
                        )
                    )
            now = fields.Datetime.now()
            replaced.with_context(credit_rate_replacing=True).write(
                {"active": False, "date_end": now}
            )
            replaced.flush_recordset()
            rates |= super().create([{**vals, "date_start": now}])
        rates.company_id._credit_sync_provider_currency()
        return rates

    def write(self, vals):
        if not self.env.context.get("credit_rate_replacing") and vals.keys() - {"active"}:
            raise UserError(
                self.env._("A conversion rate is not edited: add a new rate, which replaces it.")
            )
        if "active" in vals and not self.env.context.get("credit_rate_replacing"):
            self._check_credit_archivable(vals["active"])
        result = super().write(vals)
        if "active" in vals:
            # the companies' lists of rates show active ones only
            self.company_id.invalidate_recordset(["credit_rate_ids"])
            self.company_id._credit_sync_provider_currency()
        return result

    @api.ondelete(at_uninstall=False)
    def _unlink_except_company_currency(self):
        if self.filtered("is_company_currency"):
            raise UserError(
                self.env._("The company currency's rate sets what a credit is worth: keep it.")
            )

    @api.model
    def _credit_checked_rate(self, rate):
        """``rate`` as a number of credits per unit, or a clear refusal."""
        if isinstance(rate, bool):
            rate = math.nan
        elif not isinstance(rate, int | float):
            try:
                rate = float(rate)
            except (TypeError, ValueError):
                rate = math.nan
        if not math.isfinite(rate) or rate <= 0 or rate > MAX_CREDIT_RATE:
            raise ValidationError(
                self.env._(
                    "A conversion rate is a number of credits above 0 and at most %(maximum)s "
                    "for one unit of the currency.",
                    maximum=format(MAX_CREDIT_RATE, ",.0f"),
                )
            )
        return float_round(rate, precision_digits=CREDIT_RATE_DIGITS)

    def _check_credit_archivable(self, active):
        if not active and self.filtered("is_company_currency"):
            raise UserError(
                self.env._("The company currency's rate sets what a credit is worth: keep it.")
            )
        if active:
            for rate in self:
                if self.search_count(
                    [
                        ("company_id", "=", rate.company_id.id),
                        ("currency_id", "=", rate.currency_id.id),
                        ("id", "!=", rate.id),
                    ],
                    limit=1,
                ):
                    raise UserError(
                        self.env._(
                            "%(currency)s already has an active rate: add a new rate instead.",
                            currency=rate.currency_id.name,
                        )
                    )
