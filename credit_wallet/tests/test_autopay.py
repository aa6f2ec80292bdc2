"""Auto-pay: invoices of retainer customers are paid from their credits as soon as posted."""

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import Form, HttpCase, tagged

from .common import CreditSpendCommon, CreditTopupCommon


class CreditAutopayCommon(CreditSpendCommon, CreditTopupCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer.write({"credit_autopay": "always", "email": "billing@bright.test"})
        cls.company.credit_autopay_partial = False

    def post_invoice(self, amount, partner=None, **values):
        invoice = self.create_invoice(amount, partner=partner, **values)
        self.run_triggered_autopay()
        return invoice

    def run_triggered_autopay(self):
        """What Odoo's cron runner does once the current transaction committed: run the
        auto-pay action if something triggered it."""
        cron = self.env.ref("credit_wallet.ir_cron_credit_autopay")
        triggers = self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)])
        if triggers:
            triggers.unlink()
            self.run_daily_autopay()

    def shortfall_emails(self, invoice):
        return invoice.message_ids.filtered(lambda m: "do not cover" in (m.subject or ""))

    def run_daily_autopay(self):
        """The daily action, which works in transactions of its own, then read afresh."""
        self.env["account.move"]._cron_credit_autopay()
        self.env.invalidate_all()

    def send_queued_invoices(self):
        """Run Odoo's background sending job, which mails the invoices marked to send."""
        self.env["account.move"]._cron_account_move_send()


