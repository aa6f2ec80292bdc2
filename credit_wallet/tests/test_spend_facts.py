"""A payment with credits is a fact: nobody rewrites what it moved, over any RPC path."""

from odoo import Command
from odoo.tests import HttpCase, tagged

from .common import CreditRpcMixin, CreditSpendCommon


@tagged("post_install", "-at_install")
class TestCreditPaymentFacts(CreditRpcMixin, CreditSpendCommon, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.invoice = cls.create_invoice_for_class(5.0)

    @classmethod
    def create_invoice_for_class(cls, amount):
        invoice = cls.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": cls.customer.id,
                "invoice_line_ids": [
                    Command.create({"name": "Banner", "price_unit": amount, "tax_ids": []})
                ],
            }
        )
        invoice.action_post()
        return invoice

    def setUp(self):
        super().setUp()
        self.adjust(self.wallet, 13.0)
        self.spend_tx = self.pay_with_credits(self.invoice)
        # what the tests' refused calls must leave as it is
        self.assertEqual((self.wallet.balance, self.other_wallet.balance), (8.0, 0.0))
        self.assertRecordValues(
            self.spend_tx,
            [{"amount": 5.0, "partner_id": self.contact.id, "credit_returned_amount": 0.0}],
        )
        self.assertEqual(self.invoice.payment_state, "paid")
        self.authenticate("billing_bea", "billing_bea")

    def error_of(self, answer):
        return answer.get("error", {}).get("data", {}).get("message", "")

    def test_a_billing_user_cannot_rewrite_a_payment_with_credits(self):
        other_invoice = self.create_invoice(50.0)
        with self.assert_nothing_changed():
            for values in (
                {"amount": 1000.0},
                {"partner_id": self.other_contact.id},
                {"invoice_ids": [Command.set(other_invoice.ids)]},
                {"state": "draft"},
                {"currency_id": self.setup_other_currency("EUR").id},
                {"operation": "refund"},
                {"reference": "FORGED"},
                {"credit_autopay": True},
            ):
                with self.subTest(values=values):
                    answer = self.call_kw(
                        "payment.transaction", "write", [self.spend_tx.ids, values]
                    )
                    self.assertIn("keeps what the customer chose", self.error_of(answer))
        self.assert_invariants()

    def test_a_refund_of_a_payment_with_credits_returns_at_most_what_it_took(self):
        with self.assert_nothing_changed():
            answer = self.call_kw(
                "payment.transaction",
                "action_refund",
                [self.spend_tx.ids],
                {"amount_to_refund": 1000},
            )
        self.assertIn("At most", self.error_of(answer))
        self.assert_invariants()

        answer = self.call_kw("payment.transaction", "action_refund", [self.spend_tx.ids])
        self.assertNotIn("error", answer)
        self.env.invalidate_all()
        self.assertEqual(
            self.wallet.balance, 13.0, "the 5 credits went back to the wallet that paid"
        )
        self.assertEqual(self.other_wallet.balance, 0.0)
        answer = self.call_kw("payment.transaction", "action_refund", [self.spend_tx.ids])
        self.assertIn("At most", self.error_of(answer), "never twice")
        self.assertEqual(self.wallet.balance, 13.0)
        self.assert_invariants()

    def test_a_billing_user_cannot_create_a_payment_with_credits(self):
        values = {
            "provider_id": self.credit_provider.id,
            "payment_method_id": self.credit_method.id,
            "amount": 50.0,
            "currency_id": self.company.currency_id.id,
            "partner_id": self.contact.id,
            "operation": "refund",
            "source_transaction_id": self.spend_tx.id,
            "state": "done",
        }
        with self.assert_nothing_changed():
            answer = self.call_kw("payment.transaction", "create", [values])
            self.assertIn("not by creating a payment transaction", self.error_of(answer))
            answer = self.call_kw(
                "credit.wallet.adjustment",
                "create",
                [{"wallet_id": self.wallet.id, "direction": "in", "amount": 10.0, "reason": "x"}],
            )
            self.assertEqual(answer["error"]["data"]["name"], "odoo.exceptions.AccessError")
        self.assertFalse(self.spend_tx.child_transaction_ids)
        self.assert_invariants()

    def test_nobody_links_a_payment_with_credits_to_another_document(self):
        other_invoice = self.create_invoice(5.0)
        order = self.create_quotation()
        with self.assert_nothing_changed():
            for document in (other_invoice, self.invoice):
                command = Command.link if document == other_invoice else Command.unlink
                answer = self.call_kw(
                    "account.move",
                    "write",
                    [document.ids, {"transaction_ids": [command(self.spend_tx.id)]}],
                )
                self.assertIn("keeps what the customer chose", self.error_of(answer))
            answer = self.call_kw(
                "sale.order",
                "write",
                [order.ids, {"transaction_ids": [Command.link(self.spend_tx.id)]}],
            )
            self.assertIn("keeps what the customer chose", self.error_of(answer))
        self.assertEqual(self.spend_tx.invoice_ids, self.invoice)
        self.assertFalse(self.spend_tx.sale_order_ids)
        self.assert_invariants()
