from odoo.tests import tagged

from .common import CreditWebhookCase

WEBHOOK_URL = "/payment/stripe/webhook"
# Odoo's own Stripe tests patch the signature check the same way
SIGNATURE_CHECK = (
    "odoo.addons.payment_stripe.controllers.main.StripeController._verify_notification_signature"
)


@tagged("post_install", "-at_install")
class TestCreditTopupStripe(CreditWebhookCase):
    webhook_url = WEBHOOK_URL
    webhook_check = SIGNATURE_CHECK
    webhook_logger = "odoo.addons.payment_stripe.controllers.main"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.stripe = cls.prepare_stripe()

    def stripe_event(self, tx, event_type="payment_intent.succeeded", status="succeeded"):
        """A Stripe webhook event about ``tx``'s PaymentIntent, as in Odoo's Stripe tests."""
        return {
            "type": event_type,
            "data": {
                "object": {
                    "id": "pi_3KTk9zAlCFm536g81Wy7RCPH",
                    "charges": {"data": [{"amount": int(tx.amount * 100)}]},
                    "customer": "cus_LBxMCDggAFOiNR",
                    "payment_method": {"type": "pm_1KVZSNAlCFm536g8sYB92I1G"},
                    "description": tx.reference,
                    "status": status,
                }
            },
        }

    def test_payment_intent_succeeded_credits_the_wallet_once_however_often_delivered(self):
        tx = self.create_credit_tx(self.bonus_package, provider=self.stripe)

        self.deliver(self.stripe_event(tx), times=5)

        self.assertEqual(tx.state, "done")
        self.assertEqual(tx.provider_reference, "pi_3KTk9zAlCFm536g81Wy7RCPH")
        self.assertEqual(sorted(self.credit_entries(tx).mapped("kind")), ["bonus", "purchase"])
        self.assertEqual(self.wallet.balance, 120.0)
        payments = self.env["account.payment"].search([("payment_transaction_id", "=", tx.id)])
        self.assertEqual(len(payments), 1)
        self.assertEqual(payments.journal_id, self.stripe.journal_id)
        self.assertEqual(payments.destination_account_id, self.credit_account)

        tx._post_process()  # the status poll or the cron, afterwards
        self.assertEqual(len(self.credit_entries(tx)), 2)
        self.assertEqual(self.wallet.balance, 120.0)
        self.assert_invariants()

    def test_authorized_then_captured_payment_credits_at_capture(self):
        self.stripe.capture_manually = True
        tx = self.create_credit_tx(self.package, provider=self.stripe)

        self.deliver(
            self.stripe_event(tx, "payment_intent.amount_capturable_updated", "requires_capture")
        )
        self.assertEqual(tx.state, "authorized")
        self.assertFalse(self.credit_entries(tx))

        self.deliver(self.stripe_event(tx), times=2)
        self.assertEqual(tx.state, "done")
        self.assertEqual(self.wallet.balance, 100.0)
        self.assert_invariants()

    def test_failed_and_cancelled_payment_intents_credit_nothing(self):
        failed = self.create_credit_tx(self.package, provider=self.stripe)
        self.deliver(
            self.stripe_event(failed, "payment_intent.payment_failed", "requires_payment_method")
        )
        cancelled = self.create_credit_tx(self.package, provider=self.stripe)
        self.deliver(self.stripe_event(cancelled, "payment_intent.canceled", "canceled"))

        self.assertEqual((failed + cancelled).mapped("state"), ["error", "cancel"])
        self.assertFalse(self.credit_entries(failed + cancelled))
        self.assertEqual(self.wallet.balance, 0.0)
        self.assert_invariants()
