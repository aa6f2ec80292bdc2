"""Credits as a unit of their own (DESIGN.md, "Credits as a unit"): a euro agency selling
whole credits at 10 credits per euro and 9 per dollar, whose customer buys and pays in
dollars. The books stay in euros: every movement of N credits puts N x 0.10 EUR on Customer
Credit, the money side is Odoo's conversion (1 EUR = 1.25 USD), the difference goes to Credit
Exchange Difference on the same entry."""

import math

from psycopg2 import IntegrityError

from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import CreditSpendCommon
from .test_request import CreditRequestCommon


class CreditForeignCurrencyCommon(CreditSpendCommon, CreditRequestCommon):
    @classmethod
    def setup_independent_company(cls, **kwargs):
        # the agency keeps its books in euros
        return super().setup_independent_company(currency_id=cls.env.ref("base.EUR").id, **kwargs)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.eur = cls.company.currency_id
        cls.usd = cls.setup_other_currency("USD", rates=[("2000-01-01", 1.25)])
        cls.company.credit_rounding = "1"
        Rate = cls.env["credit.conversion.rate"]
        cls.eur_rate = Rate.create({"currency_id": cls.eur.id, "rate": 10.0})
        cls.usd_rate = Rate.create({"currency_id": cls.usd.id, "rate": 9.0})
        # the common packages were priced at one credit per euro: no longer on sale
        (cls.package | cls.bonus_package).is_published = False
        cls.dollar_pack = cls.env["credit.package"].create(
            {
                "name": "Dollar Pack",
                "credit_amount": 450.0,
                "price": 45.0,
                "currency_id": cls.usd.id,
                "is_published": True,
            }
        )
        cls.exchange_account = cls.company.credit_exchange_account_id
        cls.transfer.available_currency_ids = cls.usd | cls.eur

    def lines(self, move):
        """``move``'s journal items as (account, balance in euros), by balance."""
        return [
            (line.account_id, line.balance)
            for line in move.line_ids.filtered("balance").sorted(lambda line: line.balance)
        ]

    def buy_dollar_pack(self):
        tx = self.create_credit_tx(self.dollar_pack)
        self.notify_demo(tx, "done")
        return tx

    def dollar_invoice(self, amount):
        return self.create_invoice(amount, currency_id=self.usd.id)


