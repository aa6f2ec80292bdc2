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
    # a credit is worth one unit of the company currency, so packages are sold in it too
    currency_id = fields.Many2one(related="company_id.currency_id")
    credit_amount = fields.Monetary(
        string="Credits",
        required=True,
        help="Credits added to the wallet when the package is paid.",
    )
    price = fields.Monetary(required=True, help="What the customer pays.")
    bonus_amount = fields.Monetary(
        string="Bonus",
        compute="_compute_bonus_amount",
        help="Credits granted above the price, booked on the bonus/adjustment account.",
    )
    description = fields.Text(translate=True)

    _sql_constraints = [
        ("price_positive", "CHECK(price > 0)", "A package has a price above zero."),
        ("credit_amount_positive", "CHECK(credit_amount > 0)", "A package grants some credits."),
        (
            "credit_amount_covers_price",
            "CHECK(credit_amount >= price)",
            "A package grants at least as many credits as its price.",
        ),
    ]

    @api.constrains("credit_amount", "price")
    def _check_amounts(self):
        for package in self:
            currency = package.currency_id
            if currency.compare_amounts(package.price, 0.0) <= 0:
                raise ValidationError(
                    self.env._("%(package)s needs a price above zero.", package=package.name)
                )
            if currency.compare_amounts(package.credit_amount, 0.0) <= 0:
                raise ValidationError(
                    self.env._("%(package)s must grant some credits.", package=package.name)
                )
            if currency.compare_amounts(package.credit_amount, package.price) < 0:
                raise ValidationError(
                    self.env._(
                        "%(package)s grants fewer credits than its price: credits above the "
                        "price are a bonus, credits below it are not offered.",
                        package=package.name,
                    )
                )

    @api.depends("credit_amount", "price")
    def _compute_bonus_amount(self):
        for package in self:
            package.bonus_amount = package.credit_amount - package.price

    @api.model
    def _get_published_domain(self, company):
        return [("is_published", "=", True), ("company_id", "=", company.id)]
