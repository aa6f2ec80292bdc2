from psycopg2 import IntegrityError

from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import CreditBuyPageCase, CreditTopupCommon


@tagged("post_install", "-at_install")
class TestCreditTopup(CreditTopupCommon):
    def test_done_payment_credits_wallet_through_a_payment_on_customer_credit(self):
        tx = self.create_credit_tx(self.package)
        self.assertRegex(tx.reference, rf"^CREDIT-{self.wallet.id}-\d+$")
        # each purchase draws its own number: purchases started at once never collide
        self.assertNotEqual(self.create_credit_tx(self.package).reference, tx.reference)

        self.notify_demo(tx, "done")

        self.assertEqual(tx.state, "done")
        self.assertEqual(self.wallet.balance, 100.0)
        entry = self.credit_entries(tx)
        self.assertRecordValues(
            entry,
            [
                {
                    "kind": "purchase",
                    "entry_type": "in",
                    "amount": 100.0,
                    "running_balance": 100.0,
                    "wallet_id": self.wallet.id,
                    "reference_name": f"Starter ({tx.reference})",
                }
            ],
        )
        self.assertEqual(entry.reference, tx)
        # Dr the provider's outstanding receipts / Cr Customer Credit, as one account.payment
        payment = tx.payment_id
        self.assertRecordValues(
            payment,
            [
                {
                    "payment_type": "inbound",
                    "partner_type": "customer",
                    "partner_id": self.customer.id,
                    "amount": 100.0,
                    "journal_id": self.provider.journal_id.id,
                    "destination_account_id": self.credit_account.id,
                    "payment_transaction_id": tx.id,
                }
            ],
        )
        self.assertEqual(entry.move_id, payment.move_id)
        self.assertEqual(entry.move_id.state, "posted")
        self.assertRecordValues(
            entry.move_id.line_ids.sorted("balance"),
            [
                {"account_id": self.credit_account.id, "balance": -100.0},
                {"account_id": self.outstanding_account.id, "balance": 100.0},
            ],
        )
        self.assertEqual(entry.move_id.line_ids.partner_id, self.customer)
        self.assert_invariants()

    def test_bonus_credits_are_a_second_entry_against_the_bonus_account(self):
        tx = self.create_credit_tx(self.bonus_package)
        self.notify_demo(tx, "done")

        self.assertEqual(self.wallet.balance, 120.0)
        purchase, bonus = self.credit_entries(tx).sorted("id")
        self.assertRecordValues(
            purchase + bonus,
            [
                {"kind": "purchase", "amount": 100.0, "running_balance": 100.0},
                {"kind": "bonus", "amount": 20.0, "running_balance": 120.0},
            ],
        )
        self.assertEqual(purchase.move_id, tx.payment_id.move_id)
        self.assertRecordValues(
            bonus.move_id.line_ids.sorted("balance"),
            [
                {"account_id": self.credit_account.id, "balance": -20.0},
                {"account_id": self.adjustment_account.id, "balance": 20.0},
            ],
        )
        self.assertEqual(bonus.move_id.journal_id, self.credit_journal)
        self.assertEqual(self.credit_account_balance(), 120.0)
        self.assert_invariants()

    def test_post_processing_keeps_the_single_payment(self):
        tx = self.create_credit_tx(self.bonus_package)
        self.notify_demo(tx, "done")
        payment = tx.payment_id

        tx._post_process()
        tx._post_process()

        self.assertTrue(tx.is_post_processed)
        self.assertEqual(
            self.env["account.payment"].search([("payment_transaction_id", "=", tx.id)]), payment
        )
        self.assertEqual(len(self.credit_entries(tx)), 2)
        self.assertEqual(self.wallet.balance, 120.0)
        self.assert_invariants()

    def test_every_repeated_notification_and_post_processing_credits_once(self):
        tx = self.create_credit_tx(self.bonus_package)
        for _attempt in range(5):
            self.notify_demo(tx, "done")
            tx._post_process()
            tx._credit_grant()

        self.assertEqual(len(self.credit_entries(tx)), 2)
        self.assertEqual(self.wallet.balance, 120.0)
        self.assertEqual(
            self.env["mail.mail"].search_count([("model", "=", tx._name), ("res_id", "=", tx.id)]),
            1,
        )
        self.assert_invariants()

    @mute_logger("odoo.addons.credit_wallet.models.payment_transaction")
    def test_post_processing_credits_a_purchase_whose_crediting_failed_at_first(self):
        tx = self.create_credit_tx(self.package)
        self.customer.action_archive()
        self.notify_demo(tx, "done")
        self.assertEqual(tx.state, "done")
        self.assertFalse(self.credit_entries(tx))
        self.assertIn("archived", tx.credit_issue)

        self.customer.action_unarchive()
        tx._post_process()

        self.assertEqual(self.wallet.balance, 100.0)
        self.assertEqual(self.credit_entries(tx).kind, "purchase")
        self.assertFalse(tx.credit_issue)
        self.assert_invariants()

    def test_database_refuses_a_second_purchase_entry_for_a_transaction(self):
        tx = self.create_credit_tx(self.package)
        self.notify_demo(tx, "done")

        with self.assertRaises(IntegrityError), mute_logger("odoo.sql_db"):
            self.wallet._post_movement(
                100.0, "Forged second credit", kind="purchase", payment_transaction=tx
            )
            self.env.flush_all()

    def test_failed_cancelled_and_pending_payments_credit_nothing(self):
        Mail = self.env["mail.mail"]
        mails_before = Mail.search([])  # the demo's own purchases emailed their customers
        for state in ("error", "cancel", "pending"):
            tx = self.create_credit_tx(self.package)
            self.notify_demo(tx, state)
            tx._post_process()
            self.assertEqual(tx.state, state)
            self.assertFalse(self.credit_entries(tx))
            self.assertFalse(tx.payment_id)
        self.assertEqual(self.wallet.balance, 0.0)
        self.assertFalse(
            (Mail.search([("model", "=", "payment.transaction")]) - mails_before).filtered(
                lambda mail: "credits" in (mail.subject or "")
            )
        )
        self.assert_invariants()

    def test_authorized_payment_credits_only_once_captured(self):
        self.provider.capture_manually = True
        tx = self.create_credit_tx(self.package)
        self.notify_demo(tx, "done")
        tx._post_process()
        self.assertEqual(tx.state, "authorized")
        self.assertFalse(self.credit_entries(tx))
        self.assertEqual(self.wallet.balance, 0.0)

        tx._send_capture_request()

        self.assertEqual(tx.state, "done")
        self.assertEqual(self.wallet.balance, 100.0)
        self.assert_invariants()

    def test_confirmation_email_gives_the_new_balance(self):
        self.adjust(self.wallet, 30.0)
        tx = self.create_credit_tx(self.bonus_package)
        self.notify_demo(tx, "done")

        mail = self.env["mail.mail"].search([("model", "=", tx._name), ("res_id", "=", tx.id)])
        self.assertEqual(len(mail), 1)
        self.assertIn(self.contact, mail.recipient_ids)
        self.assertIn("150.00", mail.body_html)  # 30 + 100 + 20 bonus
        self.assertIn(tx.reference, mail.body_html)

    def test_custom_amount_grants_as_many_credits(self):
        tx = self.create_credit_tx(package=False, amount=75.0)
        self.notify_demo(tx, "done")

        self.assertEqual(self.wallet.balance, 75.0)
        self.assertEqual(self.credit_entries(tx).reference_name, f"Custom amount ({tx.reference})")
        self.assert_invariants()

    @mute_logger("odoo.addons.credit_wallet.models.payment_transaction")
    def test_transaction_of_another_customer_credits_nothing(self):
        wallet_of_someone_else = self.other_wallet
        tx = self.create_credit_tx(self.package, credit_wallet_id=wallet_of_someone_else.id)
        self.notify_demo(tx, "done")
        tx._post_process()

        self.assertEqual(tx.state, "done")  # the payment itself is not lost
        self.assertFalse(self.credit_entries(tx))
        self.assertIn("does not match the wallet", tx.credit_issue)
        self.assertEqual(self.other_wallet.balance, 0.0)
        self.assertEqual(self.wallet.balance, 0.0)
        # Odoo's post-processing booked the money on the customer's receivable
        self.assertEqual(
            tx.payment_id.destination_account_id, self.customer.property_account_receivable_id
        )
        self.assert_invariants()

    def test_purchases_bonuses_spending_and_reversal_keep_the_books_equal(self):
        for package in (self.package, self.bonus_package, self.bonus_package):
            self.notify_demo(self.create_credit_tx(package), "done")
        other_tx = self.create_credit_tx(self.bonus_package, partner=self.other_contact)
        self.notify_demo(other_tx, "done")
        self.adjust(self.wallet, -90.0)
        self.credit_entries(other_tx).filtered(lambda e: e.kind == "bonus").action_reverse()

        self.assertEqual(self.wallet.balance, 100.0 + 120.0 + 120.0 - 90.0)
        self.assertEqual(self.other_wallet.balance, 100.0)
        self.assertEqual(self.credit_account_balance(), 350.0)
        self.assert_invariants()


