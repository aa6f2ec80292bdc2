from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import CreditTopupCommon


class CreditRequestCommon(CreditTopupCommon):
    """Odoo's wire transfer provider and the Cryptocurrency provider, both taking purchases."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.transfer = cls.copy_provider_to_company("payment.payment_provider_transfer")
        cls.transfer.write({"state": "enabled", "is_published": True})
        cls.transfer_method = cls.env.ref("payment_custom.payment_method_wire_transfer")
        cls.crypto = cls.copy_provider_to_company("credit_wallet.payment_provider_crypto")
        cls.crypto.write(
            {
                "credit_crypto_coin": "USDC",
                "credit_crypto_network": "Ethereum (ERC-20)",
                "credit_crypto_address": "0xABCDEF0123456789",
                "state": "enabled",
                "is_published": True,
            }
        )
        cls.crypto_method = cls.env.ref("credit_wallet.payment_method_crypto")
        cls.bank_journal = cls.company_data["default_journal_bank"]
        cls.crypto_journal = cls.env["account.journal"].create(
            {"name": "Crypto Wallet", "code": "TCRY", "type": "bank", "company_id": cls.company.id}
        )
        cls.company.credit_crypto_journal_id = cls.crypto_journal
        cls.company.credit_proof_required = False
        # the credit manager who gets the review activities
        cls.company.credit_request_reviewer_id = cls.manager
        # where the agency receives wire transfers: its account on the transfer's journal
        cls.agency_bank_account = cls.env["res.partner.bank"].create(
            {
                "acc_number": "4021 7788 1290 3355",
                "partner_id": cls.company.partner_id.id,
                "bank_id": cls.env["res.bank"]
                .create({"name": "First Harbor Bank", "bic": "FHBKUS33XXX"})
                .id,
            }
        )
        cls.transfer.journal_id.bank_account_id = cls.agency_bank_account

    @classmethod
    def copy_provider_to_company(cls, xmlid):
        """Providers are per company: the test company gets its own copy."""
        return cls.env.ref(xmlid).sudo().copy({"company_id": cls.company.id})

    def create_transfer_tx(self, package=None, provider=None, method=None, partner=None):
        return self.create_credit_tx(
            package or self.bonus_package,
            partner=partner,
            provider=provider or self.transfer,
            payment_method_id=(method or self.transfer_method).id,
        )

    def open_request(self, package=None, partner=None, provider=None, method=None):
        """A purchase paid by wire transfer (or ``provider``), confirmed by the customer."""
        tx = self.create_transfer_tx(package, provider, method, partner)
        self.notify_custom(tx)
        return self.request_of(tx)

    def notify_custom(self, tx):
        """What payment_custom's /payment/custom/process does when the customer confirms."""
        self.env["payment.transaction"].sudo()._handle_notification_data(
            "custom", {"reference": tx.reference}
        )

    def request_of(self, tx):
        return self.env["credit.request"].search([("payment_transaction_id", "=", tx.id)])

    def accept(self, request, journal=None, user=None):
        wizard = (
            self.env["credit.request.accept"]
            .with_user(user or self.manager)
            .create({"request_id": request.id})
        )
        if journal:
            wizard.journal_id = journal
        wizard.action_accept()
        return wizard

    def reject(self, request, reason="No transfer arrived", user=None):
        self.env["credit.request.reject"].with_user(user or self.manager).create(
            {"request_id": request.id, "reason": reason}
        ).action_reject()

    def manager_activities(self, request):
        return request.activity_ids.filtered(lambda activity: activity.user_id == self.manager)


