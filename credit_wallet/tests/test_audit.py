"""The per-document audit: each check finds what is wrong with a document, names it and its
amounts, and finds nothing once the books are right again."""

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import tagged
from odoo.tools import SQL

from ..const import POSTING_SETTING
from .common import CreditSpendCommon, CreditTopupCommon


class CreditAuditCommon(CreditSpendCommon, CreditTopupCommon):
    def credit_note(self, invoice):
        reversal = (
            self.env["account.move.reversal"]
            .with_context(active_model="account.move", active_ids=invoice.ids)
            .create({"journal_id": invoice.journal_id.id, "reason": "Scope reduced"})
        )
        note = self.env["account.move"].browse(reversal.refund_moves()["res_id"])
        note.action_post()
        return note

    def audit(self, company=None):
        return self.env["credit.audit.finding"]._run_audit(company or self.company)

    def write_sql(self, query, *params):
        """Write an inconsistency (or its fix) behind the ORM's back, as a bug would (a bug of
        the posting service itself: the database refuses journal items on Customer Credit
        written anywhere else, tests/test_books_guard.py)."""
        self.env.flush_all()
        self.env.cr.execute(SQL("SELECT set_config(%s, '1', true)", POSTING_SETTING))
        self.env.cr.execute(query, params)
        self.env.cr.execute(SQL("SELECT set_config(%s, '', true)", POSTING_SETTING))
        self.env.invalidate_all()

    def assert_found(self, check, document, amount, expected, *words):
        """The audit finds exactly one document wrong: ``document``, for ``check``, with these
        amounts; its message names the document, the amounts and ``words``.

        :return: the finding
        """
        findings = self.audit()
        self.assertEqual(len(findings), 1, findings)
        [finding] = findings
        self.assertEqual(
            (finding["check"], finding["res_model"], finding["res_id"]),
            (check, document._name, document.id),
            finding["message"],
        )
        self.assertAlmostEqual(finding["amount"], amount, places=2)
        self.assertAlmostEqual(finding["expected_amount"], expected, places=2)
        for word in (finding["document_name"], f"{amount:,.2f}", f"{expected:,.2f}", *words):
            self.assertIn(word, finding["message"])
        return finding

    def stored_findings(self, **values):
        domain = [(name, "=", value) for name, value in values.items()]
        return self.env["credit.audit.finding"].search(
            [("company_id", "=", self.company.id), *domain]
        )

    def managers_activities(self, finding):
        managers = self.env["res.users"]._credit_managers(finding.company_id)
        self.assertIn(self.manager, managers)
        return finding.activity_ids.filtered(lambda activity: activity.user_id in managers)


