from odoo import fields, models


class ProductTemplate(models.Model):
    _inherit = "product.template"

    credit_eligible = fields.Boolean(
        string="Eligible for Credit Payment",
        help="Customers can pay for this product with their prepaid credits.",
    )