@tagged("post_install", "-at_install")
class TestCreditBuyRoutes(CreditBuyPageCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Package = cls.env["credit.package"]
        cls.unpublished = Package.create({"name": "Hidden", "credit_amount": 9.0, "price": 9.0})
        cls.archived = Package.create(
            {"name": "Retired", "credit_amount": 8.0, "price": 8.0, "is_published": True}
        )
        cls.archived.action_archive()
        cls.other_company = cls.env["res.company"].create({"name": "Elsewhere Agency"})
        cls.other_company_package = Package.sudo().create(
            {
                "name": "Foreign",
                "credit_amount": 7.0,
                "price": 7.0,
                "is_published": True,
                "company_id": cls.other_company.id,
            }
        )

    def assert_refused(self, route, params, message):
        with (
            self.assert_nothing_changed("a refused request changes nothing"),
            mute_logger("odoo.http"),
        ):
            answer = self.jsonrpc(route, params)
        self.assertNotIn("result", answer)
        self.assertIn(message, answer["error"]["data"]["message"])

    # the page ----------------------------------------------------------------

    def test_buy_page_lists_the_published_packages_of_the_company(self):
        page = self.open_buy_page()
        names = [name.text_content().strip() for name in page.xpath("//*[@data-package-id]//h5")]
        self.assertEqual(names, ["Starter", "Growth"])
        self.assertIn("20.00", page.xpath("string(//form[hasclass('o_credit_custom_amount')])"))
        self.assertFalse(page.xpath("//form[@id='o_payment_form']"), "no package chosen yet")

    def test_choosing_a_package_opens_the_payment_form_for_its_price(self):
        form = self.payment_form(package_id=self.bonus_package.id)
        self.assertEqual(float(form["amount"]), 100.0)
        self.assertEqual(int(form["currency_id"]), self.company.currency_id.id)
        self.assertEqual(
            form["transaction_route"], f"/my/credits/transaction/{self.bonus_package.id}"
        )
        page = self.open_buy_page(package_id=self.bonus_package.id)
        self.assertTrue(
            page.xpath(f"//input[@name='o_payment_radio'][@data-provider-id='{self.provider.id}']")
        )

    def test_unavailable_package_or_amount_shows_an_error_and_no_payment_form(self):
        for params in (
            {"package_id": self.unpublished.id},
            {"package_id": self.archived.id},
            {"package_id": self.other_company_package.id},
            {"package_id": "abc"},
            {"amount": "5"},
            {"amount": "5000"},
            {"amount": "lots"},
            {"amount": "nan"},
        ):
            with self.subTest(params=params):
                page = self.open_buy_page(**params)
                self.assertTrue(page.xpath("//*[hasclass('o_credit_buy_error')]"))
                self.assertFalse(page.xpath("//form[@id='o_payment_form']"))

    def test_buy_page_needs_credit_payments_enabled(self):
        self.company.credit_payment_enabled = False
        response = self.url_open("/my/credits/buy", allow_redirects=False)
        self.assertEqual(response.status_code, 303)
        self.assertTrue(response.headers["Location"].endswith("/my"))

    # the transaction route ---------------------------------------------------

    def test_transaction_route_creates_the_purchase_from_server_values(self):
        form = self.payment_form(package_id=self.bonus_package.id)
        answer = self.jsonrpc(form["transaction_route"], self.buy_transaction_params(form))

        self.assertIn("result", answer, answer.get("error"))
        tx = self.env["payment.transaction"].search(
            [("reference", "=", answer["result"]["reference"])]
        )
        self.assertRecordValues(
            tx,
            [
                {
                    "amount": 100.0,
                    "currency_id": self.company.currency_id.id,
                    "partner_id": self.contact.id,
                    "provider_id": self.provider.id,
                    "credit_wallet_id": self.wallet.id,
                    "credit_package_id": self.bonus_package.id,
                    "credit_amount": 120.0,
                    "state": "draft",
                    "landing_route": "/my/credits",
                }
            ],
        )
        self.notify_demo(tx, "done")
        self.assertEqual(self.wallet.balance, 120.0)

    def test_custom_amount_route_grants_the_amount(self):
        form = self.payment_form(amount="42.5")
        self.assertEqual(form["transaction_route"], "/my/credits/transaction/custom")
        answer = self.jsonrpc(form["transaction_route"], self.buy_transaction_params(form))
        tx = self.env["payment.transaction"].search(
            [("reference", "=", answer["result"]["reference"])]
        )
        self.assertRecordValues(
            tx, [{"amount": 42.5, "credit_amount": 42.5, "credit_package_id": False}]
        )

    def test_saved_card_pays_at_once_and_credits_the_wallet(self):
        token = self._create_token(
            partner_id=self.contact.id,
            payment_details="4242",
            provider_ref="demo-token",
            demo_simulated_state="done",
        )
        other_token = token.copy({"partner_id": self.other_contact.id})
        page = self.open_buy_page(package_id=self.package.id)
        self.assertTrue(
            page.xpath(f"//input[@name='o_payment_radio'][@data-payment-option-id='{token.id}']")
        )
        form = self.payment_form(package_id=self.package.id)
        params = self.buy_transaction_params(
            form, flow="token", provider_id=None, payment_method_id=None
        )

        # another customer's saved card is refused
        self.assert_refused(
            form["transaction_route"], dict(params, token_id=other_token.id), "not available"
        )
        answer = self.jsonrpc(form["transaction_route"], dict(params, token_id=token.id))

        self.assertIn("result", answer, answer.get("error"))
        tx = self.env["payment.transaction"].search([("credit_wallet_id", "=", self.wallet.id)])
        self.assertRecordValues(
            tx, [{"state": "done", "token_id": token.id, "operation": "online_token"}]
        )
        self.assertEqual(self.wallet.balance, 100.0)
        self.assertEqual(tx.payment_id.payment_token_id, token)
        self.assert_invariants()

    def test_tampered_transaction_requests_are_refused_and_change_nothing(self):
        self.adjust(self.wallet, 10.0)
        form = self.payment_form(package_id=self.package.id)
        route = form["transaction_route"]
        params = self.buy_transaction_params(form)
        other_provider = self.prepare_credit_provider("demo", company=self.other_company)
        self.other_currency = self.env.ref("base.EUR")
        if self.other_currency == self.company.currency_id:
            self.other_currency = self.env.ref("base.USD")
        cases = [
            ("amount", route, dict(params, amount=1.0), "does not match"),
            ("amount missing", route, dict(params, amount=None), "does not match"),
            ("currency", route, dict(params, currency_id=self.other_currency.id), "whitelisted"),
            ("partner", route, dict(params, partner_id=self.other_contact.id), "whitelisted"),
            ("reference", route, dict(params, reference_prefix="FREE"), "whitelisted"),
            ("validation", route, dict(params, is_validation=True), "not a validation"),
            ("provider", route, dict(params, provider_id=other_provider.id), "not available"),
            ("token", route, dict(params, access_token="forged"), "access token"),
            # the package's own token does not open another package, nor a custom amount
            ("package", f"/my/credits/transaction/{self.bonus_package.id}", params, "access token"),
            ("custom", "/my/credits/transaction/custom", params, "access token"),
        ]
        for package in (self.unpublished, self.archived, self.other_company_package):
            cases.append(
                (package.name, f"/my/credits/transaction/{package.id}", params, "not available")
            )
        cases.append(("no package", "/my/credits/transaction/999999", params, "not available"))
        for amount, message in ((5.0, "between"), (501.0, "between"), ("lots", "a number")):
            custom_params = dict(params, amount=amount)
            cases.append(
                (f"custom {amount}", "/my/credits/transaction/custom", custom_params, message)
            )
        cases.append(
            ("custom nan", "/my/credits/transaction/custom", dict(params, amount="nan"), "a number")
        )
        for label, case_route, case_params, message in cases:
            with self.subTest(label):
                self.assert_refused(case_route, case_params, message)
        self.assertEqual(self.wallet.balance, 10.0)

    def test_transaction_route_needs_credit_payments_enabled(self):
        form = self.payment_form(package_id=self.package.id)
        self.company.credit_payment_enabled = False
        self.assert_refused(
            form["transaction_route"], self.buy_transaction_params(form), "not available"
        )

    def test_custom_amounts_are_refused_when_not_offered(self):
        form = self.payment_form(amount="50")
        self.company.credit_custom_amount_allowed = False
        self.assert_refused(
            form["transaction_route"], self.buy_transaction_params(form), "packages"
        )