@tagged("post_install", "-at_install")
class TestCreditAutopay(CreditAutopayCommon):
    def test_a_posted_invoice_is_paid_from_credits_and_emailed(self):
        self.adjust(self.wallet, 500.0)

        invoice = self.create_invoice(400.0)
        self.assertEqual(invoice.payment_state, "not_paid", "auto-pay waits for the commit")
        self.assertEqual(self.wallet.balance, 500.0)
        self.run_triggered_autopay()

        self.assertEqual(invoice.payment_state, "paid")
        self.assertEqual(self.wallet.balance, 100.0)
        entry = self.spend_entries()
        self.assertRecordValues(entry, [{"amount": -400.0, "entry_type": "out"}])
        self.assertEqual(entry.reference, invoice)
        tx = invoice.transaction_ids
        self.assertRecordValues(tx, [{"state": "done", "provider_id": self.credit_provider.id}])
        self.assertTrue(tx.payment_id.move_id.line_ids.filtered("reconciled"))
        self.assertTrue(invoice.sending_data, "queued for Odoo's sending job")
        self.send_queued_invoices()
        self.assertTrue(invoice.is_move_sent)
        sent = invoice.message_ids.filtered(lambda m: m.partner_ids & self.customer)
        self.assertTrue(sent.attachment_ids, "the invoice goes with its PDF")
        self.assertFalse(self.shortfall_emails(invoice))
        self.assert_invariants()

    def test_an_invoice_credits_do_not_cover_stays_open_with_one_email(self):
        self.adjust(self.wallet, 150.0)

        invoice = self.post_invoice(400.0)

        self.assertEqual(invoice.payment_state, "not_paid")
        self.assertEqual(self.wallet.balance, 150.0)
        email = self.shortfall_emails(invoice)
        self.assertEqual(len(email), 1)
        self.assertEqual(email.partner_ids, self.customer)
        self.assertIn("250.00", email.body, "what is missing")
        self.assertIn("/my/credits/buy", email.body)

        self.run_daily_autopay()
        self.run_daily_autopay()
        self.assertEqual(len(self.shortfall_emails(invoice)), 1, "told once")
        self.assertEqual(invoice.payment_state, "not_paid")
        self.assert_invariants()

    def test_the_company_can_apply_what_is_there_as_a_partial_payment(self):
        self.company.credit_autopay_partial = True
        self.adjust(self.wallet, 150.0)

        invoice = self.post_invoice(400.0)

        self.assertRecordValues(invoice, [{"payment_state": "partial", "amount_residual": 250.0}])
        self.assertEqual(self.wallet.balance, 0.0)
        self.assertIn("250.00", self.shortfall_emails(invoice).body)
        self.assert_invariants()

    def test_the_daily_action_pays_the_oldest_due_invoice_first(self):
        self.adjust(self.wallet, 100.0)
        later = self.post_invoice(300.0, invoice_date_due="2026-06-30")
        sooner = self.post_invoice(300.0, invoice_date_due="2026-03-31")
        self.assertEqual((later | sooner).mapped("payment_state"), ["not_paid", "not_paid"])

        self.adjust(self.wallet, 400.0)  # 500: covers one invoice
        self.run_daily_autopay()

        self.assertEqual(sooner.payment_state, "paid")
        self.assertEqual(later.payment_state, "not_paid")
        self.assertEqual(self.wallet.balance, 200.0)
        self.assert_invariants()

    def test_a_top_up_pays_the_waiting_invoices_of_that_customer(self):
        invoice = self.post_invoice(100.0)
        other_invoice = self.post_invoice(100.0, partner=self.other_customer)
        self.other_customer.credit_autopay = "always"
        self.assertEqual(invoice.payment_state, "not_paid")

        self.notify_demo(self.create_credit_tx(self.package), "done")
        self.assertEqual(
            invoice.payment_state, "not_paid", "not inside the provider's notification"
        )
        self.run_triggered_autopay()

        self.assertEqual(invoice.payment_state, "paid")
        self.assertEqual(self.wallet.balance, 0.0)
        self.assertEqual(other_invoice.payment_state, "not_paid", "another customer's invoice")
        self.assert_invariants()

    def test_a_company_default_applies_unless_the_customer_says_otherwise(self):
        self.adjust(self.wallet, 1000.0)
        self.customer.credit_autopay = "company"
        self.company.credit_autopay_default = False
        self.assertEqual(self.post_invoice(100.0).payment_state, "not_paid")

        self.company.credit_autopay_default = True
        self.assertEqual(self.post_invoice(100.0).payment_state, "paid")

        self.customer.credit_autopay = "never"
        invoice = self.post_invoice(100.0)
        self.assertEqual(invoice.payment_state, "not_paid")
        self.assertFalse(self.shortfall_emails(invoice), "not an auto-pay customer")

    def test_the_customer_form_shows_what_the_choice_does_in_the_current_company(self):
        other_company = self.setup_other_company()["company"]
        other_company.write({"credit_payment_enabled": True, "credit_autopay_default": True})
        self.company.credit_autopay_default = False
        self.customer.credit_autopay = "company"

        here = Form(self.customer.with_company(self.company))
        self.assertEqual(here.credit_autopay_effective, "(off)", "As the Company Does (off)")
        self.assertEqual(
            Form(self.customer.with_company(other_company)).credit_autopay_effective, "(on)"
        )
        self.assertEqual(self.contact.credit_autopay_effective, "(off)", "its company's choice")

        # the form follows the choice before it is saved
        here.credit_autopay = "always"
        self.assertEqual(here.credit_autopay_effective, "", "the choice says it all")
        here.credit_autopay = "never"
        self.assertEqual(here.credit_autopay_effective, "")
        here.credit_autopay = "company"
        self.assertEqual(here.credit_autopay_effective, "(off)")

        self.customer.credit_autopay = "always"
        self.company.credit_payment_enabled = False
        self.assertEqual(
            self.customer.credit_autopay_effective,
            f"(off: credit payments are off in {self.company.name})",
        )

    def test_an_invoice_reset_to_draft_and_posted_again_is_paid_once(self):
        self.adjust(self.wallet, 500.0)
        invoice = self.post_invoice(400.0)
        self.assertEqual(self.wallet.balance, 100.0)

        invoice.button_draft()
        invoice.action_post()

        self.assertEqual(invoice.payment_state, "paid")
        self.assertEqual(self.wallet.balance, 100.0)
        self.assertEqual(len(self.spend_entries()), 1)
        self.assert_invariants()

    def test_other_currencies_credit_notes_bills_and_other_companies_are_never_touched(self):
        self.adjust(self.wallet, 5000.0)
        eur = self.setup_other_currency("EUR")
        foreign = self.post_invoice(100.0, currency_id=eur.id)
        refund = self.env["account.move"].create(
            {
                "move_type": "out_refund",
                "partner_id": self.customer.id,
                "invoice_line_ids": [
                    Command.create({"name": "Goodwill", "price_unit": 50.0, "tax_ids": []})
                ],
            }
        )
        refund.action_post()
        bill = self.create_vendor_bill()
        other_company = self.setup_other_company()["company"]
        other_company.credit_payment_enabled = True
        elsewhere = (
            self.env["account.move"]
            .with_company(other_company)
            .create(
                {
                    "move_type": "out_invoice",
                    "company_id": other_company.id,
                    "partner_id": self.customer.id,
                    "invoice_line_ids": [
                        Command.create({"name": "Elsewhere", "price_unit": 10.0, "tax_ids": []})
                    ],
                }
            )
        )
        elsewhere.action_post()
        self.run_daily_autopay()

        for move in (foreign, refund, bill, elsewhere):
            self.assertEqual(move.payment_state, "not_paid", move.move_type)
            self.assertFalse(move.transaction_ids)
        self.assertEqual(self.wallet.balance, 5000.0)

    def test_an_accountant_pays_a_selection_of_invoices_from_credits(self):
        self.customer.credit_autopay = "never"
        self.adjust(self.wallet, 150.0)
        small = self.post_invoice(100.0)
        large = self.post_invoice(400.0)
        billing = self.billing_user

        result = (small | large).with_user(billing).action_credit_pay_from_credits()

        self.assertEqual(small.payment_state, "paid")
        self.assertEqual(large.payment_state, "not_paid")
        self.assertEqual(self.wallet.balance, 50.0)
        self.assertIn("1 invoice(s) paid", result["params"]["message"])
        with self.assertRaises(AccessError):
            large.with_user(self.credit_user).action_credit_pay_from_credits()
        self.assert_invariants()


