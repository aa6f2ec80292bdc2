"""Where a customer paying by wire transfer or cryptocurrency sends the money, and what the
payment quotes: in the "request received" email and on each waiting request (the status
page is in test_request_portal.py), and the warning the agency gets in Settings when a
provider cannot say it."""

from lxml import html

from odoo.tests import tagged

from .test_request_portal import CreditRequestPortalCase

TRANSFER_DETAILS = {
    "holder": None,  # the company's name, set in setUp
    "bank": "First Harbor Bank",
    "bic": "FHBKUS33XXX",
    "account": "4021 7788 1290 3355",
}


class CreditInstructionsCase(CreditRequestPortalCase):
    def setUp(self):
        super().setUp()
        self.transfer_details = {**TRANSFER_DETAILS, "holder": self.company.partner_id.name}

    def received_email(self, request):
        """The "request received" email in the request's chatter, as the customer gets it."""
        emails = request.message_ids.filtered(
            lambda message: message.subject and "registered" in message.body
        )
        self.assertEqual(len(emails), 1)
        return emails

    def email_details(self, email):
        """{name: value} of the instructions table of an email."""
        tree = html.fromstring(email.body)
        return {
            cls.removeprefix("o_credit_instructions_"): " ".join(cell.text_content().split())
            for cell in tree.xpath("//table[hasclass('o_credit_instructions')]//td[@class]")
            for cls in cell.get("class").split()
            if cls.startswith("o_credit_instructions_")
        }

    def settings_warning(self):
        return self.env["res.config.settings"].create({}).credit_instructions_warning or ""


@tagged("post_install", "-at_install")
class TestInstructionsEmail(CreditInstructionsCase):
    def test_transfer_email_gives_the_bank_account_amount_and_reference(self):
        self.transfer.pending_msg = "<p>Transfers take two working days.</p>"

        request = self.open_request(self.bonus_package)

        tx = request.payment_transaction_id
        email = self.received_email(request)
        self.assertEqual(email.partner_ids, self.contact)
        self.assertEqual(
            email.subject, f"Your credit purchase {tx.reference} at {self.company.name}"
        )
        self.assertNotIn(request.name, email.subject + email.body, "one reference: the payment's")
        self.assertEqual(
            self.email_details(email),
            {**self.transfer_details, "amount": "$ 100.00", "reference": tx.reference},
        )
        self.assertIn("Transfers take two working days.", email.body)

    def test_crypto_email_gives_the_coin_network_address_and_amount(self):
        request = self.open_request(self.package, provider=self.crypto, method=self.crypto_method)

        self.assertEqual(
            self.email_details(self.received_email(request)),
            {
                "amount": "$ 100.00",
                "coin": "USDC",
                "network": "Ethereum (ERC-20)",
                "address": "0xABCDEF0123456789",
                "reference": request.transaction_reference,
            },
        )

    def test_rejection_email_names_the_payment_reference(self):
        request = self.open_request()

        self.reject(request, reason="Nothing arrived.")

        email = request.message_ids.filtered(lambda m: "not accepted" in (m.subject or ""))
        self.assertEqual(
            email.subject, f"Your credit purchase {request.transaction_reference} was not accepted"
        )
        self.assertIn(request.transaction_reference, email.body)
        self.assertNotIn(request.name, email.subject + email.body)


