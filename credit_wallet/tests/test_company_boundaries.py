"""Credits stay usable where they were bought, whatever is changed around them.

A customer holding a wallet in one company cannot be restricted to another; the Credits
provider follows its company's currency, and the quotation and invoice pages offer it by the
same rule; another provider never takes the Credit Payments journal by default.
"""

from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged

from .common import CreditWalletCommon
from .test_spend_portal import CREDIT_RADIO, CreditTransactionRouteCase


@tagged("post_install", "-at_install")
class TestPartnerCompany(CreditWalletCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.adjust(cls, cls.wallet, 80.0)
        cls.other_company = cls.setup_other_company(name="Harbour Branch Agency")["company"]

    def assert_refused(self, action):
        contacts = self.customer.child_ids
        companies = (self.customer.company_id, self.contact.company_id)
        message = (
            f"Brightline Ltd holds credits in {self.company.name}: restricted to "
            f"{self.other_company.name}, they would be out of its reach."
        )
        with self.assert_nothing_changed(), self.assertRaises(UserError) as refusal:
            action()
        self.assertIn(message, str(refusal.exception))
        self.assertEqual(self.customer.child_ids, contacts)
        self.assertEqual((self.customer.company_id, self.contact.company_id), companies)

    def test_restricting_a_wallet_owner_to_another_company_is_refused(self):
        self.assert_refused(lambda: self.customer.write({"company_id": self.other_company.id}))

    def test_restricting_a_contact_of_a_wallet_owner_is_refused(self):
        self.assert_refused(lambda: self.contact.write({"company_id": self.other_company.id}))
        self.assert_refused(
            lambda: self.env["res.partner"].create(
                {
                    "name": "Bo Brightline",
                    "parent_id": self.customer.id,
                    "company_id": self.other_company.id,
                }
            )
        )

    def test_restricting_to_the_wallets_company_or_without_wallet_is_allowed(self):
        self.customer.company_id = self.company
        self.assertEqual(self.contact.company_id, self.company, "Odoo moves its contacts too")
        self.customer.company_id = False
        newcomer = self.env["res.partner"].create({"name": "Newcomer", "is_company": True})
        newcomer.company_id = self.other_company
        self.assertEqual(newcomer.company_id, self.other_company)
        self.assertEqual(self.wallet.balance, 80.0)


@tagged("post_install", "-at_install")
class TestCreditsProviderCurrency(CreditTransactionRouteCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.eur = cls.setup_other_currency("EUR")
        cls.euro_company = cls.setup_other_company(name="Euro Agency")["company"]
        cls.euro_company.credit_payment_enabled = True
        cls.euro_provider = cls.env["payment.provider"]._credit_get_provider(cls.euro_company)
        # the other payment form's provider, so that a form without Credits still shows
        cls.prepare_credit_provider("demo", company=cls.euro_company)
        cls.euro_pricelist = cls.env["product.pricelist"].create(
            {"name": "Euro", "currency_id": cls.eur.id, "company_id": cls.euro_company.id}
        )

    def setUp(self):
        super().setUp()
        self.authenticate("portal_ada", "portal_ada")

    def euro_documents(self):
        """A quotation and an invoice of the Euro Agency, with credits to pay either."""
        euro_wallet = self.env["credit.wallet"]._get_or_create_wallet(
            self.customer, self.euro_company
        )
        self.adjust(euro_wallet.with_company(self.euro_company), 250.0)
        order = self.quotation(company_id=self.euro_company.id, pricelist_id=self.euro_pricelist.id)
        invoice = self.create_invoice(
            100.0, company_id=self.euro_company.id, currency_id=self.eur.id
        )
        self.assertEqual((order.currency_id, invoice.currency_id), (self.eur, self.eur))
        return euro_wallet, order, invoice

    def offered(self, document):
        return bool(self.payment_form(document.get_portal_url()).xpath(CREDIT_RADIO))

    def test_credits_follow_the_company_currency_on_quotations_and_invoices(self):
        self.assertEqual(self.euro_provider.available_currency_ids, self.company.currency_id)
        self.euro_company.currency_id = self.eur
        self.assertEqual(self.euro_provider.available_currency_ids, self.eur)
        self.env["account.chart.template"]._credit_setup_all_companies()
        self.assertEqual(self.euro_provider.available_currency_ids, self.eur, "idempotent")

        euro_wallet, order, invoice = self.euro_documents()
        self.assertTrue(self.offered(order), "offered on the quotation")
        self.assertTrue(self.offered(invoice), "offered on the invoice")
        for document in (order, invoice):
            with self.subTest(document=document.name):
                self.submit(
                    self.start_payment(
                        document,
                        provider_id=self.euro_provider.id,
                        payment_method_id=self.credit_method.id,
                    )
                )
        self.assertEqual(order.state, "sale")
        self.assertEqual(order.amount_paid, order.amount_total)
        self.assertEqual(invoice.payment_state, "paid")
        self.assertEqual(euro_wallet.balance, 250.0 - order.amount_total - invoice.amount_total)
        self.assert_invariants(self.euro_company)

    def test_quotation_and_invoice_pages_offer_credits_by_the_same_rule(self):
        self.euro_company.currency_id = self.eur
        _wallet, order, invoice = self.euro_documents()
        # currencies chosen by hand that leave out the company's: neither page offers Credits
        self.euro_provider.available_currency_ids = self.company.currency_id
        self.assertFalse(self.offered(order))
        self.assertFalse(self.offered(invoice))
        self.euro_provider.available_currency_ids = self.eur
        self.assertTrue(self.offered(order))
        self.assertTrue(self.offered(invoice))


@tagged("post_install", "-at_install")
class TestCreditPaymentsJournal(CreditWalletCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.branch = cls.setup_other_company(name="New Branch")["company"]
        cls.credit_payments = cls.branch.credit_payment_journal_id
        cls.other_banks = (
            cls.env["account.journal"].search(
                [("company_id", "=", cls.branch.id), ("type", "=", "bank")]
            )
            - cls.credit_payments
        )

    def card_provider(self):
        """A card provider created in the branch, and enabled for testing."""
        provider = self.env["payment.provider"].create(
            {"name": "Branch Card", "code": "demo", "company_id": self.branch.id}
        )
        provider.state = "test"
        return provider

    def credit_payments_methods(self):
        return self.credit_payments.inbound_payment_method_line_ids.mapped(
            lambda line: (line.payment_method_id.code, line.payment_provider_id.code)
        )

    def test_the_only_bank_journal_being_credit_payments_gives_no_journal(self):
        self.other_banks.action_archive()
        methods_before = self.credit_payments_methods()
        self.assertEqual(methods_before, [("credit", "credit")])
        provider = self.card_provider()
        self.assertFalse(provider.journal_id, "to be chosen, not Credit Payments")
        self.assertEqual(self.credit_payments_methods(), methods_before)
        with self.assertRaisesRegex(ValidationError, "books payments with credits only"):
            provider.journal_id = self.credit_payments
        self.assertEqual(self.credit_payments_methods(), methods_before)

    def test_another_bank_journal_is_taken_even_after_credit_payments(self):
        self.credit_payments.sequence = 0
        self.other_banks.sequence = 50
        provider = self.card_provider()
        self.assertEqual(provider.journal_id, self.other_banks[:1])
        self.assertEqual(
            provider.journal_id.inbound_payment_method_line_ids.payment_provider_id, provider
        )
        self.assertEqual(self.credit_payments_methods(), [("credit", "credit")])
        # the Credits provider keeps its own
        self.assertEqual(
            self.env["payment.provider"]._credit_get_provider(self.branch).journal_id,
            self.credit_payments,
        )

    def test_other_bank_journals_keep_odoos_default(self):
        provider = self.card_provider()
        self.assertEqual(provider.journal_id, self.other_banks[:1])
        self.assertEqual(self.credit_payments_methods(), [("credit", "credit")])
