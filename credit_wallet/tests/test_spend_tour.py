"""Paying with credits in a real browser: the checkout of the shop and an invoice's page."""

from lxml import html

from odoo.tests import HttpCase, tagged

from .common import CreditSpendCommon, CreditTopupCommon


@tagged("post_install", "-at_install")
class TestCreditSpendTour(CreditSpendCommon, CreditTopupCommon, HttpCase):
    """The website sells for the test company; the demo provider sits beside Credits."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.ref("website.default_website").company_id = cls.company
        # a complete billing address: the checkout goes straight to the payment step
        cls.customer.write(
            {
                "street": "1 Harbour Street",
                "city": "Springfield",
                "zip": "62701",
                "country_id": cls.env.ref("base.us").id,
                "state_id": cls.env.ref("base.state_us_13").id,
            }
        )
        cls.contact.phone = "+1 555 0100"

    def setUp(self):
        super().setUp()
        self.adjust(self.wallet, 250.0)

    def assert_paid_with_credits(self, document):
        """One Out entry of 100.00 for ``document``: Dr Customer Credit / Cr Receivable."""
        self.assertEqual(self.wallet.balance, 150.0)
        entry = self.spend_entries()
        self.assertRecordValues(
            entry, [{"amount": -100.0, "entry_type": "out", "reference": document}]
        )
        self.assertRecordValues(
            entry.move_id.line_ids.filtered("balance").sorted("balance"),
            [
                {"account_id": self.receivable.id, "balance": -100.0},
                {"account_id": self.credit_account.id, "balance": 100.0},
            ],
        )
        self.assertRecordValues(
            entry.payment_transaction_id,
            [{"state": "done", "provider_id": self.credit_provider.id, "amount": 100.0}],
        )
        self.assert_invariants()

    def test_customer_pays_the_checkout_with_credits(self):
        self.start_tour("/shop", "credit_wallet_checkout_tour", login="portal_ada")

        order = self.env["sale.order"].search([("partner_id", "=", self.contact.id)])
        self.assertRecordValues(
            order, [{"state": "sale", "amount_total": 100.0, "amount_paid": 100.0}]
        )
        self.assertEqual(order.order_line.product_id, self.service)
        self.assert_paid_with_credits(order)
        self.assertEqual(self.spend_entries().description, f"Payment of {order.name}")

    def test_customer_pays_an_invoice_with_credits_from_the_portal(self):
        invoice = self.create_invoice(100.0)

        self.start_tour("/my/invoices", "credit_wallet_invoice_tour", login="portal_ada")

        self.assertEqual(invoice.payment_state, "paid")
        self.assert_paid_with_credits(invoice)
        self.authenticate("portal_ada", "portal_ada")
        history = html.fromstring(self.url_open("/my/credits").content)
        newest = history.xpath("//tr[hasclass('o_credit_wallet_entry')]")[0]
        self.assertTrue(newest.xpath(".//*[hasclass('o_credit_wallet_type_out')]"))
        self.assertEqual(newest.xpath("./td[4]//a/@href"), [invoice.access_url])
        self.assertEqual(newest.xpath("string(./td[4]//a)").strip(), invoice.name)
