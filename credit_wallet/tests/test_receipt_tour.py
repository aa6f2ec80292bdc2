from odoo.tests import HttpCase, tagged

from .common import CreditTopupCommon


@tagged("post_install", "-at_install")
class TestCreditReceiptTour(CreditTopupCommon, HttpCase):
    def test_customer_downloads_the_receipt_of_a_purchase_from_the_history(self):
        tx = self.create_credit_tx(self.bonus_package)
        self.notify_demo(tx, "done")
        self.assertEqual(self.wallet.balance, 120.0)

        self.start_tour("/my/credits", "credit_wallet_receipt_tour", login="portal_ada")

        self.assertEqual(self.wallet.balance, 120.0)
