from odoo.tests import HttpCase, tagged

from .common import CreditTopupCommon


@tagged("post_install", "-at_install")
class TestCreditBuyTour(CreditTopupCommon, HttpCase):
    def test_portal_customer_buys_a_package_with_the_demo_provider(self):
        self.adjust(self.wallet, 30.0)

        self.start_tour("/my/credits", "credit_wallet_buy_tour", login="portal_ada")

        self.assertEqual(self.wallet.balance, 150.0)
        tx = self.env["payment.transaction"].search([("credit_wallet_id", "=", self.wallet.id)])
        self.assertRecordValues(
            tx, [{"state": "done", "amount": 100.0, "credit_package_id": self.bonus_package.id}]
        )
        self.assertEqual(sorted(self.credit_entries(tx).mapped("kind")), ["bonus", "purchase"])
        self.assert_invariants()
