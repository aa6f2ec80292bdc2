from odoo.tests import tagged

from .common import CreditWalletCommon


@tagged("post_install", "-at_install")
class TestCompanySetup(CreditWalletCommon):
    def test_new_company_gets_customer_credit_account_and_journal(self):
        company = self.setup_other_company(name="Second Agency")["company"]
        account = company.credit_account_id
        self.assertTrue(account)
        self.assertEqual(account.account_type, "liability_current")
        self.assertTrue(account.reconcile)
        self.assertIn(company, account.company_ids)
        self.assertEqual(company.credit_journal_id.type, "general")
        self.assertEqual(company.credit_journal_id.company_id, company)
        self.assertEqual(company.credit_adjustment_account_id.account_type, "expense")
        self.assertFalse(company.credit_payment_enabled, "off until the agency turns it on")

    def test_setup_twice_creates_nothing_more(self):
        def counts():
            Provider = self.env["payment.provider"].sudo().with_context(active_test=False)
            Journal = self.env["account.journal"].sudo().with_context(active_test=False)
            return {
                "credits providers": Provider.search_count([("code", "=", "credit")]),
                "crypto providers": Provider.search_count([("custom_mode", "=", "crypto")]),
                "journals": Journal.search_count([]),
                "accounts": self.env["account.account"].sudo().search_count([]),
                "company settings": [
                    (
                        company.credit_account_id,
                        company.credit_journal_id,
                        company.credit_adjustment_account_id,
                        company.credit_payment_journal_id,
                    )
                    for company in self.env["res.company"].sudo().search([])
                ],
            }

        before = counts()
        self.env["account.chart.template"]._credit_setup_all_companies()
        self.env["account.chart.template"]._credit_setup_all_companies()
        self.assertEqual(counts(), before)
        provider = self.env["payment.provider"]._credit_get_provider(self.company)
        self.assertEqual(provider.journal_id, self.company.credit_payment_journal_id)
        self.assertEqual(provider.state, "enabled")

    def test_wallets_and_books_are_per_company(self):
        other = self.setup_other_company(name="Third Agency")["company"]
        other_wallet = (
            self.env["credit.wallet"]
            .with_company(other)
            ._get_or_create_wallet(self.customer, other)
        )
        self.assertNotEqual(other_wallet, self.wallet)
        self.adjust(self.wallet, 70.0)
        self.adjust(other_wallet.with_company(other), 20.0)
        self.assertEqual(self.wallet.balance, 70.0)
        self.assertEqual(other_wallet.balance, 20.0)
        self.assertEqual(other_wallet.entry_ids.move_id.company_id, other)
        self.assertEqual(self.customer.with_company(other).credit_balance, 20.0)
        self.assertEqual(self.customer.with_company(self.company).credit_balance, 70.0)
        self.assert_invariants(self.company)
        self.assert_invariants(other)
