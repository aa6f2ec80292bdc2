from odoo import fields, models


class ProductTemplate(models.Model):
    _inherit = "product.template"

    credit_eligible = fields.Boolean(
        string="Eligible for Credit Payment",
        help="Customers can pay for this product with their prepaid credits.",
    )

    def _credit_payable_shown(self):
        """Whether the shop says credits can pay this product: it is eligible and the website's
        company takes credit payments. Shown to every visitor, as the price is."""
        self.ensure_one()
        return bool(
            self.credit_eligible
            and self.env.user._credit_portal_company_sudo().credit_payment_enabled
        )