@tagged("post_install", "-at_install")
class TestCreditRequest(CreditRequestCommon):
    def test_a_pending_transfer_opens_one_request_and_credits_nothing(self):
        tx = self.create_transfer_tx()

        self.notify_custom(tx)
        self.notify_custom(tx)

        self.assertEqual(tx.state, "pending")
        request = self.request_of(tx)
        self.assertRecordValues(
            request,
            [
                {
                    "state": "pending",
                    "partner_id": self.customer.id,
                    "wallet_id": self.wallet.id,
                    "amount": 100.0,
                    "credit_amount": 120.0,
                    "package_id": self.bonus_package.id,
                    "payment_method_id": self.transfer_method.id,
                    "transaction_reference": tx.reference,
                }
            ],
        )
        self.assertTrue(request.name.startswith("CRQ/"))
        self.assertEqual(self.wallet.balance, 0.0)
        self.assertFalse(self.credit_entries(tx))
        self.assertTrue(self.manager_activities(request), "the reviewer is asked to review")
        # the customer knows the request by its payment's reference, the one to quote
        email = request.message_ids.filtered(lambda m: tx.reference in (m.subject or ""))
        self.assertEqual(email.partner_ids, self.contact)
        self.assertIn(tx.reference, email.body)
        self.assert_invariants()

    def test_accepting_a_transfer_credits_the_wallet_through_the_chosen_journal(self):
        request = self.open_request()
        tx = request.payment_transaction_id

        self.accept(request, journal=self.bank_journal)

        self.assertRecordValues(
            request,
            [
                {
                    "state": "accepted",
                    "journal_id": self.bank_journal.id,
                    "decided_by_id": self.manager.id,
                }
            ],
        )
        self.assertEqual(tx.state, "done")
        self.assertEqual(tx.credit_journal_id, self.bank_journal, "kept on the purchase")
        self.assertEqual(self.wallet.balance, 120.0, "bonus included")
        self.assertEqual(sorted(self.credit_entries(tx).mapped("kind")), ["bonus", "purchase"])
        payment = tx.payment_id
        self.assertEqual(payment.journal_id, self.bank_journal)
        # Dr the bank journal's outstanding receipts / Cr Customer Credit
        self.assertNotEqual(payment.outstanding_account_id, self.credit_account)
        self.assertRecordValues(
            payment.move_id.line_ids.sorted("balance"),
            [
                {"account_id": self.credit_account.id, "balance": -100.0},
                {"account_id": payment.outstanding_account_id.id, "balance": 100.0},
            ],
        )
        self.assertFalse(self.manager_activities(request), "the review is done")
        mail = self.env["mail.mail"].search([("subject", "ilike", "are available")], limit=1)
        self.assertIn("120.00", mail.body_html, "the email gives the new balance")
        self.assert_invariants()

    def test_a_crypto_request_is_accepted_into_the_crypto_journal(self):
        request = self.open_request(self.package, provider=self.crypto, method=self.crypto_method)
        tx = request.payment_transaction_id
        self.assertEqual(request.payment_method_id, self.crypto_method)

        wizard = self.accept(request)

        self.assertEqual(wizard.journal_id, self.crypto_journal, "proposed for crypto")
        self.assertEqual(tx.payment_id.journal_id, self.crypto_journal)
        self.assertEqual(self.wallet.balance, 100.0)
        self.assert_invariants()

    def test_a_request_is_decided_once(self):
        request = self.open_request()
        tx = request.payment_transaction_id
        self.accept(request)

        with self.assertRaisesRegex(UserError, "already accepted"):
            self.accept(request)
        with self.assertRaisesRegex(UserError, "already accepted"):
            self.reject(request)
        self.notify_custom(tx)
        with mute_logger("odoo.addons.payment.models.payment_transaction"):
            tx._set_done()

        self.assertEqual(self.wallet.balance, 120.0)
        self.assertEqual(len(self.credit_entries(tx)), 2)
        self.assertEqual(request.state, "accepted")
        self.assert_invariants()

    def test_rejecting_cancels_the_payment_and_tells_the_customer_why(self):
        request = self.open_request()
        tx = request.payment_transaction_id

        self.reject(request, reason="  No transfer with this reference arrived.  ")

        self.assertRecordValues(
            request,
            [
                {
                    "state": "rejected",
                    "rejection_reason": "No transfer with this reference arrived.",
                    "decided_by_id": self.manager.id,
                }
            ],
        )
        self.assertEqual(tx.state, "cancel")
        self.assertEqual(self.wallet.balance, 0.0)
        email = request.message_ids.filtered(lambda m: "not accepted" in (m.subject or ""))
        self.assertIn("No transfer with this reference arrived.", email.body)
        self.assertFalse(self.manager_activities(request))

        # a late notification or an accept never un-rejects nor credits
        with mute_logger("odoo.addons.payment.models.payment_transaction"):
            self.notify_custom(tx)
            tx._set_done()
        with self.assertRaisesRegex(UserError, "already rejected"):
            self.accept(request)
        self.assertEqual(request.state, "rejected")
        self.assertEqual(tx.state, "cancel")
        self.assertEqual(self.wallet.balance, 0.0)
        self.assert_invariants()

    def test_a_rejection_needs_a_reason(self):
        request = self.open_request()
        tx = request.payment_transaction_id

        for reason in ("", "   "):
            with self.subTest(reason=reason), self.assertRaisesRegex(UserError, "Say why"):
                request.with_user(self.manager)._check_can_reject(reason)

        self.assertEqual(request.state, "pending")
        self.assertEqual(tx.state, "pending")

    def test_only_credit_managers_decide(self):
        request = self.open_request()

        for user in (self.credit_user, self.portal_user):
            with self.subTest(user=user.login):
                with self.assertRaises(AccessError):
                    self.accept(request, user=user)
                with self.assertRaises(AccessError):
                    self.reject(request, user=user)
                with self.assertRaises(AccessError):
                    request.with_user(user)._check_can_accept(self.bank_journal)
                with self.assertRaises(AccessError):
                    request.with_user(user).action_open_accept()
        self.assertEqual(request.state, "pending")
        self.assertEqual(self.wallet.balance, 0.0)

    def test_nobody_writes_a_decision_by_hand(self):
        request = self.open_request()

        for vals in (
            {"state": "accepted"},
            {"journal_id": self.bank_journal.id},
            {"rejection_reason": "x"},
        ):
            with self.subTest(vals=vals), self.assertRaises(UserError):
                request.with_user(self.manager).with_context(credit_request_deciding=True).write(
                    vals
                )
        self.assertEqual(request.state, "pending")

    def test_accepting_into_another_companys_journal_is_refused(self):
        other_company = self.setup_other_company()["company"]
        other_journal = self.env["account.journal"].search(
            [("company_id", "=", other_company.id), ("type", "=", "bank")], limit=1
        )
        request = self.open_request()

        with self.assertRaisesRegex(UserError, "journal of"):
            request.with_user(self.manager)._check_can_accept(other_journal)
        with self.assertRaisesRegex(UserError, "journal of"):
            request.with_user(self.manager)._check_can_accept(
                self.company_data["default_journal_sale"]
            )
        self.assertEqual(request.state, "pending")
        self.assertEqual(self.wallet.balance, 0.0)

    def test_accepting_a_purchase_that_cannot_be_credited_changes_nothing(self):
        request = self.open_request()
        tx = request.payment_transaction_id
        self.customer.action_archive()

        with self.assertRaisesRegex(UserError, "archived"), self.env.cr.savepoint():
            with mute_logger("odoo.addons.credit_wallet.models.payment_transaction"):
                self.accept(request)

        self.env.invalidate_all()
        self.assertEqual(request.state, "pending")
        self.assertEqual(tx.state, "pending")
        self.assertEqual(self.wallet.balance, 0.0)

    def test_a_required_proof_holds_the_request_until_it_arrives(self):
        self.company.credit_proof_required = True
        request = self.open_request()
        self.assertEqual(request.state, "awaiting_proof")
        self.assertEqual(request._get_portal_state(), "pending")
        self.assertFalse(self.manager_activities(request), "not in the review queue yet")

        request.sudo()._add_proof("receipt.pdf", b"%PDF-1.4 receipt", "application/pdf")

        self.assertEqual(request.state, "pending")
        self.assertEqual(request.proof_count, 1)
        self.assertTrue(self.manager_activities(request))

    def test_a_provider_confirming_a_pending_purchase_closes_its_request(self):
        tx = self.create_credit_tx(self.package)
        self.notify_demo(tx, "pending")
        request = self.request_of(tx)
        self.assertEqual(request.state, "pending")

        self.notify_demo(tx, "done")

        self.assertEqual(request.state, "accepted")
        self.assertFalse(self.manager_activities(request))
        self.assertEqual(self.wallet.balance, 100.0)
        self.assert_invariants()

    def test_cryptocurrency_is_offered_for_buying_credits_only(self):
        Provider = self.env["payment.provider"].with_user(self.portal_user).sudo()
        args = (self.company.id, self.contact.id, 100.0)
        kwargs = {"currency_id": self.company.currency_id.id}

        self.assertIn(
            self.crypto, Provider._get_compatible_providers(*args, credit_purchase=True, **kwargs)
        )
        self.assertNotIn(self.crypto, Provider._get_compatible_providers(*args, **kwargs))
        self.assertIn(self.transfer, Provider._get_compatible_providers(*args, **kwargs))

    def test_enabling_cryptocurrency_needs_its_instructions(self):
        self.crypto.state = "disabled"
        self.crypto.credit_crypto_address = False

        with self.assertRaisesRegex(ValidationError, "receiving address"):
            self.crypto.state = "enabled"
