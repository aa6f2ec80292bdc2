import psycopg2

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import CreditWalletCommon


@tagged("post_install", "-at_install")
class TestAccountingGuards(CreditWalletCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.entry = cls.adjust(cls, cls.wallet, 100.0, reason="Opening credits")
        cls.move = cls.entry.move_id

    def test_ledger_entries_cannot_be_edited_or_deleted_even_by_superuser(self):
        with self.assert_nothing_changed():
            for entry in (self.entry, self.entry.sudo()):
                with self.assertRaisesRegex(UserError, "cannot be changed"):
                    entry.write({"amount": 1000.0})
            with self.assertRaises(AccessError):
                self.entry.unlink()
            with self.assertRaisesRegex(UserError, "cannot be deleted"):
                self.entry.sudo().unlink()
            with self.assertRaisesRegex(UserError, "only by posting"):
                self.env["credit.ledger.entry"].sudo().create(
                    {
                        "wallet_id": self.wallet.id,
                        "entry_type": "in",
                        "amount": 5.0,
                        "running_balance": 105.0,
                        "description": "Forged",
                        "move_id": self.move.id,
                        "posted_by_id": self.env.uid,
                    }
                )

    def test_balance_cannot_be_written_directly(self):
        with self.assert_nothing_changed():
            with self.assertRaisesRegex(UserError, "only through a posted credit movement"):
                self.wallet.sudo().write({"balance": 1000.0})
            with self.assertRaisesRegex(UserError, "starts empty"):
                self.env["credit.wallet"].sudo().create(
                    {"partner_id": self.env["res.partner"].create({"name": "X"}).id, "balance": 5}
                )

    def test_forged_context_key_does_not_open_the_gate(self):
        forged = self.wallet.sudo().with_context(credit_wallet_posting=True)
        with self.assert_nothing_changed(), self.assertRaises(UserError):
            forged.write({"balance": 1000.0})

    def test_database_refuses_a_negative_balance(self):
        with self.assertRaises(psycopg2.errors.CheckViolation), self.env.cr.savepoint():
            self.env.cr.execute(
                "UPDATE credit_wallet SET balance = -1 WHERE id = %s", [self.wallet.id]
            )
        self.assertEqual(self.wallet.balance, 100.0)

    def test_manual_journal_item_on_customer_credit_is_refused(self):
        # the entry is created before its items: the refusal rolls it back
        with self.assert_nothing_changed(), self.assertRefused("Customer Credit account"):
            self.env["account.move"].create(
                {
                    "move_type": "entry",
                    "journal_id": self.company_data["default_journal_misc"].id,
                    "line_ids": [
                        Command.create(
                            {
                                "account_id": self.credit_account.id,
                                "partner_id": self.customer.id,
                                "balance": -500.0,
                            }
                        ),
                        Command.create(
                            {
                                "account_id": self.company_data["default_account_revenue"].id,
                                "balance": 500.0,
                            }
                        ),
                    ],
                }
            )

    def test_moving_a_journal_item_onto_customer_credit_is_refused(self):
        move = self.env["account.move"].create(
            {
                "move_type": "entry",
                "journal_id": self.company_data["default_journal_misc"].id,
                "line_ids": [
                    Command.create(
                        {
                            "account_id": self.company_data["default_account_revenue"].id,
                            "balance": -5.0,
                        }
                    ),
                    Command.create(
                        {
                            "account_id": self.company_data["default_account_expense"].id,
                            "balance": 5.0,
                        }
                    ),
                ],
            }
        )
        with (
            self.assert_nothing_changed(),
            self.assertRaisesRegex(UserError, "Customer Credit account"),
        ):
            move.line_ids[0].account_id = self.credit_account

    def test_wallet_entry_cannot_be_reset_cancelled_deleted_or_edited(self):
        with self.assert_nothing_changed():
            with self.assertRaisesRegex(UserError, "cannot be reset to draft"):
                self.move.button_draft()
            with self.assertRaisesRegex(UserError, "cannot be reset to draft"):
                self.move.sudo().write({"state": "cancel"})
            with self.assertRaises(UserError):
                self.move.sudo().unlink()
            with self.assertRaisesRegex(UserError, "Customer Credit account"):
                self.move.line_ids.filtered(
                    lambda line: line.account_id == self.credit_account
                ).sudo().write({"credit": 1.0})

    def test_accounting_reversal_wizard_is_refused(self):
        reversal = (
            self.env["account.move.reversal"]
            .with_context(active_model="account.move", active_ids=self.move.ids)
            .create({"journal_id": self.move.journal_id.id, "reason": "bypass"})
        )
        # the wizard creates the reversal's header first: the refusal rolls it back
        with self.assert_nothing_changed(), self.assertRefused("Customer Credit account"):
            reversal.refund_moves()

    def test_customer_credit_account_cannot_change_once_used(self):
        new_account = self.credit_account.copy({"code": "219999"})
        with self.assertRaisesRegex(UserError, "cannot change any more"):
            self.company.credit_account_id = new_account
        self.assertEqual(self.company.credit_account_id, self.credit_account)

    def test_settings_edit_the_accounts(self):
        company = self.setup_other_company(name="Fresh Agency")["company"]
        new_account = company.credit_account_id.copy({"code": "219998"})
        settings = self.env["res.config.settings"].with_company(company).create({})
        settings.credit_account_id = new_account
        settings.credit_payment_enabled = True
        settings.execute()
        self.assertEqual(company.credit_account_id, new_account)
        self.assertTrue(company.credit_payment_enabled)
