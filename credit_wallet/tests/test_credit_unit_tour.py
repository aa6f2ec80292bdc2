"""Credits as a unit in a real browser: a dollar customer of a euro agency buys a dollar
package and pays a dollar invoice with credits; balances and history speak credits."""

from odoo.tests import HttpCase, tagged

from .common import CreditTopupCommon
from .test_credit_unit import CreditForeignCurrencyCommon


@tagged("post_install", "-at_install")
class TestCreditUnitTour(CreditForeignCurrencyCommon, CreditTopupCommon, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sell_on_the_website()
        website = cls.env["website"].search([("company_id", "=", cls.company.id)], limit=1)
        # the customer buys in dollars on the agency's website, as Odoo's shop prices
        cls.customer.property_product_pricelist = cls.env["product.pricelist"].create(
            {
                "name": "Dollars",
                "currency_id": cls.usd.id,
                "company_id": cls.company.id,
                "website_id": website.id,
            }
        )

    def test_a_dollar_customer_buys_dollar_credits_and_pays_a_dollar_invoice(self):
        self.adjust(self.wallet, 100.0)
        invoice = self.dollar_invoice(3.51)

        self.start_tour("/my/credits", "credit_wallet_foreign_currency_tour", login="portal_ada")

        self.assertEqual(self.wallet.balance, 518.0)
        purchase = self.env["payment.transaction"].search(
            [("credit_wallet_id", "=", self.wallet.id)]
        )
        self.assertRecordValues(
            purchase,
            [
                {
                    "state": "done",
                    "amount": 45.0,
                    "currency_id": self.usd.id,
                    "credit_amount": 450.0,
                    "credit_bonus": 45.0,
                }
            ],
        )
        self.assertEqual(invoice.payment_state, "paid")
        self.assertRecordValues(self.spend_entries(), [{"amount": -32.0, "running_balance": 518.0}])
        self.assert_invariants()
