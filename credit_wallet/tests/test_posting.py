from unittest.mock import patch

from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import CreditWalletCommon


@tagged("post_install", "-at_install")
class TestCreditPosting(CreditWalletCommon):
    def test_credit_in_posts_ledger_entry_and_journal_entry(self):
        entry = self.adjust(self.wallet, 150.0, reason="Welcome credits")

        self.assertEqual(self.wallet.balance, 150.0)
        self.assertEqual(entry.entry_type, "in")
        self.assertEqual(entry.amount, 150.0)
        self.assertEqual(entry.running_balance, 150.0)
        self.assertEqual(entry.description, "Adjustment: Welcome credits")
        self.assertEqual(entry.posted_by_id, self.env.user)
        move = entry.move_id
        self.assertEqual(move.state, "posted")
        self.assertEqual(move.journal_id, self.credit_journal)
        self.assertEqual(move.partner_id, self.customer)
        credit_line = move.line_ids.filtered(lambda line: line.account_id == self.credit_account)
        other_line = move.line_ids - credit_line
        self.assertRecordValues(
            credit_line, [{"debit": 0.0, "credit": 150.0, "partner_id": self.customer.id}]
        )
        self.assertRecordValues(
            other_line,
            [
                {
                    "account_id": self.adjustment_account.id,
                    "debit": 150.0,
                    "credit": 0.0,
                    "partner_id": self.customer.id,
                }
            ],
        )
        self.assertEqual(self.customer.credit_balance, 150.0)
        self.assert_invariants()

    def test_credit_out_debits_customer_credit_and_keeps_running_balance(self):
        self.adjust(self.wallet, 100.0)
        entry = self.adjust(self.wallet, -30.0, reason="Logo redesign")

        self.assertEqual(self.wallet.balance, 70.0)
        self.assertEqual(entry.entry_type, "out")
        self.assertEqual(entry.amount, -30.0)
        self.assertEqual(entry.running_balance, 70.0)
        credit_line = entry.move_id.line_ids.filtered(
            lambda line: line.account_id == self.credit_account
        )
        self.assertRecordValues(credit_line, [{"debit": 30.0, "credit": 0.0}])
        self.assert_invariants()

    def test_contacts_share_the_company_wallet(self):
        self.assertEqual(self.env["credit.wallet"]._get_wallet(self.contact), self.wallet)
        self.adjust(self.wallet, 40.0)
        self.assertEqual(self.contact.credit_balance, 40.0)
        self.assertEqual(self.customer.credit_balance, 40.0)
        self.assertEqual(self.other_contact.credit_balance, 0.0)

    def test_partner_smart_button_opens_the_shared_wallet(self):
        self.assertEqual(self.contact.action_credit_open_wallet()["res_id"], self.wallet.id)
        fresh = self.env["res.partner"].create({"name": "No Wallet Yet", "is_company": True})
        action = fresh.action_credit_open_wallet()
        self.assertEqual(action["res_model"], "credit.wallet")
        self.assertEqual(action["context"]["default_partner_id"], fresh.id)
        self.assertFalse(self.env["credit.wallet"].search([("partner_id", "=", fresh.id)]))

    def test_wallet_for_a_contact_is_refused(self):
        with self.assertRaises(UserError):
            self.env["credit.wallet"].create({"partner_id": self.contact.id})
        self.assertFalse(self.env["credit.wallet"].search([("partner_id", "=", self.contact.id)]))

    def test_a_wallet_is_created_once_and_never_by_a_lookup(self):
        fresh = self.env["res.partner"].create({"name": "Fresh Ltd", "is_company": True})
        self.assertFalse(self.env["credit.wallet"]._get_wallet(fresh))
        self.assertFalse(self.env["credit.wallet"].search([("partner_id", "=", fresh.id)]))
        first = self.env["credit.wallet"]._get_or_create_wallet(fresh)
        second = self.env["credit.wallet"]._get_or_create_wallet(fresh)
        self.assertEqual(first, second)
        self.assertEqual(first.balance, 0.0)
        self.assertEqual(self.env["credit.wallet"].search_count([("partner_id", "=", fresh.id)]), 1)

    def test_overdraft_is_refused_and_changes_nothing(self):
        self.adjust(self.wallet, 100.0)
        with self.assert_nothing_changed(), self.assertRaisesRegex(UserError, "Not enough credits"):
            self.adjust(self.wallet, -100.01)
        self.assertEqual(self.wallet.balance, 100.0)

    def test_zero_movement_is_refused_and_changes_nothing(self):
        with self.assert_nothing_changed():
            with self.assertRaisesRegex(UserError, "must move some credit"):
                self.wallet._post_movement(0.0, "Nothing")
            with self.assertRaisesRegex(UserError, "positive amount"):
                self.adjust(self.wallet, 0.0)
        self.assertEqual(self.wallet.balance, 0.0)

    def test_negative_amount_in_wizard_is_refused_and_changes_nothing(self):
        self.adjust(self.wallet, 50.0)
        wizard = self.env["credit.wallet.adjustment"].create(
            {"wallet_id": self.wallet.id, "direction": "in", "amount": -20.0, "reason": "Oops"}
        )
        with self.assert_nothing_changed(), self.assertRaisesRegex(UserError, "positive amount"):
            wizard.action_apply()
        self.assertEqual(self.wallet.balance, 50.0)

    def test_blank_reason_is_refused_and_changes_nothing(self):
        wizard = self.env["credit.wallet.adjustment"].create(
            {"wallet_id": self.wallet.id, "direction": "in", "amount": 20.0, "reason": "   "}
        )
        with self.assert_nothing_changed(), self.assertRaisesRegex(UserError, "reason"):
            wizard.action_apply()
        self.assertEqual(self.wallet.balance, 0.0)

    def test_archived_customer_is_refused_and_changes_nothing(self):
        self.adjust(self.wallet, 10.0)
        self.customer.action_archive()
        with self.assert_nothing_changed(), self.assertRaisesRegex(UserError, "archived"):
            self.adjust(self.wallet, 5.0)
        self.assertEqual(self.wallet.balance, 10.0)

    def test_failure_mid_movement_leaves_nothing_half_written(self):
        self.adjust(self.wallet, 80.0)
        entry_class = type(self.env["credit.ledger.entry"])
        # the journal entry is already posted when the ledger entry fails
        with (
            self.assert_nothing_changed(),
            patch.object(entry_class, "create", side_effect=RuntimeError("disk full")),
            self.assertRaisesRegex(RuntimeError, "disk full"),
        ):
            self.wallet._post_movement(-20.0, "Interrupted spending")
        self.assertEqual(self.wallet.balance, 80.0)
        self.assert_invariants()

    def test_failure_after_balance_update_rolls_everything_back(self):
        self.adjust(self.wallet, 80.0)
        move_class = type(self.env["account.move.line"])
        entry = self.wallet.entry_ids[:1]
        with (
            self.assert_nothing_changed(),
            patch.object(move_class, "reconcile", side_effect=RuntimeError("boom")),
            self.assertRaisesRegex(RuntimeError, "boom"),
        ):
            entry._reverse()
        self.assertEqual(self.wallet.balance, 80.0)
        self.assertFalse(entry.reversal_entry_ids)

    def test_reversal_restores_balance_and_reconciles(self):
        entry = self.adjust(self.wallet, 60.0)
        self.adjust(self.wallet, 15.0)
        entry.action_reverse()

        reversal = entry.reversal_entry_ids
        self.assertEqual(len(reversal), 1)
        self.assertEqual(reversal.amount, -60.0)
        self.assertEqual(reversal.running_balance, 15.0)
        self.assertEqual(reversal.reversed_entry_id, entry)
        self.assertEqual(self.wallet.balance, 15.0)
        credit_lines = (entry.move_id | reversal.move_id).line_ids.filtered(
            lambda line: line.account_id == self.credit_account
        )
        self.assertTrue(all(credit_lines.mapped("reconciled")))
        counterpart = reversal.move_id.line_ids - credit_lines
        self.assertEqual(counterpart.account_id, self.adjustment_account)
        self.assert_invariants()

    def test_reversing_twice_or_a_reversal_is_refused(self):
        entry = self.adjust(self.wallet, 60.0)
        entry.action_reverse()
        with self.assert_nothing_changed():
            with self.assertRaisesRegex(UserError, "already reversed"):
                entry.action_reverse()
            with self.assertRaisesRegex(UserError, "itself a reversal"):
                entry.reversal_entry_ids.action_reverse()

    def test_reversal_that_would_overdraw_is_refused(self):
        entry = self.adjust(self.wallet, 60.0)
        self.adjust(self.wallet, -50.0)
        with self.assert_nothing_changed(), self.assertRaisesRegex(UserError, "Not enough credits"):
            entry.action_reverse()
        self.assertEqual(self.wallet.balance, 10.0)

    def test_the_adjustment_account_is_needed_only_by_movements_that_use_it(self):
        self.company.credit_adjustment_account_id = False
        goodwill = self.wallet._post_movement(
            10.0, "Goodwill", counterpart_account=self.adjustment_account
        )
        self.assertEqual(self.wallet.balance, 10.0)
        with self.assertRaisesRegex(UserError, "adjustment account"):
            self.wallet._post_movement(5.0, "Goodwill")
        self.assertEqual(self.wallet.balance, 10.0)
        # a reversal posts the opposite of its entry: no adjustment account involved
        goodwill._reverse()
        self.assertEqual(self.wallet.balance, 0.0)
        self.assert_invariants()
