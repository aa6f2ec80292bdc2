from freezegun import freeze_time

from odoo.tests import HttpCase, tagged

from .common import CreditWalletCommon


@tagged("post_install", "-at_install")
class TestCreditPortalTour(CreditWalletCommon, HttpCase):
    def test_customer_reads_balance_pages_history_filters_and_downloads_csv(self):
        with freeze_time("2024-01-15 12:00:00"):
            for number in range(1, 25):
                self.wallet._post_movement(5.0, f"January credit {number}")
        with freeze_time("2024-03-10 12:00:00"):
            self.wallet._post_movement(50.0, "March bonus")
        self.assertEqual(self.wallet.balance, 170.0)

        self.start_tour("/my", "credit_wallet_portal_tour", login="portal_ada")
