"""Every way a paid credit purchase can end: refunds, voids, captures, test payments, credits
that could not be granted, and who may touch a purchase at all."""

from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import HttpCase, tagged
from odoo.tools import mute_logger

from .common import CreditRpcMixin, CreditTopupCommon, CreditWebhookCase
from .test_topup_stripe import SIGNATURE_CHECK as STRIPE_SIGNATURE_CHECK
from .test_topup_stripe import WEBHOOK_URL as STRIPE_WEBHOOK_URL

TX_LOGGER = "odoo.addons.payment.models.payment_transaction"
CREDIT_TX_LOGGER = "odoo.addons.credit_wallet.models.payment_transaction"


class CreditPurchaseLifeCommon(CreditTopupCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.receivable = cls.customer.property_account_receivable_id

    def buy(self, package=None, provider=None):
        tx = self.create_credit_tx(package or self.bonus_package, provider=provider)
        self.notify_demo(tx, "done")
        return tx

    def refund_wizard(self, tx, user=None):
        self.env.invalidate_all()  # what is left to refund, as a new request would read it
        return (
            self.env["payment.refund.wizard"]
            .with_user(user or self.billing_user)
            .with_context(active_model="account.payment", active_id=tx.payment_id.id)
            .create({})
        )

    def record_refund(self, tx, amount, reason="Refunded in the provider's dashboard"):
        wizard = (
            self.env["credit.purchase.refund"]
            .with_user(self.manager)
            .create({"transaction_id": tx.id, "reason": reason})
        )
        wizard.amount = amount
        wizard.action_record()
        return tx.child_transaction_ids.filtered(lambda child: child.operation == "refund")[-1:]

    def forged_purchase_values(self):
        """A credit purchase of 1,000 credits for 1.00 made up outside Buy Credits."""
        return {
            "provider_id": self.provider.id,
            "payment_method_id": self.payment_method.id,
            "amount": 1.0,
            "currency_id": self.company.currency_id.id,
            "partner_id": self.contact.id,
            "credit_wallet_id": self.wallet.id,
            "credit_amount": 1000.0,
        }

    def entries_of_kind(self, kind):
        return self.wallet.entry_ids.filtered(lambda entry: entry.kind == kind)

    def manager_activities(self, summary):
        return self.customer.activity_ids.filtered(
            lambda activity: activity.user_id == self.manager and summary in activity.summary
        )


@tagged("post_install", "-at_install")
class TestCreditPurchaseRefunds(CreditPurchaseLifeCommon):
    def test_odoos_refund_takes_the_credits_back_bonus_in_proportion(self):
        tx = self.buy()
        self.assertEqual(self.wallet.balance, 120.0)

        wizard = self.refund_wizard(tx)
        self.assertEqual(wizard.amount_available_for_refund, 100.0)
        wizard.amount_to_refund = 40.0
        wizard.action_refund()

        refund_tx = tx.child_transaction_ids
        self.assertRecordValues(refund_tx, [{"operation": "refund", "state": "done"}])
        self.assertEqual(self.wallet.balance, 72.0, "40 paid back + 8 of the 20 bonus")
        purchase_out = self.entries_of_kind("purchase_refund")
        self.assertRecordValues(
            purchase_out + self.entries_of_kind("bonus_refund"),
            [
                {"amount": -40.0, "entry_type": "out", "payment_transaction_id": refund_tx.id},
                {"amount": -8.0, "entry_type": "out", "payment_transaction_id": refund_tx.id},
            ],
        )
        self.assertEqual(purchase_out.reference, refund_tx)
        # Dr Customer Credit / Cr the provider's outstanding account, as the refund's payment
        payment = refund_tx.payment_id
        self.assertEqual(payment.journal_id, tx.payment_id.journal_id)
        self.assertEqual(purchase_out.move_id, payment.move_id)
        self.assertRecordValues(
            payment.move_id.line_ids.sorted("balance"),
            [
                {"account_id": tx.payment_id.outstanding_account_id.id, "balance": -40.0},
                {"account_id": self.credit_account.id, "balance": 40.0},
            ],
        )
        bonus_lines = self.entries_of_kind("bonus_refund").move_id.line_ids
        self.assertEqual(
            bonus_lines.filtered(lambda line: line.balance < 0).account_id,
            self.company.credit_adjustment_account_id,
        )
        self.assertEqual(self.refund_wizard(tx).amount_available_for_refund, 60.0)
        self.assert_invariants()

    def test_refunds_in_parts_take_back_the_whole_bonus_exactly(self):
        tx = self.buy()

        for amount in (33.33, 33.33, 33.34):
            wizard = self.refund_wizard(tx)
            wizard.amount_to_refund = amount
            wizard.action_refund()

        self.assertEqual(self.wallet.balance, 0.0)
        self.assertAlmostEqual(sum(self.entries_of_kind("bonus_refund").mapped("amount")), -20.0)
        self.assertEqual(tx.credit_taken_back_amount, 120.0)
        self.assert_invariants()

    def test_the_refund_wizard_offers_at_most_what_is_unspent(self):
        tx = self.buy()
        self.adjust(self.wallet, -60.0)  # spent: 60 credits left of 120

        wizard = self.refund_wizard(tx)
        self.assertEqual(wizard.amount_available_for_refund, 50.0, "60 credits buy back 50")
        with self.assertRaises(ValidationError):
            wizard.amount_to_refund = 80.0
        with self.assertRaisesRegex(UserError, "spent the rest of its credits"):
            tx.with_user(self.billing_user).action_refund(amount_to_refund=80.0)
        self.assertFalse(tx.child_transaction_ids)
        self.assertEqual(self.wallet.balance, 60.0)

        wizard.amount_to_refund = 50.0
        wizard.action_refund()
        self.assertEqual(self.wallet.balance, 0.0)
        self.assert_invariants()

    @mute_logger(CREDIT_TX_LOGGER)
    def test_a_refund_beyond_the_unspent_credits_books_the_rest_on_the_receivable(self):
        tx = self.buy()
        self.adjust(self.wallet, -100.0)  # 20 credits left

        refund_tx = self.record_refund(tx, 100.0, reason="Chargeback")

        self.assertEqual(self.wallet.balance, 0.0)
        self.assertEqual(self.entries_of_kind("purchase_refund").amount, -20.0)
        self.assertFalse(self.entries_of_kind("bonus_refund"), "nothing left for the bonus")
        self.assertRecordValues(
            refund_tx.payment_id.move_id.line_ids.sorted("balance"),
            [
                {"account_id": tx.payment_id.outstanding_account_id.id, "balance": -100.0},
                {"account_id": self.credit_account.id, "balance": 20.0},
                {"account_id": self.receivable.id, "balance": 80.0},
            ],
        )
        self.assertTrue(self.manager_activities("Refund beyond the credits left"))
        self.assertIn("Chargeback", refund_tx.state_message)
        self.assert_invariants()

    @mute_logger(CREDIT_TX_LOGGER)
    def test_a_refund_whose_credits_cannot_be_taken_back_is_noted_for_the_managers(self):
        tx = self.buy()
        self.customer.action_archive()

        refund_tx = self.record_refund(tx, 100.0)

        self.assertEqual(refund_tx.state, "done", "the provider's refund stays recorded")
        self.assertIn("could not be taken back", refund_tx.credit_issue)
        self.assertIn("archived", refund_tx.credit_issue)
        self.assertEqual(self.wallet.balance, 120.0, "nothing half taken back")
        self.assertEqual(refund_tx.payment_id.destination_account_id, self.receivable)
        self.assertFalse(
            self.entries_of_kind("purchase_refund") | self.entries_of_kind("bonus_refund")
        )
        self.assertTrue(self.manager_activities("Credits not taken back"))
        self.assert_invariants()

    @mute_logger(TX_LOGGER)
    def test_a_done_purchase_voided_by_the_provider_is_a_full_refund(self):
        tx = self.buy()
        payment = tx.payment_id

        tx._set_canceled(state_message="Voided", extra_allowed_states=("done",))
        tx._post_process()

        self.assertEqual(tx.state, "cancel")
        self.assertEqual(self.wallet.balance, 0.0)
        self.assertEqual(self.entries_of_kind("purchase_refund").amount, -100.0)
        self.assertEqual(self.entries_of_kind("bonus_refund").amount, -20.0)
        self.assertEqual(
            payment.state, "in_process", "the purchase stays booked, offset by the void"
        )
        self.assertEqual(payment.move_id.state, "posted")
        self.assertTrue(tx.is_post_processed)
        self.assert_invariants()

    @mute_logger(TX_LOGGER)
    def test_a_refund_that_fails_after_it_was_done_gives_the_credits_back(self):
        tx = self.buy()
        refund_tx = self.record_refund(tx, 100.0)
        self.assertEqual(self.wallet.balance, 0.0)

        refund_tx._set_error("The refund did not go through.", extra_allowed_states=("done",))

        self.assertEqual(refund_tx.state, "error")
        self.assertEqual(self.wallet.balance, 120.0)
        self.assertEqual(tx.credit_taken_back_amount, 0.0)
        reversals = self.entries_of_kind("reversal")
        self.assertEqual(sorted(reversals.mapped("amount")), [20.0, 100.0])
        outstanding = tx.payment_id.outstanding_account_id
        self.assertTrue(
            all(
                (refund_tx.payment_id.move_id.line_ids + reversals.move_id.line_ids)
                .filtered(lambda line: line.account_id == outstanding)
                .mapped("reconciled")
            ),
            "the refund payment and its reversal cancel out",
        )
        self.assert_invariants()

    def test_a_refund_is_recorded_by_credit_managers_only_and_within_what_was_paid(self):
        tx = self.buy()

        with self.assertRaises(AccessError):
            self.env["credit.purchase.refund"].with_user(self.credit_user).create(
                {"transaction_id": tx.id, "reason": "x"}
            )
        wizard = (
            self.env["credit.purchase.refund"]
            .with_user(self.manager)
            .create({"transaction_id": tx.id, "reason": "x"})
        )
        for amount in (0.0, -5.0, 100.01):
            with self.subTest(amount=amount), self.assertRaisesRegex(UserError, "at most"):
                wizard.amount = amount
                wizard.action_record()
        wizard.write({"amount": 10.0, "reason": "   "})
        with self.assertRaisesRegex(UserError, "Say why"):
            wizard.action_record()
        self.assertFalse(tx.child_transaction_ids)
        self.assertEqual(self.wallet.balance, 120.0)


@tagged("post_install", "-at_install")
class TestCreditPurchaseCaptures(CreditPurchaseLifeCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.provider.capture_manually = True

    def authorized_purchase(self):
        tx = self.create_credit_tx(self.bonus_package)
        self.notify_demo(tx, "done")
        self.assertEqual(tx.state, "authorized")
        return tx

    def test_partial_captures_grant_their_share_never_more_than_the_purchase(self):
        tx = self.authorized_purchase()

        tx._send_capture_request(amount_to_capture=40.0)
        self.assertEqual(self.wallet.balance, 48.0, "40 captured: 40 credits + 8 bonus")
        tx._send_capture_request(amount_to_capture=60.0)

        self.assertEqual(tx.state, "done")
        self.assertEqual(self.wallet.balance, 120.0)
        captures = tx.child_transaction_ids
        self.assertEqual(sorted(captures.mapped("credit_amount")), [48.0, 72.0])
        self.assertFalse(self.credit_entries(tx), "the purchase itself credits nothing more")
        tx._post_process()
        self.assertEqual(self.wallet.balance, 120.0)
        self.assert_invariants()

    def test_a_capture_then_a_void_grants_only_the_captured_share(self):
        tx = self.authorized_purchase()

        tx._send_capture_request(amount_to_capture=25.0)
        tx._send_void_request(amount_to_void=75.0)

        self.assertEqual(self.wallet.balance, 30.0)
        self.assertEqual(sorted(tx.child_transaction_ids.mapped("state")), ["cancel", "done"])
        self.assert_invariants()


@tagged("post_install", "-at_install")
class TestCreditsNotGranted(CreditPurchaseLifeCommon):
    @mute_logger(CREDIT_TX_LOGGER)
    def test_test_payments_credit_nothing_unless_the_company_allows_them(self):
        self.company.credit_test_payments_allowed = False
        tx = self.buy(self.package)
        tx._post_process()

        self.assertEqual(tx.state, "done")
        self.assertEqual(self.wallet.balance, 0.0)
        self.assertIn("test mode", tx.credit_issue)
        self.assertTrue(self.manager_activities("Credits not granted"))
        # the money is in the books: on the customer's receivable
        self.assertEqual(tx.payment_id.destination_account_id, self.receivable)
        self.assert_invariants()
        not_granted = self.env["payment.transaction"].search(
            [("credit_wallet_id", "!=", False), ("credit_issue", "!=", False)]
        )
        self.assertIn(tx, not_granted)

        self.company.credit_test_payments_allowed = True
        tx.with_user(self.manager).action_credit_grant()

        self.assertEqual(self.wallet.balance, 100.0)
        self.assertFalse(tx.credit_issue)
        # granted late: moved from the receivable to Customer Credit, matched with the payment
        entry = self.credit_entries(tx)
        self.assertRecordValues(
            entry.move_id.line_ids.sorted("balance"),
            [
                {"account_id": self.credit_account.id, "balance": -100.0, "reconciled": False},
                {"account_id": self.receivable.id, "balance": 100.0, "reconciled": True},
            ],
        )
        self.assert_invariants()

    @mute_logger(CREDIT_TX_LOGGER)
    def test_a_manager_grants_credits_of_an_old_purchase_once_the_cause_is_fixed(self):
        self.customer.action_archive()
        tx = self.buy()
        self.assertIn("archived", tx.credit_issue)
        # older than the 4 days Odoo's post-processing cron looks back
        self.env.cr.execute(
            "UPDATE payment_transaction SET last_state_change = %s WHERE id = %s",
            [fields.Datetime.now() - timedelta(days=30), tx.id],
        )
        tx.invalidate_recordset()

        with self.assertRaisesRegex(UserError, "archived"):
            tx.with_user(self.manager).action_credit_grant()
        with self.assertRaises(AccessError):
            tx.with_user(self.credit_user).action_credit_grant()
        self.assertEqual(self.wallet.balance, 0.0)

        self.customer.action_unarchive()
        tx.with_user(self.manager).action_credit_grant()
        tx.with_user(self.manager).action_credit_grant()

        self.assertEqual(self.wallet.balance, 120.0)
        self.assertEqual(sorted(self.credit_entries(tx).mapped("kind")), ["bonus", "purchase"])
        self.assert_invariants()


@tagged("post_install", "-at_install")
class TestWhoCreatesCredits(CreditPurchaseLifeCommon):
    def test_nobody_creates_a_credit_purchase_outside_buy_credits(self):
        values = self.forged_purchase_values()
        for user in (self.billing_user, self.manager, self.env.user):
            with self.subTest(user=user.login), self.assertRaisesRegex(UserError, "Buy Credits"):
                self.env["payment.transaction"].with_user(user).create(dict(values))
        with self.assertRaisesRegex(UserError, "Buy Credits"):
            self.env["payment.transaction"].sudo().create(dict(values))
        self.assertFalse(
            self.env["payment.transaction"].search([("credit_wallet_id", "=", self.wallet.id)])
        )

    def test_nobody_changes_a_credit_purchase_or_marks_it_done_by_hand(self):
        tx = self.create_credit_tx(self.package)
        forged = {
            "credit_amount": 1000.0,
            "amount": 0.01,
            "partner_id": self.other_contact.id,
            "credit_wallet_id": self.other_wallet.id,
            "credit_package_id": self.bonus_package.id,
            "currency_id": self.setup_other_currency("EUR").id,
            "state": "done",
        }
        for user in (self.billing_user, self.env.user):
            for field_name, value in forged.items():
                with self.subTest(user=user.login, field=field_name):
                    with self.assertRaisesRegex(UserError, "keeps what the customer chose"):
                        tx.with_user(user).write({field_name: value})
        with self.assertRaisesRegex(UserError, "keeps what the customer chose"):
            tx.sudo().write({"state": "done", "is_post_processed": False})
        tx.sudo()._post_process()

        self.assertRecordValues(
            tx,
            [
                {
                    "state": "draft",
                    "credit_amount": 100.0,
                    "amount": 100.0,
                    "credit_wallet_id": self.wallet.id,
                }
            ],
        )
        self.assertEqual(self.wallet.balance, 0.0)
        self.assertFalse(self.credit_entries(tx))

    def test_a_non_credit_transaction_cannot_be_turned_into_a_purchase(self):
        tx = (
            self.env["payment.transaction"]
            .sudo()
            .create(
                {
                    "provider_id": self.provider.id,
                    "payment_method_id": self.payment_method.id,
                    "amount": 1.0,
                    "currency_id": self.company.currency_id.id,
                    "partner_id": self.contact.id,
                }
            )
        )

        with self.assertRaisesRegex(UserError, "keeps what the customer chose"):
            tx.with_user(self.billing_user).write({"credit_wallet_id": self.wallet.id})
        self.assertFalse(tx.credit_wallet_id)


@tagged("post_install", "-at_install")
class TestCreditPurchaseRefundWebhooks(CreditWebhookCase, CreditPurchaseLifeCommon):
    webhook_url = STRIPE_WEBHOOK_URL
    webhook_check = STRIPE_SIGNATURE_CHECK
    webhook_logger = "odoo.addons.payment_stripe.controllers.main"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.stripe = cls.prepare_stripe()

    def stripe_purchase(self):
        tx = self.create_credit_tx(self.bonus_package, provider=self.stripe)
        tx.sudo()._set_done()
        self.assertEqual(self.wallet.balance, 120.0)
        return tx

    def refund_object(self, amount, status="succeeded", refund_id="re_0001"):
        return {
            "amount": int(amount * 100),
            "charge": "ch_0001",
            "currency": "usd",
            "id": refund_id,
            "object": "refund",
            "payment_intent": "pi_0001",
            "status": status,
        }

    def charge_refunded(self, tx, *refunds):
        return {
            "type": "charge.refunded",
            "data": {
                "object": {
                    "id": "ch_0001",
                    "object": "charge",
                    "amount": int(tx.amount * 100),
                    "description": tx.reference,
                    "refunds": {"object": "list", "data": list(refunds), "has_more": False},
                    "status": "succeeded",
                }
            },
        }

    def test_a_refund_made_in_stripes_dashboard_takes_the_credits_back_once(self):
        tx = self.stripe_purchase()

        self.deliver(self.charge_refunded(tx, self.refund_object(50.0)), times=3)

        refund_tx = tx.child_transaction_ids
        self.assertRecordValues(
            refund_tx, [{"operation": "refund", "state": "done", "amount": -50.0}]
        )
        self.assertEqual(self.wallet.balance, 60.0, "50 + 10 of the bonus taken back")
        self.assertEqual(len(self.entries_of_kind("purchase_refund")), 1)
        self.assert_invariants()

    @mute_logger(TX_LOGGER)
    def test_a_stripe_refund_that_fails_afterwards_gives_the_credits_back(self):
        tx = self.stripe_purchase()
        self.deliver(self.charge_refunded(tx, self.refund_object(100.0)))
        refund_tx = tx.child_transaction_ids
        self.assertEqual(self.wallet.balance, 0.0)

        self.deliver(
            {
                "type": "charge.refund.updated",
                "data": {"object": self.refund_object(100.0, status="failed")},
            }
        )

        self.assertEqual(refund_tx.state, "error")
        self.assertEqual(self.wallet.balance, 120.0)
        self.assert_invariants()

    @mute_logger(TX_LOGGER)
    def test_paypal_reversal_of_a_done_purchase_changes_nothing_until_recorded(self):
        """PayPal sends Odoo 18 no refund: the manager records one made in PayPal's dashboard."""
        tx = self.buy(self.package)
        tx.sudo()._set_canceled(state_message="PayPal: approval reversed")
        self.assertEqual(tx.state, "done")
        self.assertEqual(self.wallet.balance, 100.0)

        self.record_refund(tx, 100.0, reason="Refunded in the PayPal dashboard")

        self.assertEqual(self.wallet.balance, 0.0)
        self.assert_invariants()


@tagged("post_install", "-at_install")
class TestWhoCreatesCreditsOverRpc(CreditRpcMixin, CreditPurchaseLifeCommon, HttpCase):
    """What a Billing user's browser or script can send: JSON-RPC calls to the ORM."""

    def test_a_billing_user_cannot_forge_or_confirm_a_credit_purchase_over_rpc(self):
        tx = self.create_credit_tx(self.package)
        self.authenticate("billing_bea", "billing_bea")

        for method, args in (
            ("write", [[tx.id], {"credit_amount": 1000.0}]),
            ("write", [[tx.id], {"state": "done"}]),
            ("write", [[tx.id], {"amount": 1.0}]),
            ("create", [self.forged_purchase_values()]),
        ):
            with self.subTest(method=method, args=args), mute_logger("odoo.http"):
                answer = self.call_kw("payment.transaction", method, args)
                self.assertNotIn("result", answer)
                self.assertIn("credit", answer["error"]["data"]["message"].lower())

        self.env.invalidate_all()
        self.assertRecordValues(tx, [{"state": "draft", "credit_amount": 100.0, "amount": 100.0}])
        self.assertEqual(
            self.env["payment.transaction"].search_count(
                [("credit_wallet_id", "=", self.wallet.id)]
            ),
            1,
        )
        self.assertEqual(self.wallet.balance, 0.0)
