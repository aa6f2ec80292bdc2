from freezegun import freeze_time

from odoo.tests import HttpCase, tagged

from .common import CreditWalletCommon
from .test_request import CreditRequestCommon


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


@tagged("post_install", "-at_install")
class TestCreditPhoneTour(CreditRequestCommon, HttpCase):
    browser_size = "375x667"
    touch_enabled = True

    def test_on_a_phone_amounts_balances_and_requests_are_in_view(self):
        for number in range(1, 5):
            self.adjust(self.wallet, 1000.0, f"Retainer top-up for the quarter {number}")
            self.adjust(self.wallet, -960.0, f"Brand workshop and landing page copy {number}")
        self.assertEqual(self.wallet.balance, 160.0)
        self.reject(
            self.open_request(self.package),
            reason="No payment with this reference reached our wallet within 14 days.",
        )
        accepted = self.open_request(self.package)
        self.accept(accepted)
        pending = self.open_request(self.bonus_package)
        # attached by the customer, as the upload form does
        pending.with_user(self.portal_user).sudo()._add_proof(
            "receipt.pdf", b"%PDF-1.4 receipt", "application/pdf"
        )
        self.adjust(self.wallet, -90.0, "Stock photo licences")
        self.assertEqual(self.wallet.balance, 170.0)

        self.start_tour("/my/credits", "credit_wallet_phone_tour", login="portal_ada")
