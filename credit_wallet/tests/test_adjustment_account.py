"""The counterpart of a manual adjustment: an income or expense account of the company."""

from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import CreditWalletCommon


@tagged("post_install", "-at_install")
class TestAdjustmentAccount(CreditWalletCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.adjust(cls, cls.wallet, 100.0, reason="Opening credits")
        cls.other_company_data = cls.setup_other_company(name="Other Agency")
        cls.revenue = cls.company_data["default_account_revenue"]
        cls.liability = cls.env["account.account"].create(
            {
                "name": "Accrued Charges",
                "code": "219500",
                "account_type": "liability_current",
                "reconcile": True,
            }
        )
        cls.deprecated_expense = cls.adjustment_account.copy({"code": "619900", "deprecated": True})

    def refused_counterparts(self):
        return {
            "receivable": self.company_data["default_account_receivable"],
            "bank": self.company_data["default_journal_bank"].default_account_id,
            "liability": self.liability,
            "payable": self.company_data["default_account_payable"],
            "customer credit": self.credit_account,
            "another company's income": self.other_company_data["default_account_revenue"],
            "deprecated expense": self.deprecated_expense,
        }

    def test_wizard_refuses_counterparts_that_are_not_income_or_expense(self):
        for label, account in self.refused_counterparts().items():
            with (
                self.subTest(account=label),
                self.assert_nothing_changed(label),
                self.assertRaises(UserError) as refusal,
            ):
                self.env["credit.wallet.adjustment"].create(
                    {
                        "wallet_id": self.wallet.id,
                        "direction": "in",
                        "amount": 25.0,
                        "reason": "Sneaky",
                        "account_id": account.id,
                    }
                ).action_apply()
            if label not in ("another company's income", "deprecated expense"):
                self.assertIn("income or expense account", str(refusal.exception))
        self.assertEqual(self.wallet.balance, 100.0)

    def test_wizard_posts_against_an_income_account(self):
        self.env["credit.wallet.adjustment"].create(
            {
                "wallet_id": self.wallet.id,
                "direction": "out",
                "amount": 25.0,
                "reason": "Unused credits written back",
                "account_id": self.revenue.id,
            }
        ).action_apply()
        entry = self.wallet.entry_ids[:1]
        self.assertEqual(self.wallet.balance, 75.0)
        self.assertEqual(entry.move_id.line_ids.account_id, self.credit_account | self.revenue)
        self.assert_invariants()

    def test_company_adjustment_account_must_be_income_or_expense(self):
        for label, account in self.refused_counterparts().items():
            with self.subTest(account=label), self.assertRaises(UserError):
                self.company.credit_adjustment_account_id = account
            self.assertEqual(self.company.credit_adjustment_account_id, self.adjustment_account)
        # Settings write the company's field as soon as the form is saved
        with self.assertRefused("income or expense account"):
            self.env["res.config.settings"].create(
                {"credit_adjustment_account_id": self.liability.id}
            ).execute()
        self.assertEqual(self.company.credit_adjustment_account_id, self.adjustment_account)
        self.company.credit_adjustment_account_id = self.revenue
        self.assertEqual(self.company.credit_adjustment_account_id, self.revenue)