@tagged("post_install", "-at_install")
class TestCreditsInAForeignCurrency(CreditForeignCurrencyCommon):
    def test_the_company_starts_at_one_credit_per_unit_of_its_currency(self):
        company = self.setup_other_company(name="Fresh Agency", currency_id=self.eur.id)["company"]

        self.assertRecordValues(
            company.credit_rate_ids, [{"currency_id": self.eur.id, "rate": 1.0, "active": True}]
        )
        self.assertEqual((company.credit_rounding, company.credit_value), ("0.01", 1.0))
        self.assertTrue(company.credit_exchange_account_id)
        self.assertEqual(company._credit_from_money(3.51, self.eur), 3.51)

    def test_money_becomes_credits_rounded_up(self):
        self.assertEqual(self.company.credit_value, 0.1)
        self.assertEqual(self.company._credit_from_money(3.51, self.usd), 32.0, "31.59 rounded up")
        self.assertEqual(self.company._credit_from_money(3.51, self.eur), 36.0, "35.1 rounded up")
        self.assertEqual(self.company._credit_from_money(2.0, self.usd), 18.0)
        self.assertIsNone(self.company._credit_from_money(1.0, self.env.ref("base.GBP")))

    def test_a_dollar_package_credits_its_credits_and_books_them_at_their_value(self):
        self.assertEqual(self.dollar_pack.bonus_amount, 45.0, "45 USD buy 405 credits")

        tx = self.buy_dollar_pack()

        self.assertRecordValues(
            tx, [{"state": "done", "amount": 45.0, "credit_amount": 450.0, "credit_bonus": 45.0}]
        )
        self.assertEqual(self.wallet.balance, 450.0)
        purchase, bonus = self.credit_entries(tx).sorted("id")
        self.assertRecordValues(
            purchase + bonus,
            [
                {"kind": "purchase", "amount": 405.0, "running_balance": 405.0},
                {"kind": "bonus", "amount": 45.0, "running_balance": 450.0},
            ],
        )
        # 45 USD are 36.00 EUR on the day; 405 credits are worth 40.50 EUR
        self.assertEqual(purchase.move_id, tx.payment_id.move_id)
        self.assertEqual(
            self.lines(purchase.move_id),
            [
                (self.credit_account, -40.5),
                (self.exchange_account, 4.5),
                (self.outstanding_account, 36.0),
            ],
        )
        self.assertEqual(tx.payment_id.currency_id, self.usd)
        self.assertEqual(
            self.lines(bonus.move_id), [(self.credit_account, -4.5), (self.adjustment_account, 4.5)]
        )
        self.assertEqual(self.credit_account_balance(), 45.0, "450 credits x 0.10 EUR")
        self.assert_invariants()

    def test_a_dollar_invoice_is_paid_with_the_credits_its_amount_buys(self):
        self.adjust(self.wallet, 100.0)
        invoice = self.dollar_invoice(3.51)

        tx = self.pay_with_credits(invoice)

        self.assertRecordValues(
            tx, [{"state": "done", "amount": 3.51, "currency_id": self.usd.id, "credit_amount": 32}]
        )
        self.assertEqual(invoice.payment_state, "paid")
        self.assertEqual(self.wallet.balance, 68.0)
        entry = self.spend_entries()
        self.assertRecordValues(entry, [{"amount": -32.0, "running_balance": 68.0}])
        # 3.51 USD are 2.81 EUR on the receivable; 32 credits are worth 3.20 EUR
        self.assertEqual(
            self.lines(entry.move_id),
            [
                (self.receivable, -2.81),
                (self.exchange_account, -0.39),
                (self.credit_account, 3.2),
            ],
        )
        receivable_line = entry.move_id.line_ids.filtered(
            lambda line: line.account_id == self.receivable
        )
        self.assertEqual(receivable_line.amount_currency, -3.51)
        self.assertTrue(receivable_line.reconciled)
        self.assertEqual(self.credit_account_balance(), 6.8)
        self.assert_invariants()

    def test_at_ten_credits_per_dollar_an_invoice_of_3_51_takes_36_credits(self):
        self.adjust(self.wallet, 1250.0)
        old_rate = self.usd_rate
        new_rate = self.env["credit.conversion.rate"].create(
            {"currency_id": self.usd.id, "rate": 10.0}
        )
        self.assertFalse(old_rate.active, "the new rate replaces the old one")
        self.assertTrue(old_rate.date_end)
        self.assertEqual(self.company._credit_rate(self.usd), new_rate)

        invoice = self.dollar_invoice(3.51)
        self.pay_with_credits(invoice)

        self.assertEqual(invoice.payment_state, "paid")
        self.assertEqual(self.wallet.balance, 1214.0, "36 credits, 1,214 left")
        self.assertEqual(
            self.lines(self.spend_entries().move_id),
            [
                (self.receivable, -2.81),
                (self.exchange_account, -0.79),
                (self.credit_account, 3.6),
            ],
        )
        self.assert_invariants()

    def test_the_backend_pays_part_of_a_dollar_invoice_with_the_credits_it_takes(self):
        self.adjust(self.wallet, 20.0)
        invoice = self.dollar_invoice(10.0)
        dialog = (
            self.env["credit.invoice.payment"]
            .with_user(self.billing_user)
            .create({"invoice_id": invoice.id})
        )
        # 20 credits buy 2.22 USD at 9 credits per dollar (2.23 would take 21)
        self.assertRecordValues(
            dialog, [{"balance": 20.0, "amount": 2.22, "credits": 20.0, "balance_after": 0.0}]
        )
        dialog.amount = 2.0
        self.assertEqual((dialog.credits, dialog.balance_after), (18.0, 2.0))

        dialog.action_pay()

        self.assertEqual(self.wallet.balance, 2.0)
        self.assertEqual(invoice.amount_residual, 8.0)
        self.assertEqual(invoice.payment_state, "partial")
        self.assert_invariants()

    def test_auto_pay_pays_a_dollar_invoice_in_credits(self):
        self.customer.credit_autopay = "always"
        self.adjust(self.wallet, 100.0)
        invoice = self.dollar_invoice(9.0)

        self.env["account.move"]._cron_credit_autopay()
        self.env.invalidate_all()

        self.assertEqual(invoice.payment_state, "paid")
        self.assertEqual(self.wallet.balance, 19.0, "9 USD x 9 = 81 credits")
        self.assert_invariants()

    def test_returns_give_back_the_credits_in_proportion_at_the_spends_values(self):
        self.adjust(self.wallet, 81.0)
        invoice = self.dollar_invoice(9.0)
        spend_tx = self.pay_with_credits(invoice)
        self.assertEqual((spend_tx.credit_amount, self.wallet.balance), (81.0, 0.0))

        note = self.credit_note(invoice, 3.0)
        note.action_credit_return()

        self.assertEqual(self.wallet.balance, 27.0, "a third of the 81 credits")
        self.assertEqual(note.payment_state, "paid")
        returned = self.wallet.entry_ids.filtered(lambda e: e.kind == "return")
        self.assertRecordValues(
            returned, [{"amount": 27.0, "source_entry_id": self.spend_entries().id}]
        )
        # the spend's values: 9 USD were 7.20 EUR on the receivable, 81 credits 8.10 EUR
        self.assertEqual(
            self.lines(returned.move_id),
            [
                (self.credit_account, -2.7),
                (self.exchange_account, 0.3),
                (self.receivable, 2.4),
            ],
        )
        self.assert_invariants()

        # Odoo's refund of the credit payment: the rest, never more than the spend took
        refund = (
            self.env["payment.refund.wizard"]
            .with_context(active_model="account.payment", active_id=spend_tx.payment_id.id)
            .create({})
        )
        self.assertEqual(refund.amount_available_for_refund, 6.0)
        refund.action_refund()

        self.assertEqual(self.wallet.balance, 81.0)
        self.assertEqual(spend_tx.credit_returned_amount, 81.0)
        with self.assertRaisesRegex(UserError, "At most"):
            spend_tx.action_refund(amount_to_refund=0.01)
        self.assertEqual(self.wallet.balance, 81.0)
        self.assert_invariants()

    def credit_note(self, invoice, amount):
        reversal = (
            self.env["account.move.reversal"]
            .with_context(active_model="account.move", active_ids=invoice.ids)
            .create({"journal_id": invoice.journal_id.id, "reason": "Scope reduced"})
        )
        note = self.env["account.move"].browse(reversal.refund_moves()["res_id"])
        note.invoice_line_ids.price_unit = amount
        note.action_post()
        return note

    def test_a_refund_of_a_dollar_purchase_takes_back_its_credits_in_proportion(self):
        tx = self.buy_dollar_pack()
        wizard = (
            self.env["payment.refund.wizard"]
            .with_user(self.billing_user)
            .with_context(active_model="account.payment", active_id=tx.payment_id.id)
            .create({})
        )
        wizard.amount_to_refund = 18.0

        wizard.action_refund()

        self.assertEqual(self.wallet.balance, 270.0, "40% of 405 credits and of the 45 bonus")
        taken_back = self.wallet.entry_ids.filtered(
            lambda e: e.kind in ("purchase_refund", "bonus_refund")
        )
        self.assertEqual(sorted(taken_back.mapped("amount")), [-162.0, -18.0])
        refund_move = taken_back.filtered(lambda e: e.kind == "purchase_refund").move_id
        # 18 USD are 14.40 EUR paid back; 162 credits are worth 16.20 EUR
        self.assertEqual(
            self.lines(refund_move),
            [
                (self.outstanding_account, -14.4),
                (self.exchange_account, -1.8),
                (self.credit_account, 16.2),
            ],
        )
        self.assert_invariants()

    def test_a_bank_transfer_in_dollars_opens_a_request_for_the_credits_it_adds(self):
        tx = self.create_transfer_tx(self.dollar_pack)
        self.notify_custom(tx)
        request = self.request_of(tx)
        self.assertRecordValues(
            request,
            [
                {
                    "state": "pending",
                    "amount": 45.0,
                    "currency_id": self.usd.id,
                    "credit_amount": 450,
                }
            ],
        )
        self.assertEqual(self.wallet.balance, 0.0)

        self.accept(request, journal=self.bank_journal)

        self.assertEqual(self.wallet.balance, 450.0)
        self.assertEqual(tx.payment_id.journal_id, self.bank_journal)
        self.assertEqual(self.credit_account_balance(), 45.0)
        self.assert_invariants()


