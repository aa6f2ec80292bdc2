from psycopg2 import IntegrityError

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import CreditSpendCommon


@tagged("post_install", "-at_install")
class TestCreditSpend(CreditSpendCommon):
    """Paying invoices and orders with credits: the wallet, the books and the documents."""

    def test_invoice_paid_with_credits_is_a_payment_on_customer_credit_reconciled_with_it(self):
        self.adjust(self.wallet, 150.0)
        invoice = self.create_invoice(100.0)

        tx = self.pay_with_credits(invoice)

        self.assertEqual(tx.state, "done")
        self.assertRecordValues(invoice, [{"payment_state": "paid", "amount_residual": 0.0}])
        self.assertEqual(self.wallet.balance, 50.0)
        entry = self.spend_entries()
        self.assertRecordValues(
            entry,
            [
                {
                    "entry_type": "out",
                    "amount": -100.0,
                    "running_balance": 50.0,
                    "payment_transaction_id": tx.id,
                    "reference_name": invoice.display_name,
                }
            ],
        )
        self.assertEqual(entry.reference, invoice)
        payment = tx.payment_id
        self.assertRecordValues(
            payment,
            [
                {
                    "journal_id": self.credit_payment_journal.id,
                    "partner_id": self.customer.id,
                    "amount": 100.0,
                    "payment_type": "inbound",
                    "state": "paid",
                    "is_matched": True,
                }
            ],
        )
        self.assertEqual(entry.move_id, payment.move_id)
        # Dr Customer Credit / Cr Receivable, the receivable line reconciled with the invoice
        self.assertRecordValues(
            payment.move_id.line_ids.sorted("balance"),
            [
                {"account_id": self.receivable.id, "balance": -100.0, "reconciled": True},
                {"account_id": self.credit_account.id, "balance": 100.0, "reconciled": False},
            ],
        )
        self.assertEqual(payment.move_id.line_ids.partner_id, self.customer)
        self.assertIn(payment.move_id, invoice._get_reconciled_payments().move_id)
        self.assert_invariants()

    def test_quotation_paid_with_credits_is_confirmed_and_its_invoice_paid_when_made(self):
        self.adjust(self.wallet, 120.0)
        order = self.create_quotation()

        tx = self.pay_with_credits(order)

        self.assertEqual(order.state, "sale")
        self.assertEqual(self.wallet.balance, 20.0)
        entry = self.spend_entries()
        self.assertEqual(entry.reference, order)
        self.assertEqual(entry.amount, -100.0)
        receivable_line = tx.payment_id.move_id.line_ids.filtered(
            lambda line: line.account_id == self.receivable
        )
        self.assertFalse(receivable_line.reconciled, "no invoice yet: the payment waits for it")
        self.assert_invariants()

        invoice = order._create_invoices()
        invoice.action_post()

        self.assertEqual(invoice.payment_state, "paid")
        self.assertTrue(receivable_line.reconciled)
        self.assertEqual(self.wallet.balance, 20.0, "invoicing does not spend credits again")
        self.assert_invariants()

    def test_automatic_invoicing_invoices_posts_and_pays_an_order_paid_with_credits(self):
        self.env["ir.config_parameter"].sudo().set_param("sale.automatic_invoice", True)
        self.adjust(self.wallet, 100.0)
        order = self.create_quotation()

        tx = self.pay_with_credits(order)

        self.assertEqual(order.state, "sale")
        self.assertTrue(tx.is_post_processed)
        invoice = order.invoice_ids
        self.assertRecordValues(invoice, [{"state": "posted", "payment_state": "paid"}])
        self.assertEqual(tx.invoice_ids, invoice)
        self.assertEqual(self.wallet.balance, 0.0)
        self.assert_invariants()

    def test_contacts_of_one_company_spend_its_wallet(self):
        colleague = self.env["res.partner"].create(
            {"name": "Bo Brightline", "parent_id": self.customer.id}
        )
        self.adjust(self.wallet, 100.0)
        invoice = self.create_invoice(100.0, partner=colleague)

        self.pay_with_credits(invoice, partner=self.contact)

        self.assertEqual(invoice.payment_state, "paid")
        self.assertEqual(self.wallet.balance, 0.0)

    def test_settling_twice_debits_once(self):
        self.adjust(self.wallet, 200.0)
        invoice = self.create_invoice(100.0)
        tx = self.create_spend_tx(invoice)

        self.assertTrue(tx._credit_process())
        self.assertFalse(tx._credit_process(), "already done: nothing to settle")
        tx._set_done()

        self.assertEqual(self.wallet.balance, 100.0)
        self.assertEqual(len(self.spend_entries()), 1)
        self.assertEqual(
            self.env["account.payment"].search_count([("payment_transaction_id", "=", tx.id)]), 1
        )
        self.assert_invariants()

    def test_an_errored_credit_payment_cannot_be_processed_again(self):
        self.adjust(self.wallet, 200.0)
        invoice = self.create_invoice(100.0)
        tx = self.create_spend_tx(invoice)
        tx._set_error("Refused")

        with self.assertRaisesRegex(UserError, "already processed"):
            tx._credit_process()
        self.assertEqual(self.wallet.balance, 200.0)

    # -------------------------------------------------------------------------
    # Refused when the wallet is debited: nothing debited, nothing confirmed
    # -------------------------------------------------------------------------

    def assert_refused_and_unchanged(self, tx, message):
        """Settling ``tx`` is refused with ``message`` and changes no balance, entry or document."""
        with (
            self.assert_nothing_changed(),
            self.assertRaisesRegex(UserError, message),
            self.env.cr.savepoint(),
        ):
            tx._credit_process()
        self.assertEqual(tx.state, "draft")
        self.assert_invariants()

    def test_a_balance_that_no_longer_covers_the_amount_is_refused(self):
        self.adjust(self.wallet, 100.0)
        invoice = self.create_invoice(100.0)
        tx = self.create_spend_tx(invoice)
        self.adjust(self.wallet, -30.0)

        self.assert_refused_and_unchanged(tx, "does not cover")

    def test_another_customers_invoice_is_refused(self):
        self.adjust(self.wallet, 100.0)
        self.adjust(self.other_wallet, 100.0)
        invoice = self.create_invoice(100.0, partner=self.other_customer)
        tx = self.create_spend_tx(invoice, partner=self.contact)

        self.assert_refused_and_unchanged(tx, "belongs to another customer")

    def test_an_invoice_paid_meanwhile_is_refused(self):
        self.adjust(self.wallet, 300.0)
        invoice = self.create_invoice(100.0)
        tx = self.create_spend_tx(invoice)
        self.pay_with_credits(invoice)

        self.assert_refused_and_unchanged(tx, "already paid")

    def test_a_cancelled_invoice_is_refused(self):
        self.adjust(self.wallet, 100.0)
        invoice = self.create_invoice(100.0)
        tx = self.create_spend_tx(invoice)
        invoice.button_draft()
        invoice.button_cancel()

        self.assert_refused_and_unchanged(tx, "is cancelled")

    def test_an_invoice_that_is_not_posted_is_refused(self):
        self.adjust(self.wallet, 100.0)
        invoice = self.create_invoice(100.0, post=False)
        tx = self.create_spend_tx(invoice, amount=100.0)

        self.assert_refused_and_unchanged(tx, "not confirmed yet")

    def test_an_order_whose_total_changed_is_refused(self):
        self.adjust(self.wallet, 500.0)
        order = self.create_quotation()
        tx = self.create_spend_tx(order)
        order.order_line.product_uom_qty = 2

        self.assert_refused_and_unchanged(tx, "no longer matches")

    def test_an_order_whose_lines_changed_for_the_same_total_is_refused(self):
        self.adjust(self.wallet, 500.0)
        order = self.create_quotation()
        tx = self.create_spend_tx(order)
        other_service = self.service.copy({"name": "Other Sprint"})
        order.order_line.product_id = other_service
        order.order_line.price_unit = 100.0
        self.assertEqual(order.amount_total, tx.amount)

        self.assert_refused_and_unchanged(tx, "changed since the page was shown")

    def test_a_product_made_ineligible_meanwhile_is_refused(self):
        self.adjust(self.wallet, 500.0)
        order = self.create_quotation()
        tx = self.create_spend_tx(order)
        self.service.credit_eligible = False

        self.assert_refused_and_unchanged(tx, "cannot be paid with credits")

    def test_credit_payments_turned_off_meanwhile_are_refused(self):
        self.adjust(self.wallet, 500.0)
        order = self.create_quotation()
        tx = self.create_spend_tx(order)
        self.company.credit_payment_enabled = False

        self.assert_refused_and_unchanged(tx, "not available")

    def test_a_cancelled_order_is_refused(self):
        self.adjust(self.wallet, 500.0)
        order = self.create_quotation()
        tx = self.create_spend_tx(order)
        order._action_cancel()

        self.assert_refused_and_unchanged(tx, "is cancelled")

    def test_a_document_in_a_currency_without_a_rate_is_refused(self):
        self.adjust(self.wallet, 500.0)
        currency = self.setup_other_currency("EUR")
        invoice = self.create_invoice(100.0, currency_id=currency.id)
        tx = self.create_spend_tx(invoice, currency_id=currency.id)

        self.assert_refused_and_unchanged(tx, "Credits do not pay documents in EUR")

    def test_a_public_user_cannot_settle_a_credit_payment(self):
        self.adjust(self.wallet, 500.0)
        invoice = self.create_invoice(100.0)
        tx = self.create_spend_tx(invoice).with_user(self.env.ref("base.public_user")).sudo()

        self.assert_refused_and_unchanged(tx, "Sign in")

    # -------------------------------------------------------------------------
    # Where the provider is offered
    # -------------------------------------------------------------------------

    def compatible_codes(self, amount=100.0, partner=None, **kwargs):
        return (
            self.env["payment.provider"]
            .with_user(self.portal_user)
            .sudo()
            ._get_compatible_providers(
                self.company.id,
                (partner or self.contact).id,
                amount,
                currency_id=self.company.currency_id.id,
                **kwargs,
            )
            .mapped("code")
        )

    def test_credits_are_offered_for_a_document_the_balance_covers(self):
        self.adjust(self.wallet, 100.0)
        order = self.create_quotation()
        invoice = self.create_invoice(100.0)

        self.assertIn("credit", self.compatible_codes(sale_order_id=order.id))
        self.assertIn("credit", self.compatible_codes(invoice_id=invoice.id))
        self.assertNotIn(
            "credit",
            self.compatible_codes(amount=50.0, sale_order_id=order.id),
            "a down payment or a partial amount is not what credits pay",
        )
        self.assertNotIn("credit", self.compatible_codes(amount=101.0, sale_order_id=order.id))

    def test_credits_are_never_offered_without_a_document(self):
        self.adjust(self.wallet, 1000.0)
        order = self.create_quotation()

        self.assertNotIn("credit", self.compatible_codes())
        self.assertNotIn(
            "credit", self.compatible_codes(is_validation=True, sale_order_id=order.id)
        )
        self.assertNotIn(
            "credit", self.compatible_codes(force_tokenization=True, sale_order_id=order.id)
        )
        self.assertNotIn("credit", self.compatible_codes(sale_order_id="x"))
        self.assertNotIn("credit", self.compatible_codes(sale_order_id=10**12))
        self.assertNotIn(
            "credit", self.compatible_codes(sale_order_id=order.id, invoice_id=order.id)
        )

    def test_credits_are_hidden_when_a_rule_fails(self):
        self.adjust(self.wallet, 100.0)
        order = self.create_quotation(products=self.service | self.flyers)
        self.assertNotIn("credit", self.compatible_codes(140.0, sale_order_id=order.id))

        order = self.create_quotation()
        self.assertNotIn(
            "credit", self.compatible_codes(partner=self.other_contact, sale_order_id=order.id)
        )
        self.company.credit_payment_enabled = False
        self.assertNotIn("credit", self.compatible_codes(sale_order_id=order.id))

    def test_lines_that_ask_for_no_money_do_not_need_eligible_products(self):
        self.adjust(self.wallet, 200.0)
        order = self.create_quotation()
        order.order_line = [
            Command.create({"display_type": "line_section", "name": "Phase 1"}),
            Command.create({"display_type": "line_note", "name": "Delivered in May"}),
            Command.create({"product_id": self.flyers.id, "product_uom_qty": 1, "price_unit": 0.0}),
        ]

        self.assertFalse(order._credit_spend_refusal(self.contact, order._credit_amount_due()))
        order.order_line.filtered(lambda line: line.product_id == self.flyers).price_unit = 10.0
        self.assertEqual(
            order._credit_spend_refusal(self.contact, order._credit_amount_due()),
            "Printed Flyers cannot be paid with credits.",
        )

    def test_register_payment_does_not_offer_the_credit_payments_journal(self):
        invoice = self.create_invoice(100.0)
        wizard = (
            self.env["account.payment.register"]
            .with_context(active_model="account.move", active_ids=invoice.ids)
            .create({})
        )

        self.assertTrue(wizard.available_journal_ids)
        self.assertNotIn(self.credit_payment_journal, wizard.available_journal_ids)

    def test_a_payment_written_by_hand_on_customer_credit_is_refused(self):
        invoice = self.create_invoice(100.0)
        bank_journal = self.company_data["default_journal_bank"]
        method_line = bank_journal.inbound_payment_method_line_ids[:1]
        method_line.payment_account_id = self.credit_account

        with self.assertRaisesRegex(UserError, "Customer Credit account"):
            payment = self.env["account.payment"].create(
                {
                    "amount": 100.0,
                    "payment_type": "inbound",
                    "partner_type": "customer",
                    "partner_id": self.customer.id,
                    "journal_id": bank_journal.id,
                    "payment_method_line_id": method_line.id,
                }
            )
            payment.action_post()
        self.assertEqual(invoice.payment_state, "not_paid")
        self.assert_invariants()

    def test_spending_entries_cannot_be_reversed_in_the_ledger(self):
        self.adjust(self.wallet, 100.0)
        invoice = self.create_invoice(100.0)
        self.pay_with_credits(invoice)
        entry = self.spend_entries()

        with self.assertRaisesRegex(UserError, "credit note"):
            entry.with_user(self.manager).action_reverse()
        self.assertEqual(self.wallet.balance, 0.0)
        self.assertEqual(invoice.payment_state, "paid")

    def test_the_payment_of_a_spending_cannot_be_reset_or_cancelled(self):
        self.adjust(self.wallet, 100.0)
        invoice = self.create_invoice(100.0)
        payment = self.pay_with_credits(invoice).payment_id

        # rolled back as its request would be: Odoo unmatches the invoice before the refusal
        with self.assertRaisesRegex(UserError, "records credit wallet movements"):
            with self.env.cr.savepoint():
                payment.action_draft()
        with self.assertRaisesRegex(UserError, "records credit wallet movements"):
            with self.env.cr.savepoint():
                payment.move_id.button_cancel()
        self.assertEqual(payment.move_id.state, "posted")
        self.assertEqual(invoice.payment_state, "paid")
        self.assert_invariants()

    # -------------------------------------------------------------------------
    # Low balance alert
    # -------------------------------------------------------------------------

    def low_balance_mails(self):
        return self.env["mail.mail"].search(
            [("subject", "ilike", "running low"), ("recipient_ids", "in", self.customer.ids)]
        )

    def test_crossing_the_low_balance_threshold_emails_the_customer_once(self):
        self.customer.email = "billing@bright.test"
        self.company.credit_low_balance_threshold = 50.0
        self.adjust(self.wallet, 120.0)

        self.pay_with_credits(self.create_invoice(60.0))
        self.assertFalse(self.low_balance_mails(), "60 left: above the threshold")

        self.pay_with_credits(self.create_invoice(20.0))
        mail = self.low_balance_mails()
        self.assertEqual(len(mail), 1)
        self.assertIn("/my/credits/buy", mail.body_html)
        self.assertIn("40.00", mail.body_html)

        self.pay_with_credits(self.create_invoice(10.0))
        self.assertEqual(len(self.low_balance_mails()), 1, "already below: no second email")

        self.adjust(self.wallet, 100.0)
        self.pay_with_credits(self.create_invoice(90.0))
        self.assertEqual(len(self.low_balance_mails()), 2, "crossed again after a top-up")

    def test_no_threshold_sends_no_alert(self):
        self.customer.email = "billing@bright.test"
        self.adjust(self.wallet, 100.0)

        self.pay_with_credits(self.create_invoice(100.0))

        self.assertFalse(self.low_balance_mails())

    @mute_logger("odoo.sql_db")
    def test_a_negative_threshold_is_refused(self):
        with self.assertRaises(IntegrityError), self.env.cr.savepoint():
            self.company.credit_low_balance_threshold = -1.0
            self.company.flush_recordset()