@tagged("post_install", "-at_install")
class TestInstructionsOnRequests(CreditInstructionsCase):
    def setUp(self):
        super().setUp()
        self.authenticate("portal_ada", "portal_ada")

    def group_of(self, tree, request):
        [group] = tree.xpath(f"//tbody[hasclass('o_credit_request_{request.id}')]")
        return group

    def test_each_waiting_request_says_where_to_send_its_payment_decided_ones_do_not(self):
        transfer = self.open_request(self.bonus_package)
        crypto = self.open_request(self.package, provider=self.crypto, method=self.crypto_method)
        accepted = self.open_request(self.package)
        self.accept(accepted)
        rejected = self.open_request(self.package)
        self.reject(rejected)

        tree = self.get_page()

        self.assertEqual(
            self.instructions(self.group_of(tree, transfer)),
            {
                **self.transfer_details,
                "amount": "$ 100.00",
                "reference": transfer.transaction_reference,
            },
        )
        self.assertEqual(
            self.instructions(self.group_of(tree, crypto)),
            {
                "amount": "$ 100.00",
                "coin": "USDC",
                "network": "Ethereum (ERC-20)",
                "address": "0xABCDEF0123456789",
                "reference": crypto.transaction_reference,
            },
        )
        for request in (accepted, rejected):
            self.assertFalse(self.instructions(self.group_of(tree, request)), request.state)

    def test_instructions_are_open_until_a_proof_is_attached(self):
        request = self.open_request()
        collapse = f"//*[@id='o_credit_request_instructions_{request.id}']/@class"
        self.assertIn("show", self.get_page().xpath(collapse)[0].split())

        self.upload(request, "receipt.pdf", b"%PDF-1.4 receipt", "application/pdf")

        tree = self.get_page()
        self.assertNotIn("show", tree.xpath(collapse)[0].split(), "folded: the customer paid")
        self.assertEqual(
            self.instructions(self.group_of(tree, request))["account"], "4021 7788 1290 3355"
        )

    def test_without_its_journals_account_a_transfer_gives_the_companys_bank_accounts(self):
        self.transfer.journal_id.bank_account_id = False
        other_account = self.env["res.partner.bank"].create(
            {"acc_number": "DE89 3704 0044 0532 0130 00", "partner_id": self.company.partner_id.id}
        )
        self.env["account.journal"].create(
            {
                "name": "Second Bank",
                "code": "BNK9",
                "type": "bank",
                "company_id": self.company.id,
                "bank_account_id": other_account.id,
            }
        )

        request = self.open_request()

        details = self.instructions(self.group_of(self.get_page(), request))
        self.assertEqual(details["account"], "DE89 3704 0044 0532 0130 00")
        self.assertNotIn("bank", details, "no bank named on that account")


@tagged("post_install", "-at_install")
class TestInstructionsWarning(CreditInstructionsCase):
    def test_no_warning_when_every_enabled_provider_says_where_to_pay(self):
        self.transfer.pending_msg = "<p>Please transfer within 7 days.</p>"
        self.crypto.pending_msg = "<p>Send the exact amount.</p>"

        self.assertEqual(self.settings_warning(), "")

    def test_a_transfer_without_bank_account_or_message_is_named(self):
        self.crypto.pending_msg = "<p>Send the exact amount.</p>"
        self.transfer.pending_msg = "<p><br></p>"
        self.env["account.journal"].search(
            [("company_id", "=", self.company.id), ("type", "=", "bank")]
        ).bank_account_id = False

        self.assertEqual(
            self.settings_warning(),
            f"{self.transfer.name}: no pending message (what to do once the order is placed), "
            "no bank account on its journal or on the company's bank journals.",
        )
        # the customer is still told the amount and the reference
        request = self.open_request()
        self.assertEqual(
            [detail["name"] for detail in request._get_payment_instructions()["details"]],
            ["amount", "reference"],
        )

    def test_a_crypto_provider_without_message_is_named_a_disabled_one_is_not(self):
        self.transfer.pending_msg = "<p>Please transfer within 7 days.</p>"
        self.crypto.pending_msg = False

        self.assertEqual(
            self.settings_warning(),
            f"{self.crypto.name}: no pending message (what to do once the order is placed).",
        )

        self.crypto.state = "disabled"
        self.crypto.write(dict.fromkeys(("credit_crypto_coin", "credit_crypto_address"), False))
        self.assertEqual(self.settings_warning(), "")

    def test_missing_crypto_details_are_named(self):
        self.transfer.pending_msg = "<p>Please transfer within 7 days.</p>"
        self.crypto.pending_msg = "<p>Send the exact amount.</p>"
        # a provider enabled before its details were required (the form refuses it now)
        self.env.cr.execute(
            "UPDATE payment_provider SET credit_crypto_network = NULL WHERE id = %s",
            [self.crypto.id],
        )
        self.crypto.invalidate_recordset()

        self.assertEqual(self.settings_warning(), f"{self.crypto.name}: no network.")

    def test_another_companys_providers_are_not_this_ones_business(self):
        self.transfer.pending_msg = "<p>Please transfer within 7 days.</p>"
        self.crypto.pending_msg = "<p>Send the exact amount.</p>"
        other_company = self.setup_other_company(name="Other Agency")["company"]
        self.env.ref("payment.payment_provider_transfer").sudo().copy(
            {"company_id": other_company.id, "state": "enabled", "pending_msg": False}
        )

        self.assertEqual(self.settings_warning(), "")
