"""The screenshots of the Odoo Apps page (static/description), taken by browser tours.

Each page is visited by a tour that checks what it shows (static/tests/tours/
credit_wallet_screenshot_tour.js), on the demo data, and captured in headless Chromium at
1440x900. With CREDIT_WALLET_SCREENSHOTS naming a directory, the captures are saved there
(README.md, "Tests and benchmarks in this repository"); without it nothing is written.
"""

import base64
import io
import os
import pathlib
from unittest import SkipTest
from unittest.mock import patch

from PIL import Image

from odoo.tests import HttpCase, common, tagged

SCREENSHOTS_DIR_VARIABLE = "CREDIT_WALLET_SCREENSHOTS"
# wide enough for the four columns of the credit requests kanban
WIDTH, HEIGHT = 1440, 900
MAX_PNG_BYTES = 250_000  # the Apps page loads all six


class CapturingBrowser(common.ChromeBrowser):
    """Odoo's headless Chrome that also captures the page once the tour succeeded, while it
    still shows the tour's last state (browser_js closes the browser right after)."""

    # Odoo's _wait_code_ok returns nothing: it raises when the tour failed
    def _wait_code_ok(self, code, timeout, error_checker=None):  # pylint: disable=missing-return
        super()._wait_code_ok(code, timeout, error_checker=error_checker)
        answer = self._websocket_request("Page.captureScreenshot", params={"format": "png"})
        self.test_case.captured_png = base64.b64decode(answer["data"])


@tagged("post_install", "-at_install")
class TestCreditScreenshots(HttpCase):
    browser_size = f"{WIDTH}x{HEIGHT}"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.wallet = cls.env.ref("credit_wallet.demo_wallet_northwind", raise_if_not_found=False)
        if not cls.wallet:
            raise SkipTest("The screenshots show the demo data, which this database lacks.")
        cls.invoice = cls.env.ref("credit_wallet.demo_invoice_seo")
        cls.output_dir = os.environ.get(SCREENSHOTS_DIR_VARIABLE)
        # the demo's queue holds a pending and a rejected request of Northwind Studio; Harbor
        # Retail adds an accepted one and, once proofs are required, one awaiting its proof
        cls.env["credit.request.accept"].create(
            {"request_id": cls.open_request("payment.payment_provider_transfer").id}
        ).action_accept()
        cls.wallet.company_id.credit_proof_required = True
        cls.open_request("credit_wallet.payment_provider_crypto")

    @classmethod
    def open_request(cls, provider_xmlid):
        """Harbor Retail buys the Agency Retainer package with the provider, as the Buy Credits
        page does: the purchase waits and its credit request opens."""
        provider = cls.env.ref(provider_xmlid)
        package = cls.env.ref("credit_wallet.demo_package_agency")
        customer = cls.env.ref("credit_wallet.demo_partner_harbor_iris")
        tx = cls.env["payment.transaction"]._credit_create_purchase(
            {
                "provider_id": provider.id,
                "payment_method_id": provider.payment_method_ids[:1].id,
                "amount": package.price,
                "currency_id": package.currency_id.id,
                "partner_id": customer.id,
                "operation": "online_redirect",
                "credit_wallet_id": cls.env["credit.wallet"]._get_or_create_wallet(customer).id,
                "credit_package_id": package.id,
                "credit_amount": package.credit_amount,
            }
        )
        tx._set_pending()
        return cls.env["credit.request"].search([("payment_transaction_id", "=", tx.id)])

    def capture(self, name, url, tour, login, height=HEIGHT):
        """Run ``tour`` from ``url`` as ``login``; save the top ``height`` pixels of the page
        as screenshot_<name>.png."""
        self.captured_png = None
        # browser_js starts Odoo's ChromeBrowser itself: this one captures before closing
        with patch.object(common, "ChromeBrowser", CapturingBrowser):
            self.start_tour(url, tour, login=login)
        image = Image.open(io.BytesIO(self.captured_png))
        self.assertEqual(image.size, (WIDTH, HEIGHT), f"{name}: the window size")
        # a 256-colour palette keeps screenshots of pages sharp at a third of their size
        png = io.BytesIO()
        image.crop((0, 0, WIDTH, height)).convert("RGB").quantize(256).save(
            png, format="PNG", optimize=True
        )
        self.assertLess(png.tell(), MAX_PNG_BYTES, f"{name}: the size of the PNG")
        if self.output_dir:
            pathlib.Path(self.output_dir, f"screenshot_{name}.png").write_bytes(png.getvalue())

    def test_portal_and_backend_pages_of_the_apps_page(self):
        # the pages show what the demo prepared: a wallet with a history, an open invoice
        # the balance covers, requests in each status
        self.assertGreater(len(self.wallet.entry_ids), 10)
        self.assertEqual(self.invoice.payment_state, "not_paid")
        self.assertGreater(self.wallet.balance, self.invoice.amount_residual)
        requests = self.env["credit.request"].search([])
        self.assertEqual(
            set(requests.mapped("state")), {"awaiting_proof", "pending", "accepted", "rejected"}
        )
        balance = self.wallet.balance

        self.capture(
            "portal_credits", "/my/credits", "credit_wallet_screenshot_credits", "customer"
        )
        self.capture("portal_buy", "/my/credits/buy", "credit_wallet_screenshot_buy", "customer")
        self.capture(
            "portal_invoice_pay",
            self.invoice.get_portal_url(),
            "credit_wallet_screenshot_invoice",
            "customer",
        )
        self.capture(
            "backend_ledger",
            "/odoo/action-credit_wallet.credit_ledger_entry_action",
            "credit_wallet_screenshot_ledger",
            "admin",
        )
        self.capture(
            "backend_requests",
            "/odoo/action-credit_wallet.credit_request_action",
            "credit_wallet_screenshot_requests",
            "admin",
        )
        self.capture(
            "backend_reconciliation",
            "/odoo/action-credit_wallet.credit_reconciliation_report_action",
            "credit_wallet_screenshot_reconciliation",
            "admin",
            height=240,  # one line a company
        )

        # the visits only looked: the invoice is still open, the wallet unchanged
        self.invoice.invalidate_recordset()
        self.wallet.invalidate_recordset()
        self.assertEqual(self.invoice.payment_state, "not_paid")
        self.assertEqual(self.wallet.balance, balance)
