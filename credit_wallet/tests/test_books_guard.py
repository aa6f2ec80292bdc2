"""No path Odoo offers moves journal items onto or off the Customer Credit account.

Odoo's account merge and unmerge rewrite journal items in SQL, past the ORM guard: they are
refused in the routines that do the moving; under them, the database itself refuses any
journal item written on or off a Customer Credit account outside the posting service.
"""

import psycopg2

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools import SQL, mute_logger

from ..const import POSTING_SETTING
from .common import CreditWalletCommon

MERGE_REFUSED = "holds the customers' credits of"
DATABASE_REFUSAL = "Journal items on the Customer Credit account are written only by credit"


class CreditBooksGuardCase(CreditWalletCommon):
    """Credits in the wallet, and another liability account holding 321 of the customer's."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.adjust(cls, cls.wallet, 100.0, reason="Opening credits")
        cls.deposits = cls.liability_with_items(cls.company_data, "Customer Deposits", 321.0)

    @classmethod
    def liability_with_items(cls, company_data, name, amount, code="219500"):
        """A reconcilable current liability like Customer Credit, holding ``amount``."""
        company = company_data["company"]
        account = (
            cls.env["account.account"]
            .with_company(company)
            .create(
                {
                    "name": name,
                    "code": code,
                    "account_type": "liability_current",
                    "reconcile": True,
                    "company_ids": [Command.set(company.ids)],
                }
            )
        )
        move = (
            cls.env["account.move"]
            .with_company(company)
            .create(
                {
                    "move_type": "entry",
                    "journal_id": company_data["default_journal_misc"].id,
                    "line_ids": [
                        Command.create(
                            {
                                "account_id": account.id,
                                "partner_id": cls.customer.id,
                                "balance": -amount,
                            }
                        ),
                        Command.create(
                            {
                                "account_id": company_data[
                                    "default_journal_bank"
                                ].default_account_id.id,
                                "balance": amount,
                            }
                        ),
                    ],
                }
            )
        )
        move.action_post()
        return account

    def assert_merge_refused(self, merge, accounts):
        with self.assert_nothing_changed(), self.assertRaisesRegex(UserError, MERGE_REFUSED):
            merge()
        self.assertEqual(accounts.exists(), accounts, "no account was merged away")
        self.assertEqual(self.credit_account_balance(), 100.0)
        self.assert_invariants()


@tagged("post_install", "-at_install")
class TestAccountMerge(CreditBooksGuardCase):
    def test_merge_routine_refuses_customer_credit_either_way(self):
        Merge = self.env["account.merge.wizard"]
        for accounts in (self.deposits | self.credit_account, self.credit_account | self.deposits):
            with self.subTest(kept=accounts[0].name):
                self.assert_merge_refused(lambda a=accounts: Merge._action_merge(a), accounts)

    def test_merge_wizard_refuses_accounts_of_two_companies(self):
        other_data = self.setup_other_company(name="Second Agency")
        other = other_data["company"]
        other_deposits = self.liability_with_items(other_data, "Deposits (second)", 321.0)
        self.assertIn(other, self.env.user.company_ids, "an admin of both companies")
        for accounts in (
            self.credit_account | other_deposits,
            other_deposits | self.credit_account,
            self.credit_account | other.credit_account_id,
        ):
            with self.subTest(accounts=accounts.ids):
                wizard = (
                    self.env["account.merge.wizard"]
                    .with_context(
                        active_model="account.account",
                        active_ids=accounts.ids,
                        allowed_company_ids=(self.company | other).ids,
                    )
                    .create({})
                )
                self.assertFalse(wizard.disable_merge_button, "Odoo offers to merge them")
                self.assert_merge_refused(wizard.action_merge, accounts)

    def test_other_accounts_still_merge(self):
        twin = self.liability_with_items(self.company_data, "Deposits (old)", 79.0, "219501")
        self.env["account.merge.wizard"]._action_merge(self.deposits | twin)
        self.assertFalse(twin.exists())
        self.assertEqual(
            sum(
                self.env["account.move.line"]
                .search([("account_id", "=", self.deposits.id)])
                .mapped("balance")
            ),
            -400.0,
        )
        self.assert_invariants()

    def test_splitting_the_account_per_company_is_refused(self):
        other = self.setup_other_company(name="Shared Agency")["company"]
        shared = self.credit_account.with_context(allowed_company_ids=(self.company | other).ids)
        # an account shared with another company (as Odoo allows) could be split again
        shared.with_company(other).write(
            {"company_ids": [Command.link(other.id)], "code": "219990"}
        )
        with self.assert_nothing_changed(), self.assertRaisesRegex(UserError, MERGE_REFUSED):
            shared.with_context(account_unmerge_confirm=True).action_unmerge()
        self.assertEqual(self.credit_account.company_ids, self.company | other)


@tagged("post_install", "-at_install")
class TestDatabaseGuard(CreditBooksGuardCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.credit_line = cls.wallet.entry_ids.move_id.line_ids.filtered(
            lambda line: line.account_id == cls.credit_account
        )
        cls.deposit_line = cls.env["account.move.line"].search(
            [("account_id", "=", cls.deposits.id)]
        )

    def assert_database_refuses(self, query):
        with (
            self.assert_nothing_changed(),
            self.assertRaisesRegex(psycopg2.errors.CheckViolation, DATABASE_REFUSAL),
            mute_logger("odoo.sql_db"),
            self.env.cr.savepoint(),
        ):
            self.env.cr.execute(query)

    def test_sql_moving_items_onto_or_off_customer_credit_is_refused(self):
        credit_id, line_id = self.credit_account.id, self.credit_line.id
        self.assert_database_refuses(
            SQL(
                "UPDATE account_move_line SET account_id = %s WHERE id = %s",
                credit_id,
                self.deposit_line.id,
            )
        )
        self.assert_database_refuses(
            SQL(
                "UPDATE account_move_line SET account_id = %s WHERE id = %s",
                self.deposits.id,
                line_id,
            )
        )
        self.assert_database_refuses(SQL("DELETE FROM account_move_line WHERE id = %s", line_id))

    def test_sql_insert_on_customer_credit_is_refused(self):
        columns = SQL(", ").join(
            SQL.identifier(name)
            for name, field in self.env["account.move.line"]._fields.items()
            if field.store and field.column_type and name not in ("id", "account_id")
        )
        for template, label in ((self.credit_line, "a copy"), (self.deposit_line, "a new item")):
            with self.subTest(insert=label):
                self.assert_database_refuses(
                    SQL(
                        """
                        INSERT INTO account_move_line (account_id, %(columns)s)
                        SELECT %(account)s, %(columns)s FROM account_move_line WHERE id = %(id)s
                        """,
                        columns=columns,
                        account=self.credit_account.id,
                        id=template.id,
                    )
                )

    def test_sql_changing_an_item_on_customer_credit_is_refused(self):
        other_company = self.setup_other_company(name="Elsewhere")["company"]
        changes = {
            "balance": SQL("balance = balance + 1"),
            "debit and credit": SQL("debit = credit, credit = debit"),
            "amount_currency": SQL("amount_currency = amount_currency + 1"),
            "currency": SQL("currency_id = %s", self.setup_other_currency("EUR").id),
            "partner": SQL("partner_id = %s", self.other_customer.id),
            "company": SQL("company_id = %s", other_company.id),
            "entry": SQL("move_id = %s", self.deposit_line.move_id.id),
        }
        for label, assignment in changes.items():
            with self.subTest(change=label):
                self.assert_database_refuses(
                    SQL(
                        "UPDATE account_move_line SET %s WHERE id = %s",
                        assignment,
                        self.credit_line.id,
                    )
                )

    def test_unchanged_values_and_other_columns_pass(self):
        # what the ORM and the reconciliation write: the same amounts, residuals, labels
        self.env.cr.execute(
            SQL(
                """UPDATE account_move_line
                      SET balance = balance, debit = debit, credit = credit,
                          account_id = account_id, partner_id = partner_id,
                          amount_residual = amount_residual, name = 'Opening credits (checked)'
                    WHERE id = %s""",
                self.credit_line.id,
            )
        )
        self.assertEqual(self.env.cr.rowcount, 1)
        self.env.invalidate_all()
        self.assertEqual(self.credit_line.name, "Opening credits (checked)")
        self.assert_invariants()

    def posting_setting(self):
        self.env.cr.execute(SQL("SELECT current_setting(%s, true)", POSTING_SETTING))
        return self.env.cr.fetchone()[0]

    def test_posting_service_opens_the_database_only_while_it_writes(self):
        self.assertNotEqual(self.posting_setting(), "1")
        self.adjust(self.wallet, 20.0)
        self.assertNotEqual(self.posting_setting(), "1", "closed after a posting")
        with self.assertRaisesRegex(UserError, "Not enough credits"):
            self.wallet._post_movement(-1000.0, "Overdraft")
        self.assertNotEqual(self.posting_setting(), "1", "closed after a refused posting")

        def inner_posting_then_own_entry(wallet, amount):
            # a posting within a posting: the outer one still writes its items afterwards
            self.other_wallet._post_movement(5.0, "Inner")
            return wallet._create_accounting_entry(amount, "Outer")

        self.wallet._post_movement(10.0, "Outer", accounting_entry=inner_posting_then_own_entry)
        self.assertNotEqual(self.posting_setting(), "1")
        self.assertEqual((self.wallet.balance, self.other_wallet.balance), (130.0, 5.0))
        self.assert_invariants()