@tagged("post_install", "-at_install")
class TestCreditAuditChecks(CreditAuditCommon):
    """Each check, on a document made through the add-on's own flows, then broken with SQL."""

    def test_a_ledger_entry_whose_journal_entry_disagrees_is_found(self):
        self.adjust(self.wallet, 100.0)
        entry = self.adjust(self.wallet, 50.0)
        self.assertEqual(self.audit(), [])

        # the entry says 40 where its journal entry moved 50 (wallet and ledger agree)
        self.write_sql(
            "UPDATE credit_ledger_entry SET amount = 40, running_balance = 140 WHERE id = %s",
            entry.id,
        )
        self.write_sql("UPDATE credit_wallet SET balance = 140 WHERE id = %s", self.wallet.id)
        self.assert_found("entry_books", entry, 40.0, 50.0, entry.move_id.name, "Adjustment")

    def test_a_journal_entry_of_another_customer_or_not_posted_is_found(self):
        entry = self.adjust(self.wallet, 100.0)
        credit_line = self.credit_lines(entry.move_id)

        self.write_sql(
            "UPDATE account_move_line SET partner_id = %s WHERE id = %s",
            self.other_customer.id,
            credit_line.id,
        )
        self.assert_found("entry_books", entry, 100.0, 0.0, entry.move_id.name, "customer")

        self.write_sql(
            "UPDATE account_move_line SET partner_id = %s WHERE id = %s",
            self.customer.id,
            credit_line.id,
        )
        self.write_sql("UPDATE account_move SET state = 'draft' WHERE id = %s", entry.move_id.id)
        self.assert_found("entry_books", entry, 100.0, 100.0, "no posted journal entry", "Draft")

    def test_a_journal_entry_on_customer_credit_without_ledger_entry_is_found(self):
        first = self.adjust(self.wallet, 100.0)
        second = self.adjust(self.other_wallet, 30.0)
        first_move = first.move_id

        # the first entry now claims the second one's journal entry: its own is nobody's
        self.write_sql(
            "UPDATE credit_ledger_entry SET move_id = %s WHERE id = %s",
            second.move_id.id,
            first.id,
        )
        findings = {(f["res_model"], f["res_id"]): f for f in self.audit()}
        self.assertEqual(
            set(findings), {("credit.ledger.entry", first.id), ("account.move", first_move.id)}
        )
        orphan = findings["account.move", first_move.id]
        self.assertEqual((orphan["check"], orphan["amount"]), ("entry_books", 100.0))
        self.assertIn("no ledger entry records it", orphan["message"])

    def test_a_wallet_whose_balance_or_running_balances_disagree_is_found(self):
        first = self.adjust(self.wallet, 100.0)
        self.adjust(self.wallet, 50.0)

        self.write_sql("UPDATE credit_wallet SET balance = 120 WHERE id = %s", self.wallet.id)
        finding = self.assert_found("wallet_ledger", self.wallet, 120.0, 150.0, "Brightline")
        self.assertIn("running balance of its latest entry", finding["message"])

        self.write_sql("UPDATE credit_wallet SET balance = 150 WHERE id = %s", self.wallet.id)
        self.write_sql(
            "UPDATE credit_ledger_entry SET running_balance = 90 WHERE id = %s", first.id
        )
        finding = self.assert_found("wallet_ledger", self.wallet, 90.0, 100.0)
        self.assertIn(f"Ledger entry {first.id}", finding["message"])

    def test_a_payment_with_credits_that_disagrees_with_its_debit_is_found(self):
        self.adjust(self.wallet, 100.0)
        invoice = self.create_invoice(100.0)
        spend_tx = self.pay_with_credits(invoice)
        self.assertEqual(self.audit(), [])

        # the credits it took against the credits it records
        self.write_sql(
            "UPDATE payment_transaction SET credit_amount = 80 WHERE id = %s", spend_tx.id
        )
        finding = self.assert_found("spend", spend_tx, 100.0, 80.0, "its transaction records")
        self.assertIn("took 100.00 credits", finding["message"])

        # the money it pays against the money of its payment
        self.write_sql(
            "UPDATE payment_transaction SET credit_amount = 100, amount = 80 WHERE id = %s",
            spend_tx.id,
        )
        self.assert_found("spend", spend_tx, 100.0, 80.0, "is a payment of $\xa080.00")

        self.write_sql("UPDATE payment_transaction SET amount = 100 WHERE id = %s", spend_tx.id)
        self.write_sql(
            "UPDATE account_payment SET amount = 70 WHERE id = %s", spend_tx.payment_id.id
        )
        self.assert_found("spend", spend_tx, 70.0, 100.0, spend_tx.payment_id.move_id.name)

    def test_a_credit_paid_invoice_reset_to_draft_leaves_the_payment_outstanding(self):
        """Found without SQL: an accountant resets an invoice paid with credits to draft."""
        self.adjust(self.wallet, 100.0)
        invoice = self.create_invoice(100.0)
        spend_tx = self.pay_with_credits(invoice)

        invoice.button_draft()

        self.assert_found("spend", spend_tx, 0.0, 100.0, invoice.name, "outstanding")
        invoice.action_post()
        self.assertEqual(invoice.payment_state, "paid", "posting matches the payment again")
        self.assert_invariants()

    def test_a_credit_paid_order_may_wait_for_its_invoice(self):
        self.adjust(self.wallet, 100.0)
        order = self.create_quotation()
        spend_tx = self.pay_with_credits(order)
        self.assertEqual(self.audit(), [], "outstanding until the order is invoiced")

        invoice = order._create_invoices()
        invoice.action_post()
        self.assertEqual(invoice.payment_state, "paid")
        self.assert_invariants()

        # the payment unmatched from the posted invoice of its order
        self.write_sql(
            "DELETE FROM account_partial_reconcile WHERE credit_move_id IN %s",
            tuple(spend_tx.payment_id.move_id.line_ids.ids),
        )
        self.assert_found("spend", spend_tx, 0.0, 100.0, order.name)

    def test_a_spending_without_wallet_debit_is_found(self):
        self.adjust(self.wallet, 100.0)
        invoice = self.create_invoice(60.0)
        spend_tx = self.pay_with_credits(invoice)

        self.write_sql(
            "UPDATE credit_ledger_entry SET kind = 'adjustment' WHERE payment_transaction_id = %s",
            spend_tx.id,
        )
        self.assert_found("spend", spend_tx, 0.0, 60.0, "none of its")

    def test_a_return_beyond_its_spending_or_to_another_spending_is_found(self):
        self.adjust(self.wallet, 120.0)
        invoice = self.create_invoice(100.0)
        spend_tx = self.pay_with_credits(invoice)
        small_tx = self.pay_with_credits(self.create_invoice(20.0))
        note = self.credit_note(invoice)
        note.action_credit_return()
        return_tx = spend_tx.child_transaction_ids
        self.assert_invariants()

        # the return now claims to give back the 20.00 spending's credits
        self.write_sql(
            "UPDATE credit_ledger_entry SET source_entry_id = %s WHERE payment_transaction_id = %s",
            small_tx._credit_spend_entry().id,
            return_tx.id,
        )
        findings = {(f["res_id"], f["check"]): f for f in self.audit()}
        self.assertEqual(
            set(findings),
            {(return_tx.id, "return"), (small_tx.id, "return"), (spend_tx.id, "return")},
        )
        self.assertIn(small_tx.reference, findings[return_tx.id, "return"]["message"])
        beyond = findings[small_tx.id, "return"]
        self.assertEqual((beyond["amount"], beyond["expected_amount"]), (100.0, 20.0))
        self.assertIn("more than the 20.00 credits it took", beyond["message"])

    def test_a_spending_recording_other_returns_than_its_ledger_is_found(self):
        self.adjust(self.wallet, 100.0)
        invoice = self.create_invoice(100.0)
        spend_tx = self.pay_with_credits(invoice)
        self.credit_note(invoice).action_credit_return()

        self.write_sql(
            "UPDATE payment_transaction SET credit_returned_amount = 40 WHERE id = %s",
            spend_tx.id,
        )
        self.assert_found("return", spend_tx, 100.0, 40.0, "records")

    def test_a_credit_note_whose_return_stands_must_stay_posted(self):
        self.adjust(self.wallet, 100.0)
        invoice = self.create_invoice(100.0)
        self.pay_with_credits(invoice)
        note = self.credit_note(invoice)
        note.action_credit_return()

        self.write_sql("UPDATE account_move SET state = 'cancel' WHERE id = %s", note.id)
        self.assert_found("credit_note", note, 100.0, 0.0, "Cancelled", "Brightline")

    def test_an_invoice_paid_by_credits_and_by_card_is_found(self):
        """Found without SQL: a card payment of an invoice lands after credits paid it."""
        self.adjust(self.wallet, 100.0)
        invoice = self.create_invoice(100.0)
        card_tx = self.create_card_tx(invoice)
        self.pay_with_credits(invoice)

        self.notify_demo(card_tx, "done")
        card_tx._post_process()

        self.assertEqual(card_tx.state, "done")
        self.assert_found("invoice_overpaid", invoice, 200.0, 100.0, "beyond its total")

        # the card payment refunded in full: the invoice is paid once again
        card_tx.action_refund()
        self.assertEqual(self.audit(), [])

    def test_an_order_paid_by_credits_and_by_card_is_found(self):
        self.adjust(self.wallet, 100.0)
        order = self.create_quotation()
        card_tx = self.create_card_tx(order)
        self.pay_with_credits(order)

        self.notify_demo(card_tx, "done")

        self.assertEqual(card_tx.state, "done")
        self.assert_found("order_overpaid", order, 200.0, 100.0, order.name)

    def test_a_purchase_credited_beyond_its_price_or_its_money_is_found(self):
        tx = self.create_credit_tx(self.bonus_package)
        self.notify_demo(tx, "done")
        tx._post_process()
        self.assertEqual(self.wallet.balance, 120.0)
        self.assert_invariants()

        # 120 credits for 100, 20 of them bonus: the price buys 100
        self.write_sql("UPDATE payment_transaction SET credit_bonus = 40 WHERE id = %s", tx.id)
        finding = self.assert_found("purchase", tx, 100.0, 80.0, "its price buys")
        self.assertIn("credited 100.00 credits, more than the 80.00 credits", finding["message"])

        self.write_sql("UPDATE payment_transaction SET credit_bonus = 20 WHERE id = %s", tx.id)
        self.write_sql("UPDATE account_payment SET amount = 50 WHERE id = %s", tx.payment_id.id)
        self.assert_found("purchase", tx, 100.0, 50.0, "posted payment received")

        self.write_sql("UPDATE account_payment SET amount = 100 WHERE id = %s", tx.payment_id.id)
        self.write_sql(
            "UPDATE payment_transaction SET credit_amount = 110, credit_bonus = 10 WHERE id = %s",
            tx.id,
        )
        self.assert_found("purchase", tx, 20.0, 10.0, "bonus")

    def test_a_voided_purchase_whose_credits_stay_is_found(self):
        tx = self.create_credit_tx(self.bonus_package)
        self.notify_demo(tx, "done")

        self.write_sql("UPDATE payment_transaction SET state = 'cancel' WHERE id = %s", tx.id)
        self.assert_found("purchase", tx, 120.0, 0.0, "voided")

        # voided through its flow instead: its credits are taken back, nothing is found
        self.write_sql("UPDATE payment_transaction SET state = 'done' WHERE id = %s", tx.id)
        tx._set_canceled(state_message="Voided", extra_allowed_states=("done",))
        self.assertEqual(self.wallet.balance, 0.0)
        self.assert_invariants()

    def test_partial_captures_granting_more_than_the_purchase_are_found(self):
        self.provider.capture_manually = True
        tx = self.create_credit_tx(self.bonus_package)
        self.notify_demo(tx, "done")
        tx._send_capture_request(amount_to_capture=40.0)
        capture = tx.child_transaction_ids
        self.assertEqual(self.wallet.balance, 48.0)
        self.assert_invariants()

        self.write_sql(
            "UPDATE payment_transaction SET credit_amount = 130 WHERE id = %s", capture.id
        )
        self.assert_found("purchase", tx, 130.0, 120.0, "partial captures")

    def test_refunds_taking_back_more_than_credited_are_found(self):
        tx = self.create_credit_tx(self.package)
        self.notify_demo(tx, "done")
        tx._post_process()
        wizard = (
            self.env["credit.purchase.refund"]
            .with_user(self.manager)
            .create({"transaction_id": tx.id, "reason": "Chargeback"})
        )
        wizard.amount = 40.0
        wizard.action_record()
        self.assertEqual(self.wallet.balance, 60.0)
        self.assert_invariants()

        # the purchase credited 30 where its refund took back 40
        self.write_sql(
            "UPDATE credit_ledger_entry SET amount = 30, running_balance = 30 "
            "WHERE payment_transaction_id = %s",
            tx.id,
        )
        findings = {(f["check"], f["res_id"]) for f in self.audit()}
        self.assertIn(("purchase", tx.id), findings)
        [finding] = [f for f in self.audit() if f["check"] == "purchase"]
        self.assertIn("took back 40.00 credits", finding["message"])

    def create_card_tx(self, document):
        """A draft payment of ``document`` by card (the demo provider), as its portal page
        starts one."""
        field_name = "sale_order_ids" if document._name == "sale.order" else "invoice_ids"
        return self._create_transaction(
            "direct", amount=document.amount_total, **{field_name: [Command.set(document.ids)]}
        )