@tagged("post_install", "-at_install")
class TestCreditAutopayBesideOtherPayments(CreditAutopayCommon):
    """Auto-pay never pays what another payment of the customer is settling."""

    def card_payment(self, document, amount=None):
        """A card payment (Odoo's demo provider) of an order or an invoice, as its payment
        form creates it."""
        field_name = "sale_order_ids" if document._name == "sale.order" else "invoice_ids"
        return (
            self.env["payment.transaction"]
            .sudo()
            .create(
                {
                    "provider_id": self.provider.id,
                    "payment_method_id": self.payment_method.id,
                    "amount": document.amount_total if amount is None else amount,
                    "currency_id": self.company.currency_id.id,
                    "partner_id": self.contact.id,
                    "operation": "online_direct",
                    field_name: [Command.set(document.ids)],
                }
            )
        )

    def assert_paid_by(self, invoice, tx):
        self.env.invalidate_all()
        self.assertTrue(invoice.currency_id.is_zero(invoice.amount_residual))
        self.assertEqual(invoice._get_reconciled_payments(), tx.payment_id)

    def test_an_order_paid_by_card_and_invoiced_at_once_is_left_to_its_card_payment(self):
        self.env["ir.config_parameter"].sudo().set_param("sale.automatic_invoice", True)
        self.adjust(self.wallet, 100.0)
        order = self.create_quotation()
        tx = self.card_payment(order)

        self.notify_demo(tx)
        tx._post_process()  # confirms, invoices and posts: auto-pay is only triggered
        self.run_triggered_autopay()

        self.assert_paid_by(order.invoice_ids, tx)
        self.assertEqual(self.wallet.balance, 100.0)
        self.assertFalse(self.spend_entries())
        self.assert_invariants()

    def test_an_authorized_card_payment_of_the_order_holds_auto_pay_until_captured(self):
        self.provider.capture_manually = True
        self.adjust(self.wallet, 100.0)
        order = self.create_quotation()
        tx = self.card_payment(order)
        self.notify_demo(tx)
        tx._post_process()
        self.assertEqual((tx.state, order.state), ("authorized", "sale"))
        invoice = order._create_invoices()
        invoice.action_post()

        self.run_triggered_autopay()
        self.run_daily_autopay()
        invoice.action_credit_pay_from_credits()
        self.assertEqual(invoice.payment_state, "not_paid")
        self.assertEqual(self.wallet.balance, 100.0)

        tx._send_capture_request()
        tx._post_process()
        self.run_daily_autopay()
        self.assert_paid_by(invoice, tx)
        self.assertEqual(self.wallet.balance, 100.0)
        self.assertFalse(self.spend_entries())
        self.assert_invariants()

    def test_an_authorized_card_payment_of_the_invoice_holds_the_daily_action(self):
        self.provider.capture_manually = True
        invoice = self.create_invoice(100.0)
        tx = self.card_payment(invoice)
        self.notify_demo(tx)
        self.assertFalse(invoice._has_to_be_paid(), "Odoo itself asks for no payment")
        self.adjust(self.wallet, 100.0)

        self.run_daily_autopay()

        self.assertEqual(invoice.payment_state, "not_paid")
        self.assertEqual(self.wallet.balance, 100.0)

    def test_an_outstanding_card_payment_of_the_order_is_used_before_credits(self):
        self.adjust(self.wallet, 100.0)
        order = self.create_quotation()
        tx = self.card_payment(order)
        self.notify_demo(tx)
        tx._post_process()
        invoice = order._create_invoices()
        invoice.action_post()
        # an accountant unmatched the card payment: it waits on the customer's account
        invoice.line_ids.remove_move_reconcile()
        self.assertEqual(invoice.payment_state, "not_paid")

        self.run_triggered_autopay()

        self.assert_paid_by(invoice, tx)
        self.assertEqual(self.wallet.balance, 100.0)
        self.assertFalse(self.spend_entries())
        self.assert_invariants()

    def test_a_payment_on_the_customers_account_is_used_before_credits(self):
        self.customer.credit_autopay = "never"
        invoice = self.create_invoice(100.0)
        payment = self.env["account.payment"].create(
            {
                "payment_type": "inbound",
                "partner_type": "customer",
                "partner_id": self.customer.id,
                "amount": 60.0,
                "journal_id": self.company_data["default_journal_bank"].id,
            }
        )
        payment.action_post()
        self.adjust(self.wallet, 100.0)
        self.customer.credit_autopay = "always"

        self.run_daily_autopay()

        self.assertEqual(invoice.payment_state, "paid")
        self.assertEqual(self.wallet.balance, 60.0, "credits pay the 40 the transfer left")
        self.assertEqual(self.spend_entries().amount, -40.0)
        self.assert_invariants()

    def test_an_invoice_unmatched_from_its_credit_payment_is_not_paid_again(self):
        self.adjust(self.wallet, 50.0)
        invoice = self.post_invoice(25.0)
        self.assertEqual(self.wallet.balance, 25.0)

        invoice.line_ids.remove_move_reconcile()
        self.assertEqual(invoice.payment_state, "not_paid")
        self.run_daily_autopay()

        self.assertEqual(invoice.payment_state, "paid", "matched again with its own payment")
        self.assertEqual(self.wallet.balance, 25.0)
        self.assertEqual(len(self.spend_entries()), 1)
        self.assert_invariants()

    def test_auto_pay_gives_way_to_a_card_payment_of_the_same_invoice(self):
        self.adjust(self.wallet, 100.0)
        invoice = self.create_invoice(100.0)
        tx = self.card_payment(invoice)  # the customer opened the payment form
        self.run_triggered_autopay()  # auto-pay pays before the card payment arrives
        self.assertEqual(self.wallet.balance, 0.0)

        self.notify_demo(tx)
        tx._post_process()

        self.assert_paid_by(invoice, tx)
        self.assertEqual(self.wallet.balance, 100.0, "the credits went back")
        spend = self.spend_entries()
        self.assertEqual(spend.return_entry_ids.amount, 100.0)
        self.assertTrue(invoice.message_ids.filtered(lambda message: "gave way" in message.body))
        self.assert_invariants()

    def test_each_agency_company_decides_auto_pay_for_itself(self):
        other_company = self.setup_other_company()["company"]
        other_company.credit_payment_enabled = True
        other_wallet = self.env["credit.wallet"]._get_or_create_wallet(self.customer, other_company)
        self.adjust(other_wallet, 100.0)
        self.adjust(self.wallet, 100.0)
        self.customer.with_company(self.company).credit_autopay = "always"
        self.assertEqual(self.customer.with_company(other_company).credit_autopay, "company")

        elsewhere = self.create_invoice(
            30.0,
            company_id=other_company.id,
            journal_id=self.env["account.journal"]
            .search([("company_id", "=", other_company.id), ("type", "=", "sale")], limit=1)
            .id,
        )
        here = self.post_invoice(30.0)
        self.run_daily_autopay()

        self.assertEqual(here.payment_state, "paid")
        self.assertEqual(elsewhere.payment_state, "not_paid", "the other company's default is off")
        self.assertEqual(other_wallet.balance, 100.0)


@tagged("post_install", "-at_install")
class TestCreditAutopayPortal(CreditAutopayCommon, HttpCase):
    def test_the_credits_page_says_whether_invoices_are_paid_automatically(self):
        self.authenticate("portal_ada", "portal_ada")
        page = self.url_open("/my/credits").text
        self.assertIn("paid from your credits automatically", page)
        self.assertNotIn("not paid from your credits automatically", page)

        self.customer.credit_autopay = "never"
        page = self.url_open("/my/credits").text
        self.assertIn("not paid from your credits automatically", page)
