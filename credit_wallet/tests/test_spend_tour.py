"""Paying with credits in a real browser: the checkout of the shop and an invoice's page; and
what the checkout says when Credits is not offered."""

from lxml import html

from odoo import Command
from odoo.tests import HttpCase, tagged

from .common import CreditSpendCommon, CreditTopupCommon


@tagged("post_install", "-at_install")
class TestCreditSpendTour(CreditSpendCommon, CreditTopupCommon, HttpCase):
    """The website sells for the test company; the demo provider sits beside Credits."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sell_on_the_website()

    def setUp(self):
        super().setUp()
        self.adjust(self.wallet, 250.0)

    def test_customer_pays_the_checkout_with_credits(self):
        self.start_tour("/shop", "credit_wallet_checkout_tour", login="portal_ada")

        order = self.env["sale.order"].search([("partner_id", "=", self.contact.id)])
        self.assertRecordValues(
            order, [{"state": "sale", "amount_total": 100.0, "amount_paid": 100.0}]
        )
        self.assertEqual(order.order_line.product_id, self.service)
        self.assert_paid_with_credits(order, 150.0)
        self.assertEqual(self.spend_entries().description, f"Payment of {order.name}")

    def test_customer_pays_an_invoice_with_credits_from_the_portal(self):
        invoice = self.create_invoice(100.0)

        self.start_tour("/my/invoices", "credit_wallet_invoice_tour", login="portal_ada")

        self.assertEqual(invoice.payment_state, "paid")
        self.assert_paid_with_credits(invoice, 150.0)
        self.authenticate("portal_ada", "portal_ada")
        history = html.fromstring(self.url_open("/my/credits").content)
        newest = history.xpath("//tr[hasclass('o_credit_wallet_entry')]")[0]
        self.assertTrue(newest.xpath(".//*[hasclass('o_credit_wallet_type_out')]"))
        reference = newest.xpath("./td[hasclass('o_credit_wallet_reference')]")[0]
        self.assertEqual(reference.xpath(".//a/@href"), [invoice.access_url])
        self.assertEqual(reference.xpath("string(.//a)").strip(), invoice.name)


@tagged("post_install", "-at_install")
class TestCreditCheckoutHintTour(CreditSpendCommon, CreditTopupCommon, HttpCase):
    """Why Credits is not offered at the checkout, as the customer reads it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sell_on_the_website()
        cls.env["product.product"].create(
            {
                "name": "Onsite Workshop",
                "type": "service",
                "list_price": 60.0,
                "is_published": True,
                "taxes_id": [Command.clear()],
            }
        )

    def run_checkout_tour(self, tour, balance):
        """Run ``tour`` as Ada with ``balance`` credits: she leaves with her cart unpaid."""
        self.adjust(self.wallet, balance)

        self.start_tour("/shop", tour, login="portal_ada")

        cart = self.env["sale.order"].search([("partner_id", "=", self.contact.id)])
        self.assertRecordValues(cart, [{"state": "draft", "amount_total": 100.0}])
        self.assertEqual(self.wallet.balance, balance)
        self.assertFalse(self.spend_entries())

    def test_checkout_names_the_product_credits_cannot_pay(self):
        self.run_checkout_tour("credit_wallet_checkout_ineligible_tour", 250.0)

    def test_checkout_says_how_many_credits_are_missing(self):
        self.run_checkout_tour("credit_wallet_checkout_short_balance_tour", 64.0)
