"""The receipt of a credit purchase: what it says, who gets it (portal, email, backend) and
who does not."""

import base64
import threading
from unittest.mock import patch

from freezegun import freeze_time
from lxml import html

from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, tagged
from odoo.tools import config, mute_logger

from odoo.addons.credit_wallet.models.payment_transaction_purchase import RECEIPT_REPORT

from .test_purchase_life import CreditPurchaseLifeCommon

PURCHASE_LOGGER = "odoo.addons.credit_wallet.models.payment_transaction_purchase"


class CreditReceiptCommon(CreditPurchaseLifeCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write({"vat": "BE0477472701", "company_registry": "0477.472.701"})
        cls.env["res.lang"]._activate_lang("fr_FR")
        cls.contact.write({"lang": "fr_FR", "tz": "Asia/Tokyo"})

    def buy_growth(self):
        """Growth (100.00 for 120.00 credits) paid on 3 May 2026 at 20:00 UTC, 4 May in Tokyo."""
        with freeze_time("2026-05-03 20:00:00"):
            return self.buy(self.bonus_package)

    def receipt_text(self, tx, user=None):
        """The receipt's text as the report engine renders it (HTML in tests), one line."""
        reports = self.env["ir.actions.report"].with_user(user or self.env.user)
        content, _format = reports._render_qweb_pdf(RECEIPT_REPORT, tx.ids)
        return self.text_of(content)

    def text_of(self, content):
        return " ".join(html.fromstring(content).text_content().split())

    def plain_payment(self):
        """A done payment of the demo provider that buys no credits (Odoo's test helper)."""
        tx = self._create_transaction(
            "direct",
            amount=10.0,
            currency_id=self.company.currency_id.id,
            partner_id=self.contact.id,
            payment_method_id=self.payment_method.id,
        )
        self.notify_demo(tx, "done")
        return tx

    def mail_of(self, tx):
        return self.env["mail.mail"].search([("model", "=", tx._name), ("res_id", "=", tx.id)])


@tagged("post_install", "-at_install")
class TestCreditReceipt(CreditReceiptCommon):
    def test_receipt_shows_the_purchase_its_credits_and_the_agency_tax_details(self):
        tx = self.buy_growth()

        text = self.receipt_text(tx)

        for expected in (
            f"Receipt {tx.reference}",
            "04/05/2026",  # the customer's day (Tokyo), in French
            "Brightline Ltd",
            f"Paid by {self.contact.name}",
            self.provider.name,
            self.payment_method.name,
            "Growth",
            "Amount Paid $ 100,00",
            "Credits Bought 120,00",
            "of which bonus 20,00",
            f"Issued by {self.company.name}, Tax ID: BE0477472701, Company ID: 0477.472.701.",
        ):
            self.assertIn(expected, text)
        self.assertIn("Prepaid credits: not a tax invoice.", text)
        self.assertNotIn("Refunds", text)

    def test_receipt_lists_the_refunds_of_the_purchase(self):
        tx = self.buy_growth()
        self.contact.lang = "en_US"
        refund = self.record_refund(tx, 40.0, "Chargeback of 5 May")

        text = self.receipt_text(tx)

        self.assertIn("Refunds", text)
        self.assertIn(refund.reference, text)
        self.assertIn("$ 40.00", text)  # money refunded
        self.assertIn("48.00", text)  # 40 credits and 8 of the bonus taken back
        self.assertEqual(self.wallet.balance, 72.0)
        self.assert_invariants()

    def test_no_receipt_without_granted_credits(self):
        self.company.credit_test_payments_allowed = False
        not_granted = self.buy(self.package)
        pending = self.create_credit_tx(self.package)
        self.notify_demo(pending, "pending")
        other_payment = self.plain_payment()
        self.assertEqual(not_granted.state, "done")

        with self.assert_nothing_changed():
            for tx, reason in (
                (not_granted, "its credits were not granted"),
                (pending, "its credits were not granted"),
                (other_payment, "is not a credit purchase"),
            ):
                with self.assertRaisesRegex(UserError, reason):
                    tx.with_user(self.manager).action_credit_print_receipt()
                with self.assertRaisesRegex(UserError, reason):
                    self.receipt_text(tx)
        self.assertEqual(self.wallet.balance, 0.0)

    def test_credit_managers_and_accountants_print_the_receipt_of_a_purchase(self):
        tx = self.buy_growth()

        action = tx.with_user(self.manager).action_credit_print_receipt()

        self.assertEqual(action["type"], "ir.actions.report")
        self.assertEqual(action["report_name"], "credit_wallet.report_credit_purchase_receipt")
        self.assertEqual(action["context"]["active_ids"], tx.ids)
        # an accountant without credit rights prints it too, from the same data
        self.assertIn(tx.reference, self.receipt_text(tx, user=self.billing_user))
        # the Print menu offers it on credit purchases only
        report = self.env.ref(RECEIPT_REPORT)
        self.assertEqual(report.binding_model_id.model, "payment.transaction")
        self.assertEqual(report.get_valid_action_reports(tx._name, tx.ids), report.ids)
        other_payment = self.plain_payment()
        self.assertEqual(report.get_valid_action_reports(tx._name, other_payment.ids), [])
        self.assertEqual(
            report._render_qweb_pdf(RECEIPT_REPORT, tx.ids)[0],
            self.env["ir.actions.report"]._render_qweb_pdf(RECEIPT_REPORT, tx.ids)[0],
        )

    def test_users_who_cannot_read_the_purchase_get_no_receipt(self):
        tx = self.buy_growth()
        attachments = self.env["ir.attachment"].search_count([])

        with self.assert_nothing_changed():
            for user in (self.credit_user, self.portal_user):
                with self.assertRaises(AccessError):
                    tx.with_user(user).action_credit_print_receipt()
                with self.assertRaises(AccessError):
                    self.receipt_text(tx, user=user)
        self.assertEqual(self.env["ir.attachment"].search_count([]), attachments)

    def test_confirmation_email_attaches_the_receipt(self):
        tx = self.buy_growth()

        mail = self.mail_of(tx)
        self.assertEqual(len(mail), 1)
        self.assertEqual(len(mail.attachment_ids), 1)
        # a PDF in production; Odoo's report engine gives the HTML page in tests
        self.assertEqual(mail.attachment_ids.name, f"Reçu {tx.reference}.html")
        receipt = self.text_of(base64.b64decode(mail.attachment_ids.datas))
        # the file is named in the customer's language; the module's French terms of the
        # page itself are not loaded in this database
        self.assertIn(f"Receipt {tx.reference}", receipt)
        self.assertIn("Your receipt is attached", mail.body_html)

    @mute_logger(PURCHASE_LOGGER)
    def test_without_wkhtmltopdf_the_credits_and_email_come_without_the_receipt(self):
        # as in production without wkhtmltopdf: Odoo's report engine refuses to print a PDF
        with (
            patch.dict(config.options, {"test_enable": False, "test_file": False}),
            patch.object(
                type(self.env["ir.actions.report"]),
                "get_wkhtmltopdf_state",
                lambda _self: "install",
            ),
        ):
            tx = self.buy_growth()

        self.assertEqual(self.wallet.balance, 120.0)
        self.assertFalse(tx.credit_issue)
        mail = self.mail_of(tx)
        self.assertEqual(len(mail), 1)
        self.assertFalse(mail.attachment_ids)
        self.assertIn("You can download your receipt from your credit history", mail.body_html)
        self.assert_invariants()


@tagged("post_install", "-at_install")
class TestCreditReceiptPortal(CreditReceiptCommon, HttpCase):
    def receipt_url(self, tx):
        return f"/my/credits/receipt/{tx.id}"

    def test_history_links_the_purchase_to_its_receipt(self):
        tx = self.buy_growth()
        self.adjust(self.wallet, 5.0, "Goodwill")
        self.authenticate("portal_ada", "portal_ada")

        page = html.fromstring(self.url_open("/my/credits").content)

        rows = page.xpath("//tr[hasclass('o_credit_wallet_entry')]")
        links = [row.xpath(".//a[hasclass('o_credit_wallet_receipt')]/@href") for row in rows]
        descriptions = [
            " ".join(
                row.xpath("./td[hasclass('o_credit_wallet_description')]")[0].text_content().split()
            )
            for row in rows
        ]
        self.assertEqual(
            list(zip(descriptions, links, strict=True)),
            [
                ("Adjustment: Goodwill", []),
                ("Bonus credits: Growth", []),
                ("Credit purchase: Growth", [self.receipt_url(tx)]),
            ],
        )

    def test_customer_downloads_the_receipt_of_their_purchase(self):
        tx = self.buy_growth()
        self.new_colleague_portal_user()

        for login in ("portal_ada", "portal_bea"):  # contacts of a company share its wallet
            self.authenticate(login, login)
            response = self.url_open(self.receipt_url(tx))
            self.assertEqual(response.status_code, 200)
            # a PDF in production; the printable page where Odoo renders HTML (tests)
            self.assertIn(
                response.headers["Content-Type"], ("application/pdf", "text/html; charset=utf-8")
            )
            text = self.text_of(response.content)
            self.assertIn(f"Receipt {tx.reference}", text)
            self.assertIn("120,00", text)

    def test_receipts_of_others_and_of_what_is_not_a_granted_purchase_are_not_found(self):
        tx = self.buy_growth()
        other_tx = self.create_credit_tx(self.package, partner=self.other_contact)
        self.notify_demo(other_tx, "done")
        pending = self.create_credit_tx(self.package)
        self.notify_demo(pending, "pending")
        not_a_purchase = self.plain_payment()
        self.env.flush_all()
        attachments = self.env["ir.attachment"].search_count([])
        mails = self.env["mail.mail"].search_count([])
        self.authenticate("portal_ada", "portal_ada")

        with self.assert_nothing_changed():
            for url in (
                self.receipt_url(other_tx),
                self.receipt_url(pending),
                self.receipt_url(not_a_purchase),
                "/my/credits/receipt/999999999",
            ):
                self.assertEqual(self.url_open(url).status_code, 404, url)
            # credit payments turned off: no receipt either, as no Credits page
            self.company.credit_payment_enabled = False
            self.assertEqual(self.url_open(self.receipt_url(tx)).status_code, 404)
            self.company.credit_payment_enabled = True
            # the other customer reads their own only
            self.authenticate("portal_hugo", "portal_hugo")
            self.assertEqual(self.url_open(self.receipt_url(tx)).status_code, 404)
            self.assertEqual(self.url_open(self.receipt_url(other_tx)).status_code, 200)
            # signed out: the login page
            self.authenticate(None, None)
            response = self.url_open(self.receipt_url(tx), allow_redirects=False)
            self.assertEqual(response.status_code, 303)
            self.assertIn("/web/login", response.headers["Location"])

        self.assertEqual(self.env["ir.attachment"].search_count([]), attachments)
        self.assertEqual(self.env["mail.mail"].search_count([]), mails)

    def test_confirmation_email_is_written_once_the_grant_has_committed(self):
        # as a server does: not a test thread, the registry serving requests normally
        with (
            patch.object(threading.current_thread(), "testing", False),
            patch.object(type(self.env.registry), "in_test_mode", lambda _self: False),
        ):
            tx = self.buy_growth()
            self.assertEqual(self.wallet.balance, 120.0)
            self.assertFalse(self.mail_of(tx), "nothing is printed under the wallet's lock")

            self.env.cr.postcommit.run()  # what the commit of the grant runs

        self.env.invalidate_all()
        mail = self.mail_of(tx)
        self.assertEqual(len(mail), 1)
        self.assertEqual(mail.attachment_ids.name, f"Reçu {tx.reference}.html")
