from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, tagged

from .common import CreditSpendCommon


@tagged("post_install", "-at_install")
class TestCreditInvoicePaymentWizard(CreditSpendCommon):
    """Pay with Credits on a posted customer invoice in the backend (Billing rights)."""

    def open_wizard(self, invoice, user=None):
        action = invoice.with_user(user or self.billing_user).action_credit_open_payment()
        return (
            self.env[action["res_model"]]
            .with_user(user or self.billing_user)
            .with_context(**action["context"])
            .create({})
        )

    def test_billing_user_pays_part_of_an_invoice_through_the_same_path(self):
        self.adjust(self.wallet, 40.0)
        invoice = self.create_invoice(100.0)
        self.assertTrue(invoice.credit_payment_available)

        wizard = self.open_wizard(invoice)
        self.assertRecordValues(
            wizard, [{"balance": 40.0, "amount_residual": 100.0, "amount": 40.0}]
        )
        wizard.action_pay()

        self.assertRecordValues(invoice, [{"payment_state": "partial", "amount_residual": 60.0}])
        self.assertEqual(self.wallet.balance, 0.0)
        tx = invoice.transaction_ids
        self.assertRecordValues(
            tx, [{"provider_id": self.credit_provider.id, "state": "done", "amount": 40.0}]
        )
        entry = self.spend_entries()
        self.assertRecordValues(
            entry,
            [
                {
                    "amount": -40.0,
                    "payment_transaction_id": tx.id,
                    "posted_by_id": self.billing_user.id,
                }
            ],
        )
        self.assertEqual(entry.reference, invoice)
        self.assertEqual(
            self.credit_lines(tx.payment_id.move_id).balance, 40.0, "Dr Customer Credit"
        )
        self.assert_invariants()

    def test_default_amount_is_the_smaller_of_residual_and_balance(self):
        self.adjust(self.wallet, 500.0)
        invoice = self.create_invoice(100.0)

        wizard = self.open_wizard(invoice)
        self.assertEqual(wizard.amount, 100.0)
        wizard.action_pay()

        self.assertEqual(invoice.payment_state, "paid")
        self.assertEqual(self.wallet.balance, 400.0)
        self.assertFalse(invoice.credit_payment_available)

    def test_the_wizard_shows_the_balance_after_payment(self):
        self.adjust(self.wallet, 150.0)
        invoice = self.create_invoice(100.0)
        dialog = Form(
            self.env["credit.invoice.payment"]
            .with_user(self.billing_user)
            .with_context(default_invoice_id=invoice.id)
        )
        self.assertEqual(
            (dialog.balance, dialog.amount, dialog.balance_after), (150.0, 100.0, 50.0)
        )

        dialog.amount = 30.0
        self.assertEqual(dialog.balance_after, 120.0)
        dialog.save().action_pay()

        self.assertEqual(self.wallet.balance, 120.0, "the balance the dialog announced")
        self.assertEqual(invoice.amount_residual, 70.0)
        self.assert_invariants()

    def assert_wizard_refused(self, wizard, message):
        invoice = wizard.invoice_id
        with self.assertRaisesRegex(UserError, message):
            wizard.action_pay()
        self.assertEqual(invoice.payment_state, "not_paid")
        self.assertFalse(invoice.transaction_ids)
        self.assertFalse(self.spend_entries())
        self.assert_invariants()

    def test_amounts_beyond_the_residual_or_the_balance_or_not_numbers_are_refused(self):
        self.adjust(self.wallet, 80.0)
        invoice = self.create_invoice(100.0)
        wizard = self.open_wizard(invoice)

        for amount, message in [
            (100.0, "does not cover"),
            (150.0, "no longer matches"),
            (0.0, "no longer matches"),
            (-10.0, "no longer matches"),
            (1e14, "no longer matches"),
            (100.123456789, "no longer matches"),
        ]:
            with self.subTest(amount=amount):
                wizard.amount = amount
                self.assert_wizard_refused(wizard, message)
        self.assertEqual(self.wallet.balance, 80.0)

    def test_amounts_that_are_not_numbers_are_refused_with_a_message(self):
        self.adjust(self.wallet, 80.0)
        invoice = self.create_invoice(100.0)
        wizard = self.open_wizard(invoice)

        for amount in (float("nan"), float("inf"), float("-inf"), 1e308, -1e308):
            with self.subTest(amount=amount), self.assertRaisesRegex(UserError, "not a number"):
                wizard.write({"amount": amount})
            with self.subTest(amount=amount), self.assertRaisesRegex(UserError, "not a number"):
                self.env["credit.invoice.payment"].with_user(self.billing_user).create(
                    {"invoice_id": invoice.id, "amount": amount}
                )
        self.assertEqual(wizard.amount, 80.0)
        self.assertEqual(invoice.payment_state, "not_paid")

    def test_a_credit_user_without_billing_rights_cannot_pay(self):
        self.adjust(self.wallet, 100.0)
        invoice = self.create_invoice(100.0)

        with self.assertRaises(AccessError):
            self.open_wizard(invoice, user=self.credit_user)
        wizard = self.open_wizard(invoice)
        with self.assertRaises(AccessError):
            wizard.with_user(self.credit_user).action_pay()
        self.assertEqual(invoice.payment_state, "not_paid")
        self.assertEqual(self.wallet.balance, 100.0)

    def test_a_portal_user_cannot_pay_through_the_wizard(self):
        self.adjust(self.wallet, 100.0)
        invoice = self.create_invoice(100.0)

        with self.assertRaises(AccessError):
            self.env["credit.invoice.payment"].with_user(self.portal_user).create(
                {"invoice_id": invoice.id}
            )
        self.assertEqual(self.wallet.balance, 100.0)

    def test_vendor_bills_credit_notes_and_disabled_companies_are_not_offered(self):
        self.adjust(self.wallet, 500.0)
        bill = self.create_vendor_bill()
        invoice = self.create_invoice(100.0)
        self.assertFalse(bill.credit_payment_available)
        self.assertTrue(invoice.credit_payment_available)
        wizard = self.open_wizard(bill)
        self.assert_wizard_refused(wizard, "customer invoices only")

        self.company.credit_payment_enabled = False
        invoice.invalidate_recordset(["credit_payment_available"])
        self.assertFalse(invoice.credit_payment_available)
        self.assert_wizard_refused(self.open_wizard(invoice), "not available")