@tagged("post_install", "-at_install")
class TestCreditRatesRefused(CreditForeignCurrencyCommon):
    def rates(self):
        return (
            self.env["credit.conversion.rate"]
            .with_context(active_test=False)
            .search_read([("company_id", "=", self.company.id)], ["currency_id", "rate", "active"])
        )

    def test_a_rate_that_is_not_a_positive_number_is_refused(self):
        before = self.rates()
        Rate = self.env["credit.conversion.rate"].with_user(self.manager)
        for rate in (0.0, -9.0, math.nan, math.inf, 1e308, "nine", None, True):
            with self.subTest(rate=rate), self.assertRaises(ValidationError) as refusal:
                Rate.create({"currency_id": self.usd.id, "rate": rate})
            self.assertIn(
                "A conversion rate is a number of credits above 0", str(refusal.exception)
            )
        self.assertEqual(self.rates(), before)
        self.assertEqual(self.company._credit_rate(self.usd), self.usd_rate)

    def test_two_active_rates_for_one_currency_are_refused_by_the_database(self):
        with self.assertRaises(IntegrityError), mute_logger("odoo.sql_db"), self.env.cr.savepoint():
            self.env.cr.execute(
                "UPDATE credit_conversion_rate SET active = TRUE WHERE company_id = %s",
                [self.company.id],
            )
        with self.assertRaisesRegex(UserError, "already has an active rate"):
            self.env["credit.conversion.rate"].with_context(active_test=False).search(
                [("currency_id", "=", self.eur.id), ("active", "=", False)], limit=1
            ).active = True

    def test_a_rate_is_never_edited(self):
        with self.assertRaisesRegex(UserError, "not edited"):
            self.usd_rate.with_user(self.manager).rate = 5.0
        self.assertEqual(self.usd_rate.rate, 9.0)

    def test_the_company_rate_and_rounding_are_fixed_once_credits_moved(self):
        self.adjust(self.wallet, 10.0)
        before = self.rates()
        with self.assertRefused("cannot change any more"):
            self.env["credit.conversion.rate"].create({"currency_id": self.eur.id, "rate": 20.0})
        with self.assertRefused("cannot change any more"):
            self.company.credit_rounding = "0.01"
        with self.assertRefused("keep it"):
            self.eur_rate.active = False
        self.assertEqual(self.rates(), before)
        self.assertEqual((self.company.credit_value, self.company.credit_rounding), (0.1, "1"))
        # a foreign currency's rate may change: it sets no value in the books
        self.env["credit.conversion.rate"].create({"currency_id": self.usd.id, "rate": 8.0})
        self.assertEqual(self.company._credit_rate(self.usd).rate, 8.0)

    def test_a_value_the_books_cannot_hold_is_refused(self):
        company = self.setup_other_company(name="Cent Agency", currency_id=self.eur.id)["company"]
        # hundredths of a credit at 10 per euro would be worth a tenth of a cent
        with self.assertRefused("which the books cannot hold exactly"):
            self.env["credit.conversion.rate"].create(
                {"company_id": company.id, "currency_id": self.eur.id, "rate": 10.0}
            )
        self.assertEqual(company.credit_value, 1.0)

    def test_a_rate_changed_between_the_page_and_the_payment_is_refused(self):
        self.adjust(self.wallet, 100.0)
        invoice = self.dollar_invoice(3.51)
        tx = self.create_spend_tx(invoice)
        self.assertEqual(tx.credit_amount, 32.0)
        self.env["credit.conversion.rate"].create({"currency_id": self.usd.id, "rate": 10.0})

        with self.assert_nothing_changed(), self.assertRefused("changed since the page was shown"):
            tx._credit_process()
        self.assertEqual(invoice.payment_state, "not_paid")
        self.assertEqual(self.wallet.balance, 100.0)
        self.assert_invariants()

    def test_a_package_or_document_in_a_currency_without_a_rate_is_not_offered(self):
        gbp = self.setup_other_currency("GBP", rates=[("2000-01-01", 0.85)])
        package = self.env["credit.package"].create(
            {"name": "Pound Pack", "credit_amount": 100, "price": 10, "currency_id": gbp.id}
        )
        self.assertFalse(package._credit_sellable())
        self.assertTrue(self.dollar_pack._credit_sellable())
        # a rate that grew since the package was made: it would sell credits below their price
        self.env["credit.conversion.rate"].create({"currency_id": self.usd.id, "rate": 11.0})
        self.assertFalse(self.dollar_pack._credit_sellable())

        self.adjust(self.wallet, 100.0)
        invoice = self.create_invoice(5.0, currency_id=gbp.id)
        self.assertIn(
            "Credits do not pay documents in GBP",
            invoice._credit_spend_refusal(self.contact, invoice.amount_residual),
        )
