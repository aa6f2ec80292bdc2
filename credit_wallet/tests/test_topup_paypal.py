from odoo.tests import tagged

from .common import CreditWebhookCase

WEBHOOK_URL = "/payment/paypal/webhook/"
# Odoo's own PayPal tests patch the origin check the same way
ORIGIN_CHECK = (
    "odoo.addons.payment_paypal.controllers.main.PaypalController._verify_notification_origin"
)


@tagged("post_install", "-at_install")
class TestCreditTopupPaypal(CreditWebhookCase):
    webhook_url = WEBHOOK_URL
    webhook_check = ORIGIN_CHECK
    webhook_logger = "odoo.addons.payment_paypal.controllers.main"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.require_module("payment_paypal")
        cls.paypal = cls.prepare_credit_provider(
            "paypal",
            paypal_email_account="dummy@test.mail.com",
            paypal_client_id="dummy_client_id",
            paypal_client_secret="dummy_secret",
        )

    def paypal_event(self, tx, status="COMPLETED", event_type="CHECKOUT.ORDER.APPROVED"):
        """A PayPal webhook event about ``tx``'s order, as in Odoo's PayPal tests."""
        return {
            "event_type": event_type,
            "resource": {
                "id": "123DUMMY456",
                "intent": "CAPTURE",
                "status": status,
                "payment_source": {"paypal": {"account_id": "59XDVNACRAZZJ"}},
                "purchase_units": [
                    {
                        "amount": {
                            "currency_code": tx.currency_id.name,
                            "value": str(tx.amount),
                        },
                        "reference_id": tx.reference,
                    }
                ],
            },
        }

    def test_completed_order_credits_the_wallet_once_however_often_delivered(self):
        tx = self.create_credit_tx(self.bonus_package, provider=self.paypal)

        self.deliver(self.paypal_event(tx), times=5)

        self.assertEqual(tx.state, "done")
        self.assertEqual(tx.provider_reference, "123DUMMY456")
        self.assertEqual(sorted(self.credit_entries(tx).mapped("kind")), ["bonus", "purchase"])
        self.assertEqual(self.wallet.balance, 120.0)
        payment = tx.payment_id
        self.assertEqual(
            self.env["account.payment"].search([("payment_transaction_id", "=", tx.id)]), payment
        )
        self.assertEqual(payment.journal_id, self.paypal.journal_id)
        self.assertEqual(payment.destination_account_id, self.credit_account)

        tx._post_process()
        self.assertEqual(len(self.credit_entries(tx)), 2)
        self.assert_invariants()

    def test_pending_order_credits_nothing_until_completed(self):
        tx = self.create_credit_tx(self.package, provider=self.paypal)

        self.deliver(self.paypal_event(tx, status="PENDING"), times=2)
        self.assertEqual(tx.state, "pending")
        self.assertFalse(self.credit_entries(tx))
        self.assertEqual(self.wallet.balance, 0.0)

        self.deliver(self.paypal_event(tx, event_type="CHECKOUT.ORDER.COMPLETED"), times=3)
        self.assertEqual(tx.state, "done")
        self.assertEqual(self.wallet.balance, 100.0)
        self.assert_invariants()
