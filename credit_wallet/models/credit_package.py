from odoo import api, fields, models
from odoo.exceptions import ValidationError


class CreditPackage(models.Model):
    _name = "credit.package"
    _description = "Credit Package"
    _order = "sequence, price, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    is_published = fields.Boolean(
        string="Published", help="Offered to customers on the Buy Credits page."
    )
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    currency_id = fields.Many2one(
        "res.currency",
        required=True,
        compute="_compute_currency_id",
        store=True,
        readonly=False,
        precompute=True,
        help="What the package is sold in; offered on websites whose pricelist is in it, when "
        "the company has a conversion rate for it.",
    )
    credit_amount = fields.Float(
        string="Credits",
        required=True,
        digits=(16, 2),
        help="Credits added to the wallet when the package is paid.",
    )
    price = fields.Monetary(required=True, help="What the customer pays.")
    bonus_amount = fields.Float(
        string="Bonus",
        compute="_compute_bonus_amount",
        digits=(16, 2),
        help="Credits above what the price buys at its currency's rate, booked on the "
        "bonus/adjustment account.",
    )
    description = fields.Text(translate=True)

    _sql_constraints = [
        ("price_positive", "CHECK(price > 0)", "A package has a price above zero."),
        ("credit_amount_positive", "CHECK(credit_amount > 0)", "A package grants some credits."),
    ]

    @api.constrains("credit_amount", "price", "currency_id", "company_id")
    def _check_amounts(self):
        for package in self:
            company = package.company_id
            if package.currency_id.compare_amounts(package.price, 0.0) <= 0:
                raise ValidationError(
                    self.env._("%(package)s needs a price above zero.", package=package.name)
                )
            if company._credit_compare(package.credit_amount, 0.0) <= 0:
                raise ValidationError(
                    self.env._("%(package)s must grant some credits.", package=package.name)
                )
            bought = package._credit_price_credits()
            if bought is not None and company._credit_compare(package.credit_amount, bought) < 0:
                raise ValidationError(
                    self.env._(
                        "%(package)s grants fewer credits than its price buys (%(credits)s): "
                        "credits above the price are a bonus, credits below it are not offered.",
                        package=package.name,
                        credits=company._credit_format(bought),
                    )
                )

    @api.depends("company_id")
    def _compute_currency_id(self):
        # the company currency, until the agency chooses another
        for package in self:
            package.currency_id = package.company_id.currency_id

    @api.depends("credit_amount", "price", "currency_id", "company_id")
    def _compute_bonus_amount(self):
        for package in self:
            package.bonus_amount = package.company_id._credit_bonus(
                package.credit_amount, package.price, package.currency_id
            )

    def _credit_price_credits(self):
        """The credits the package's price buys at its currency's rate (None without a rate)."""
        self.ensure_one()
        return self.company_id._credit_from_money(self.price, self.currency_id)

    def _credit_sellable(self):
        """The packages that can be sold today: their currency has a rate and their credits are
        at least what their price buys (a rate changed after the package was made)."""
        return self.filtered(
            lambda package: (bought := package._credit_price_credits()) is not None
            and package.company_id._credit_compare(package.credit_amount, bought) >= 0
        )

    @api.model
    def _get_published_domain(self, company):
        return [("is_published", "=", True), ("company_id", "=", company.id)]
