"""Back on the Credits page after buying: what the purchase added, or that it waits for the
agency, said once, from the session's own purchase and the ledger (never from the URL); and
the purchase in the history under the reference its request and emails give."""

from urllib.parse import urlencode

from odoo.http import root
from odoo.tests import tagged

from odoo.addons.payment.controllers.post_processing import PaymentPostProcessing

from .test_request_portal import CreditRequestPortalCase

NOTICE = "//*[hasclass('o_credit_purchase_notice')]"


@tagged("post_install", "-at_install")
class TestBuyNotice(CreditRequestPortalCase):
    def setUp(self):
        super().setUp()
        self.authenticate("portal_ada", "portal_ada")

    def buy_with_card(self, package, state="done"):
        """Buy ``package`` with the demo provider from its Buy Credits page, as the payment
        form does, and let the provider answer ``state``."""
        page = self.get_page(f"/my/credits/buy?{urlencode({'package_id': package.id})}")
        [form] = page.xpath("//form[@id='o_payment_form']")
        result, error = self.call_route(
            form.get("data-transaction-route"),
            self.buy_transaction_params(
                {"amount": form.get("data-amount"), "access_token": form.get("data-access-token")}
            ),
        )
        self.assertFalse(error)
        tx = self.env["payment.transaction"].search([("reference", "=", result["reference"])])
        self.notify_demo(tx, state)
        return tx

    def notice(self, url="/my/credits"):
        tree = self.get_page(url)
        return " ".join(tree.xpath(f"string({NOTICE})").split()), tree.xpath(f"{NOTICE}/@class")

    def test_a_paid_purchase_says_once_what_it_added_bonus_included(self):
        self.buy_with_card(self.bonus_package)

        message, classes = self.notice()

        self.assertEqual(
            message,
            "Thank you: 120.00 credits were added to your balance, 20.00 of them bonus.",
        )
        self.assertIn("alert-success", classes[0])
        self.assertEqual(self.notice(), ("", []), "said once")

    def test_a_purchase_without_bonus_says_what_it_added(self):
        self.buy_with_card(self.package)

        self.assertEqual(self.notice()[0], "Thank you: 100.00 credits were added to your balance.")

    def test_the_next_purchase_is_told_too(self):
        self.buy_with_card(self.package)
        self.notice()
        self.buy_with_card(self.bonus_package)

        self.assertIn("120.00 credits were added", self.notice()[0])

    def test_a_transfer_purchase_says_it_waits_for_the_agency(self):
        _status, tx = self.buy(self.bonus_package, self.transfer, self.transfer_method)

        tree = self.get_page("/my/credits")

        self.assertEqual(
            " ".join(tree.xpath(f"string({NOTICE})").split()),
            f"Your purchase {tx.reference} of 120.00 credits waits for us: the credits are "
            "added once we have received your payment. Where to send your payment",
        )
        self.assertEqual(tree.xpath(f"{NOTICE}//a/@href"), ["/my/credits/requests"])
        self.assertEqual(self.wallet.balance, 0.0)

    def test_a_paid_purchase_whose_credits_wait_says_so(self):
        # test payments grant nothing here: the credit managers are told
        self.company.credit_test_payments_allowed = False
        tx = self.buy_with_card(self.bonus_package)
        self.assertEqual(tx.state, "done")

        message, classes = self.notice()

        self.assertEqual(
            message,
            f"Your payment {tx.reference} was received, but its credits are not added yet: we "
            "have been told and add them shortly.",
        )
        self.assertIn("alert-warning", classes[0])

    def test_no_notice_for_an_unpaid_purchase_nor_from_the_url(self):
        self.buy_with_card(self.bonus_package, state="cancel")

        self.assertEqual(
            self.notice("/my/credits?credits=1200&bonus=200&message=Thank+you"), ("", [])
        )
        self.assertEqual(self.wallet.balance, 0.0)

    def test_another_wallets_purchase_in_the_session_says_nothing(self):
        hugo_tx = self.create_credit_tx(self.bonus_package, partner=self.other_contact)
        self.notify_demo(hugo_tx)
        self.session[PaymentPostProcessing.MONITORED_TX_ID_KEY] = hugo_tx.id
        root.session_store.save(self.session)

        self.assertEqual(self.notice(), ("", []))
        self.assertNotIn("120.00", self.get_page("/my/credits").text_content())

    def test_the_history_names_a_purchase_by_its_payment_reference(self):
        tx = self.buy_with_card(self.bonus_package)

        rows = self.get_page("/my/credits").xpath("//tr[hasclass('o_credit_wallet_entry')]")

        self.assertEqual(
            [
                (
                    self.text(row, "./td[hasclass('o_credit_wallet_description')]"),
                    self.text(row, "./td[hasclass('o_credit_wallet_reference')]"),
                )
                for row in rows
            ],
            # the purchase's row has its receipt beside the reference
            [
                ("Bonus credits: Growth", tx.reference),
                ("Credit purchase: Growth", f"{tx.reference} Receipt"),
            ],
        )
