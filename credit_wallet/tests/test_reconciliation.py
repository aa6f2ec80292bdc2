"""Reporting > Reconciliation: per company, the wallets next to the Customer Credit account,
now or as of a date, and what is behind a line."""

from freezegun import freeze_time

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import CreditWalletCommon


@tagged("post_install", "-at_install")
class TestCreditReconciliation(CreditWalletCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # January: Brightline buys 100; February: Harbour 50, Brightline spends 30
        with freeze_time("2025-01-10"):
            cls.adjust(cls, cls.wallet, 100.0, "January top-up")
        with freeze_time("2025-02-10"):
            cls.adjust(cls, cls.other_wallet, 50.0, "February top-up")
            cls.adjust(cls, cls.wallet, -30.0, "February service")

    def line(self, as_of=None, user=None):
        """The report's line of the test company, as the list reads it (as of ``as_of``)."""
        report = self.env["credit.reconciliation.report"].with_user(user or self.env.user)
        if as_of:
            report = report.with_context(credit_as_of=as_of)
        # each read computes the report again: another date, other figures for the same line
        report.invalidate_model()
        return report.search([("company_id", "=", self.company.id)])

    def test_now_the_wallet_balances_match_the_account(self):
        line = self.line()

        self.assertRecordValues(
            line,
            [
                {
                    "as_of_date": fields.Date.context_today(line),
                    "credit_account_id": self.credit_account.id,
                    "wallet_count": 2,
                    "wallet_total": 120.0,
                    "account_balance": 120.0,
                    "difference": 0.0,
                }
            ],
        )
        self.assert_invariants()

    def test_as_of_a_date_only_what_was_booked_by_then_counts(self):
        for as_of, wallets, total in (
            ("2025-01-09", 0, 0.0),
            ("2025-01-10", 1, 100.0),
            ("2025-01-31", 1, 100.0),
            ("2025-02-10", 2, 120.0),
        ):
            with self.subTest(as_of=as_of):
                self.assertRecordValues(
                    self.line(as_of),
                    [
                        {
                            "as_of_date": fields.Date.to_date(as_of),
                            "wallet_count": wallets,
                            "wallet_total": total,
                            "account_balance": total,
                            "difference": 0.0,
                        }
                    ],
                )

    def test_a_date_that_is_not_one_is_refused(self):
        with self.assertRaisesRegex(UserError, "not a date"):
            self.line("31/01/2025")

    def test_the_date_dialog_opens_the_report_as_of_the_date(self):
        dialog = (
            self.env["credit.reconciliation.as.of"]
            .with_user(self.credit_user)
            .create({"date": "2025-01-31"})
        )

        action = dialog.action_open_report()

        self.assertEqual(action["res_model"], "credit.reconciliation.report")
        self.assertEqual(action["context"], {"credit_as_of": "2025-01-31"})
        self.assertIn("01/31/2025", action["display_name"])
        # the dialog proposes today, or the date the report already shows
        Dialog = self.env["credit.reconciliation.as.of"].with_user(self.credit_user)
        self.assertEqual(Dialog.default_get(["date"])["date"], fields.Date.context_today(Dialog))
        self.assertEqual(
            Dialog.with_context(**action["context"]).default_get(["date"])["date"],
            fields.Date.to_date("2025-01-31"),
        )

    def test_the_journal_items_behind_a_line_add_up_to_its_account_balance(self):
        for as_of in (None, "2025-01-31"):
            with self.subTest(as_of=as_of):
                line = self.line(as_of, user=self.manager)

                action = line.action_open_journal_items()

                self.assertEqual(action["res_model"], "account.move.line")
                items = self.env["account.move.line"].search(action["domain"])
                self.assertEqual(items.account_id, self.credit_account)
                self.assertEqual(items.company_id, self.company)
                self.assertEqual(set(items.mapped("parent_state")), {"posted"})
                self.assertEqual(-sum(items.mapped("balance")), line.account_balance)
                self.assertEqual(len(items), 1 if as_of else 3)

    def test_the_wallets_behind_a_line_are_its_companys(self):
        other_company = self.setup_other_company(name="Rival Agency")["company"]
        self.env["credit.wallet"]._get_or_create_wallet(self.customer, other_company)

        action = self.line(user=self.credit_user).action_open_wallets()

        self.assertEqual(action["res_model"], "credit.wallet")
        wallets = self.env["credit.wallet"].search(action["domain"])
        self.assertEqual(wallets, self.wallet | self.other_wallet)
        self.assertIn(self.company.name, action["display_name"])

    def test_a_click_on_a_line_opens_the_journal_items_for_who_may_read_them(self):
        auditor = self.new_company_user(
            "auditor", "credit_wallet.group_credit_user,account.group_account_readonly"
        )
        for user, model in (
            (auditor, "account.move.line"),
            (self.manager, "account.move.line"),
            # a credit user without accounting rights: the wallets
            (self.credit_user, "credit.wallet"),
        ):
            with self.subTest(user=user.login):
                self.assertEqual(self.line(user=user).action_open_details()["res_model"], model)