@tagged("post_install", "-at_install")
class TestCreditAuditFindings(CreditAuditCommon):
    """Findings are stored once, told to the credit managers once, and resolved."""

    def break_wallet(self, wallet, balance):
        self.write_sql("UPDATE credit_wallet SET balance = %s WHERE id = %s", balance, wallet.id)

    def test_a_new_finding_gives_each_manager_one_activity_and_is_resolved_once_fixed(self):
        self.adjust(self.wallet, 100.0)
        Finding = self.env["credit.audit.finding"]
        self.assertFalse(Finding._refresh_findings(self.company))

        self.break_wallet(self.wallet, 80.0)
        finding = Finding._refresh_findings(self.company)

        self.assertRecordValues(
            finding,
            [
                {
                    "check": "wallet_ledger",
                    "res_model": "credit.wallet",
                    "res_id": self.wallet.id,
                    "document_name": "Brightline Ltd",
                    "amount": 80.0,
                    "expected_amount": 100.0,
                    "state": "open",
                }
            ],
        )
        activities = self.managers_activities(finding)
        self.assertEqual(activities.user_id, self.env["res.users"]._credit_managers(self.company))
        self.assertEqual(len(activities), len(activities.user_id), "one each")
        self.assertIn("Brightline Ltd", activities[:1].note)

        # found again: the same finding, no second activity
        self.assertEqual(Finding._refresh_findings(self.company), finding)
        self.assertEqual(self.managers_activities(finding), activities)

        self.break_wallet(self.wallet, 100.0)
        self.assertFalse(Finding._refresh_findings(self.company))
        self.assertEqual(finding.state, "resolved")
        self.assertTrue(finding.resolved_date)
        self.assertFalse(self.managers_activities(finding))

        # broken again: the finding opens again, and the managers are told again
        self.break_wallet(self.wallet, 90.0)
        self.assertEqual(Finding._refresh_findings(self.company), finding)
        self.assertEqual(finding.state, "open")
        self.assertEqual(finding.amount, 90.0)
        self.assertEqual(len(self.managers_activities(finding)), len(activities))
        self.assertEqual(self.stored_findings().ids, finding.ids)

    def test_the_daily_action_audits_every_company(self):
        self.adjust(self.wallet, 100.0)
        self.break_wallet(self.wallet, 10.0)

        self.env.ref("credit_wallet.ir_cron_credit_audit").method_direct_trigger()

        finding = self.stored_findings(state="open")
        self.assertEqual((finding.check, finding.res_id), ("wallet_ledger", self.wallet.id))
        self.assertTrue(self.managers_activities(finding))

    def test_run_audit_now_is_for_credit_managers(self):
        self.adjust(self.wallet, 100.0)
        self.break_wallet(self.wallet, 10.0)
        Finding = self.env["credit.audit.finding"]

        with self.assertRaises(AccessError):
            Finding.with_user(self.credit_user).action_run_audit()
        self.assertFalse(self.stored_findings(), "a refused run stores nothing")

        action = Finding.with_user(self.manager).action_run_audit()

        self.assertEqual(action["res_model"], "credit.audit.finding")
        finding = self.stored_findings()
        self.assertEqual(finding.res_id, self.wallet.id)
        # credit users read the findings, only managers act on them
        self.assertEqual(Finding.with_user(self.credit_user).search([]), finding)
        with self.assertRaises(AccessError):
            finding.with_user(self.credit_user).write({"state": "resolved"})
        self.assertEqual(finding.state, "open")

    def test_a_manager_sees_the_findings_of_their_companies_only(self):
        other = self.setup_other_company(name="Rival Agency")["company"]
        rival_wallet = self.env["credit.wallet"]._get_or_create_wallet(self.customer, other)
        self.adjust(rival_wallet.with_company(other), 30.0)
        self.adjust(self.wallet, 100.0)
        self.break_wallet(rival_wallet, 20.0)
        self.break_wallet(self.wallet, 10.0)
        Finding = self.env["credit.audit.finding"]

        Finding._refresh_findings()

        everything = Finding.sudo().search([("company_id", "in", (self.company | other).ids)])
        self.assertEqual(everything.company_id, self.company | other)
        mine = Finding.with_user(self.manager).search([])
        self.assertEqual(mine.company_id, self.company)
        self.assertEqual(mine.res_id, self.wallet.id)
        rival_finding = everything - mine
        self.assertFalse(rival_finding.activity_ids.filtered(lambda a: a.user_id == self.manager))
        # Run Audit Now refreshes the manager's companies only
        self.break_wallet(rival_wallet, 30.0)
        Finding.with_user(self.manager).action_run_audit()
        self.assertEqual(rival_finding.state, "open", "the rival company was not audited")
