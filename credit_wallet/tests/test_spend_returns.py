from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, tagged

from .common import CreditSpendCommon


@tagged("post_install", "-at_install")
class TestCreditReturns(CreditSpendCommon):
    """Credits come back by credit notes, cancelled orders and refunds: never more, never twice."""

    def credit_note(self, invoice, amount=None):
        """A posted credit note of ``invoice``, for all of it or for ``amount``."""
        reversal = (
            self.env["account.move.reversal"]
            .with_context(active_model="account.move", active_ids=invoice.ids)
            .create({"journal_id": invoice.journal_id.id, "reason": "Scope reduced"})
        )
        note = self.env["account.move"].browse(reversal.refund_moves()["res_id"])
        if amount is not None:
            note.invoice_line_ids.price_unit = amount
        note.action_post()
        return note

    def credit_paid_invoice(self, amount=100.0):
        """An invoice of ``amount`` paid with as many credits, the wallet empty after."""
        self.adjust(self.wallet, amount)
        invoice = self.create_invoice(amount)
        self.pay_with_credits(invoice)
        return invoice

    def refund_entries(self):
        return self.wallet.entry_ids.filtered(lambda e: e.kind == "return")

    def test_return_to_credits_gives_back_what_credits_paid_and_settles_the_credit_note(self):
        self.adjust(self.wallet, 100.0)
        invoice = self.create_invoice(100.0)
        spend_tx = self.pay_with_credits(invoice)
        note = self.credit_note(invoice)
        self.assertEqual(note.credit_returnable_amount, 100.0)

        note.with_user(self.billing_user).action_credit_return()

        self.assertEqual(self.wallet.balance, 100.0)
        self.assertEqual(note.payment_state, "paid")
        self.assertEqual(spend_tx.credit_returned_amount, 100.0)
        entry = self.refund_entries()
        self.assertRecordValues(
            entry, [{"entry_type": "in", "amount": 100.0, "running_balance": 100.0}]
        )
        self.assertEqual(entry.reference, note)
        refund_tx = entry.payment_transaction_id
        self.assertRecordValues(
            refund_tx,
            [
                {
                    "operation": "refund",
                    "amount": -100.0,
                    "state": "done",
                    "source_transaction_id": spend_tx.id,
                }
            ],
        )
        # Dr Receivable / Cr Customer Credit, reconciled with the credit note
        self.assertRecordValues(
            refund_tx.payment_id.move_id.line_ids.sorted("balance"),
            [
                {"account_id": self.credit_account.id, "balance": -100.0, "reconciled": False},
                {"account_id": self.receivable.id, "balance": 100.0, "reconciled": True},
            ],
        )
        self.assertEqual(refund_tx.payment_id.payment_type, "outbound")
        self.assertEqual(note.credit_returnable_amount, 0.0)
        self.assert_invariants()

    def open_return(self, note, user=None):
        """Return to Credits on the credit note: the dialog it opens, nothing moved yet."""
        user = user or self.billing_user
        action = note.with_user(user).action_credit_open_return()
        return Form(self.env[action["res_model"]].with_user(user).with_context(**action["context"]))

    def test_return_to_credits_states_the_amount_before_returning_it(self):
        invoice = self.credit_paid_invoice()
        note = self.credit_note(invoice, amount=80.0)

        dialog = self.open_return(note)

        self.assertEqual(dialog.amount, 80.0, "what the note owes, within what credits paid")
        self.assertEqual((dialog.credit_note_id, dialog.invoice_id), (note, invoice))
        self.assertEqual(self.wallet.balance, 0.0, "nothing moves before the confirmation")
        self.assertEqual(note.payment_state, "not_paid")

        dialog.save().action_return()

        self.assertEqual(self.wallet.balance, 80.0)
        self.assertEqual(self.refund_entries().amount, 80.0)
        self.assertEqual(note.payment_state, "paid")
        self.assert_invariants()

    def test_a_return_whose_amount_changed_since_it_was_shown_is_refused(self):
        invoice = self.credit_paid_invoice()
        note = self.credit_note(invoice)
        dialog = self.open_return(note).save()
        self.assertEqual(dialog.amount, 100.0)
        # meanwhile, 40 of the note is refunded in money: 60 is left to return
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=note.ids
        ).create({"amount": 40.0})._create_payments()

        with self.assertRaisesRegex(UserError, "now returns .*60.00.* not the .*100.00"):
            dialog.action_return()
        self.assertEqual(self.wallet.balance, 0.0)
        self.assertFalse(self.refund_entries())

        dialog = self.open_return(note)
        self.assertEqual(dialog.amount, 60.0, "opened again, the dialog says what is left")

    def test_return_to_credits_is_not_offered_without_credits_to_return(self):
        invoice = self.credit_paid_invoice()
        note = self.credit_note(invoice)

        with self.assertRaises(AccessError):
            self.open_return(note, user=self.credit_user)
        note.action_credit_return()
        with self.assertRaisesRegex(UserError, "nothing to return"):
            self.open_return(note)
        self.assertEqual(self.wallet.balance, 100.0, "returned once")

    def test_credit_notes_give_back_at_most_what_credits_paid_and_never_twice(self):
        invoice = self.credit_paid_invoice()

        first = self.credit_note(invoice, amount=30.0)
        first.action_credit_return()
        self.assertEqual(self.wallet.balance, 30.0)
        with self.assertRaisesRegex(UserError, "nothing to return"):
            first.action_credit_return()

        second = self.credit_note(invoice)
        self.assertEqual(second.credit_returnable_amount, 70.0, "100 paid, 30 already back")
        second.action_credit_return()
        self.assertEqual(self.wallet.balance, 100.0)
        self.assertEqual(second.payment_state, "partial", "the note owes 100, credits paid 70")
        self.assertEqual(second.amount_residual, 30.0)

        third = self.credit_note(invoice)
        self.assertEqual(third.credit_returnable_amount, 0.0)
        with self.assertRaisesRegex(UserError, "nothing to return"):
            third.action_credit_return()
        self.assertEqual(self.wallet.balance, 100.0)
        self.assert_invariants()

    def test_a_partly_credit_paid_invoice_returns_only_the_credits(self):
        self.adjust(self.wallet, 40.0)
        invoice = self.create_invoice(100.0)
        wizard = self.env["credit.invoice.payment"].create({"invoice_id": invoice.id})
        wizard.action_pay()
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=invoice.ids
        ).create({})._create_payments()
        self.assertEqual(invoice.payment_state, "paid")

        note = self.credit_note(invoice)
        self.assertEqual(note.credit_returnable_amount, 40.0)
        note.action_credit_return()

        self.assertEqual(self.wallet.balance, 40.0)
        self.assertEqual(note.amount_residual, 60.0, "the rest is refunded the usual way")
        self.assert_invariants()

    def test_a_credit_note_of_an_invoice_not_paid_with_credits_returns_nothing(self):
        invoice = self.create_invoice(100.0)
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=invoice.ids
        ).create({})._create_payments()
        note = self.credit_note(invoice)

        self.assertEqual(note.credit_returnable_amount, 0.0)
        with self.assertRaisesRegex(UserError, "nothing to return"):
            note.action_credit_return()
        self.assertEqual(self.wallet.balance, 0.0)

    def test_only_billing_users_return_credits(self):
        invoice = self.credit_paid_invoice()
        note = self.credit_note(invoice)

        for user in (self.credit_user, self.portal_user):
            with self.subTest(user=user.login), self.assertRaises(UserError):
                note.with_user(user).action_credit_return()
        self.assertEqual(self.wallet.balance, 0.0)
        self.assertEqual(note.payment_state, "not_paid")

    def test_cancelling_a_credit_paid_order_without_invoice_returns_its_credits(self):
        self.adjust(self.wallet, 100.0)
        order = self.create_quotation()
        spend_tx = self.pay_with_credits(order)
        self.assertEqual(order.state, "sale")

        order.with_context(disable_cancel_warning=True).action_cancel()

        self.assertEqual(order.state, "cancel")
        self.assertEqual(self.wallet.balance, 100.0)
        self.assertEqual(spend_tx.credit_returned_amount, 100.0)
        entry = self.refund_entries()
        self.assertEqual(entry.reference, order)
        # the spending's receivable line and the return's cancel out
        receivable_lines = (
            spend_tx.payment_id | entry.payment_transaction_id.payment_id
        ).move_id.line_ids.filtered(lambda line: line.account_id == self.receivable)
        self.assertEqual(len(receivable_lines), 2)
        self.assertTrue(all(receivable_lines.mapped("reconciled")))
        self.assert_invariants()

        order.action_draft()
        order.with_context(disable_cancel_warning=True).action_cancel()
        self.assertEqual(self.wallet.balance, 100.0, "cancelling again returns nothing more")

    def test_cancelling_an_invoiced_order_leaves_the_return_to_the_credit_note(self):
        self.adjust(self.wallet, 100.0)
        order = self.create_quotation()
        self.pay_with_credits(order)
        invoice = order._create_invoices()
        invoice.action_post()

        order.with_context(disable_cancel_warning=True).action_cancel()
        self.assertEqual(self.wallet.balance, 0.0)

        note = self.credit_note(invoice)
        note.action_credit_return()
        self.assertEqual(self.wallet.balance, 100.0)
        self.assertEqual(note.payment_state, "paid")
        self.assert_invariants()

    def refund_wizard(self, payment):
        return (
            self.env["payment.refund.wizard"]
            .with_context(active_model="account.payment", active_id=payment.id)
            .create({})
        )

    def test_odoos_refund_of_a_credit_payment_returns_credits_within_what_is_left(self):
        self.adjust(self.wallet, 100.0)
        invoice = self.create_invoice(100.0)
        spend_tx = self.pay_with_credits(invoice)
        payment = spend_tx.payment_id
        self.assertEqual(payment.amount_available_for_refund, 100.0)

        wizard = self.refund_wizard(payment)
        wizard.amount_to_refund = 30.0
        wizard.action_refund()

        self.assertEqual(self.wallet.balance, 30.0)
        self.assertEqual(payment.amount_available_for_refund, 70.0)
        refund_tx = spend_tx.child_transaction_ids
        self.assertRecordValues(
            refund_tx, [{"operation": "refund", "state": "done", "amount": -30.0}]
        )
        self.assertEqual(refund_tx.payment_id.source_payment_id, payment)

        with self.assertRaises(ValidationError):
            self.refund_wizard(payment).amount_to_refund = 80.0
        with self.assertRaisesRegex(UserError, "At most"):
            spend_tx.action_refund(amount_to_refund=80.0)
        self.assertEqual(self.wallet.balance, 30.0)

        note = self.credit_note(invoice)
        self.assertEqual(note.credit_returnable_amount, 70.0, "the refund counts as returned")
        self.assert_invariants()

    def test_refund_amounts_that_are_not_positive_are_refused(self):
        self.adjust(self.wallet, 100.0)
        spend_tx = self.pay_with_credits(self.create_invoice(100.0))

        for amount in (-5.0, 1e-9):
            with self.subTest(amount=amount), self.assertRaisesRegex(UserError, "At most"):
                with self.env.cr.savepoint():
                    spend_tx._credit_return(amount)
        self.assertEqual(self.wallet.balance, 0.0)
        self.assertEqual(spend_tx.credit_returned_amount, 0.0)

    def test_return_entries_cannot_be_reversed_in_the_ledger(self):
        invoice = self.credit_paid_invoice()
        self.credit_note(invoice).action_credit_return()

        with self.assertRaisesRegex(UserError, "credit note"):
            self.refund_entries().with_user(self.manager).action_reverse()
        self.assertEqual(self.wallet.balance, 100.0)

    def test_nobody_rewrites_what_a_credit_payment_returned(self):
        self.adjust(self.wallet, 100.0)
        invoice = self.create_invoice(100.0)
        spend_tx = self.pay_with_credits(invoice)
        self.credit_note(invoice).action_credit_return()

        for user in (self.billing_user, self.env.user):
            for vals in ({"credit_returned_amount": 0.0}, {"credit_document_fingerprint": "x"}):
                with self.subTest(user=user.login, vals=vals), self.assertRaises(UserError):
                    spend_tx.with_user(user).write(vals)
        forged = {
            "provider_id": self.credit_provider.id,
            "payment_method_id": self.credit_method.id,
            "amount": 100.0,
            "currency_id": self.company.currency_id.id,
            "partner_id": self.contact.id,
            "invoice_ids": [Command.set(invoice.ids)],
        }
        for values in (forged, {**forged, "credit_returned_amount": -100.0}):
            with self.assertRaises(UserError):
                self.env["payment.transaction"].sudo().create(values)
        self.assertEqual(spend_tx.credit_returned_amount, 100.0)
        self.assertEqual(self.credit_note(invoice).credit_returnable_amount, 0.0)
        self.assertEqual(self.wallet.balance, 100.0)

    def test_a_return_goes_to_the_wallet_that_paid_after_the_contact_moved(self):
        self.adjust(self.wallet, 50.0)
        invoice = self.create_invoice(40.0)
        spend_tx = self.pay_with_credits(invoice)  # Ada pays Brightline's invoice
        self.assertEqual(self.wallet.balance, 10.0)

        self.contact.parent_id = self.other_customer  # Ada now works for Harbour & Co
        self.credit_note(invoice).action_credit_return()

        self.assertEqual(self.wallet.balance, 50.0)
        self.assertEqual(self.other_wallet.balance, 0.0)
        entry = self.refund_entries()
        self.assertEqual(entry.source_entry_id, spend_tx.credit_entry_ids)
        self.assertEqual(entry.move_id.line_ids.partner_id, self.customer)
        self.assert_invariants()
        self.assert_invariants(self.company)

    def test_a_cancelled_order_set_back_to_quotation_asks_for_payment_again(self):
        self.adjust(self.wallet, 100.0)
        order = self.create_quotation()
        self.pay_with_credits(order)
        self.assertTrue(order._is_confirmation_amount_reached())

        order.with_context(disable_cancel_warning=True).action_cancel()
        order.action_draft()
        order.action_quotation_sent()

        self.assertEqual(self.wallet.balance, 100.0)
        self.assertEqual(order.amount_paid, 0.0, "the return is linked to the order")
        self.assertTrue(order._has_to_be_paid(), "accepting it in the portal asks for payment")
        self.assertFalse(order._is_confirmation_amount_reached())
        # what the portal's Accept does: confirm only what needs no payment
        if not order._has_to_be_paid():
            order._validate_order()
        self.assertEqual(order.state, "sent")
        # paid with credits again, it is confirmed and the wallet pays once more
        self.pay_with_credits(order)
        self.assertEqual(order.state, "sale")
        self.assertEqual(self.wallet.balance, 0.0)
        self.assert_invariants()

    def test_a_credit_note_whose_credits_came_back_stays_posted(self):
        invoice = self.credit_paid_invoice(40.0)
        note = self.credit_note(invoice)
        note.action_credit_return()
        self.assertEqual(self.wallet.balance, 40.0)

        for action in (note.button_draft, note.button_cancel):
            with (
                self.subTest(action=action.__name__),
                self.assertRaisesRegex(UserError, "while that return stands"),
            ):
                with self.env.cr.savepoint():
                    action()
        with self.assertRaisesRegex(UserError, "while that return stands"):
            note.with_user(self.billing_user).button_draft()

        self.env.invalidate_all()
        self.assertRecordValues(note, [{"state": "posted", "payment_state": "paid"}])
        self.assertEqual(self.wallet.balance, 40.0)
        self.assert_invariants()
