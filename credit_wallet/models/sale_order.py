from odoo import models


class SaleOrder(models.Model):
    _name = "sale.order"
    _inherit = ["sale.order", "credit.payable.document"]

    # -------------------------------------------------------------------------
    # Paying an order with credits
    # -------------------------------------------------------------------------

    def _credit_customer(self):
        self.ensure_one()
        return self.partner_id.commercial_partner_id

    def _credit_amount_due(self):
        self.ensure_one()
        return self.currency_id.round(self.amount_total - self.amount_paid)

    def _credit_payment_lines(self):
        """The lines that ask for money: sections, notes, down payments already invoiced,
        discounts and free items do not."""
        return self.order_line.filtered(
            lambda line: not line.display_type
            and not line.is_downpayment
            and line.currency_id.compare_amounts(line.price_total, 0.0) > 0
        )

    def _credit_payment_refusal(self):
        """Why this order cannot be paid with credits, or ""."""
        self.ensure_one()
        if self.state == "cancel":
            return self.env._("%(order)s is cancelled.", order=self.name)
        if self.is_expired:
            return self.env._("%(order)s has expired.", order=self.name)
        if self.invoice_ids.filtered(lambda invoice: invoice.state == "posted"):
            return self.env._("%(order)s is invoiced: pay its invoice instead.", order=self.name)
        return ""

    def _credit_ineligible_products(self):
        self.ensure_one()
        return self._credit_payment_lines().product_id.filtered(
            lambda product: not product.credit_eligible
        )

    def _credit_cart_line_labels(self):
        """What the cart says under each line about credits, by line id: "eligible", or
        "ineligible" in a cart that mixes both (these lines keep Credits out of the payment
        step). Nothing when the company takes no credits or no line is eligible: credits are then
        no concern of this cart."""
        self.ensure_one()
        if not self.company_id.credit_payment_enabled:
            return {}
        lines = self._credit_payment_lines()
        ineligible_products = self._credit_ineligible_products()
        ineligible = lines.filtered(lambda line: line.product_id in ineligible_products)
        if ineligible == lines:
            return {}
        return dict.fromkeys((lines - ineligible).ids, "eligible") | dict.fromkeys(
            ineligible.ids, "ineligible"
        )

    def _credit_fingerprint_content(self):
        # lines, quantities, prices and total
        return [
            self.currency_id.id,
            self.amount_total,
            self.amount_paid,
            sorted(
                [line.id, line.product_id.id, line.product_uom_qty, line.price_total]
                for line in self.order_line
            ),
        ]

    # -------------------------------------------------------------------------
    # Cancellation gives credits back
    # -------------------------------------------------------------------------

    def _action_cancel(self):
        result = super()._action_cancel()
        self._credit_return_on_cancel()
        return result

    def _credit_return_on_cancel(self):
        """Return the credits of cancelled orders that no posted invoice settles.

        The return is linked to the order: what the order was paid drops by it, so a
        quotation made again of it asks for payment again. With a posted invoice, the
        credits come back through its credit note instead.
        """
        for order in self:
            if order.invoice_ids.filtered(lambda invoice: invoice.state == "posted"):
                continue
            # sudo: the order's own payments, read to give back what they paid
            for tx_sudo in order.sudo().transaction_ids:
                amount = tx_sudo._credit_returnable_amount()
                if not tx_sudo.currency_id.is_zero(amount):
                    tx_sudo._credit_return(amount, order=order)
