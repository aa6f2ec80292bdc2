"""The Customer Credit account: which account it may be, and that only the posting service
writes journal items on it (invoices, fiscal positions and manual entries are refused)."""

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import Form, tagged

from .common import CreditWalletCommon


@tagged("post_install", "-at_install")
class TestCustomerCreditAccount(CreditWalletCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.fresh = cls.setup_other_company(name="Fresh Agency")["company"]
        cls.fresh_account = cls.fresh.credit_account_id

    def new_liability(self, company=None, **values):
        company = company or self.fresh
        return (
            self.env["account.account"]
            .with_company(company)
            .create(
                {
                    "name": values.pop("name", "Prepaid Services"),
                    "code": values.pop("code", "219700"),
                    "account_type": "liability_current",
                    "reconcile": True,
                    "company_ids": [Command.set(company.ids)],
                    **values,
                }
            )
        )

    def test_company_refuses_a_customer_credit_account_of_another_kind(self):
        kinds = {
            "not reconcilable": {"reconcile": False},
            "non-current liability": {"account_type": "liability_non_current"},
            "payable": {"account_type": "liability_payable"},
            "income": {"account_type": "income", "reconcile": False},
            "another company's": {"company": self.company},
            "deprecated": {"deprecated": True},
        }
        refused = {
            label: self.new_liability(name=f"Prepaid ({label})", code=f"21970{index}", **values)
            for index, (label, values) in enumerate(kinds.items())
        }
        for label, account in refused.items():
            with self.subTest(account=label), self.assertRaises(UserError) as refusal:
                self.fresh.credit_account_id = account
            self.assertIn(f"Prepaid ({label})", str(refusal.exception))
            self.assertEqual(self.fresh.credit_account_id, self.fresh_account)

        with self.assertRefused("current liability that allows reconciliation"):
            self.env["res.config.settings"].with_company(self.fresh).create(
                {"credit_account_id": refused["not reconcilable"].id}
            ).execute()
        self.assertEqual(self.fresh.credit_account_id, self.fresh_account)

        good = self.new_liability(code="219800")
        self.fresh.credit_account_id = good
        self.assertEqual(self.fresh.credit_account_id, good)

    def test_company_refuses_an_account_that_already_has_journal_items(self):
        used = self.new_liability()
        revenue = self.env["account.account"].search(
            [("company_ids", "=", self.fresh.id), ("account_type", "=", "income")], limit=1
        )
        journal = self.env["account.journal"].search(
            [("company_id", "=", self.fresh.id), ("type", "=", "general")], limit=1
        )
        # a draft entry written before the account became the Customer Credit account
        self.env["account.move"].with_company(self.fresh).create(
            {
                "move_type": "entry",
                "journal_id": journal.id,
                "line_ids": [
                    Command.create({"account_id": used.id, "balance": -50.0}),
                    Command.create({"account_id": revenue.id, "balance": 50.0}),
                ],
            }
        )
        with self.assertRefused("must start empty"):
            self.fresh.credit_account_id = used
        self.assertEqual(self.fresh.credit_account_id, self.fresh_account)

    def test_the_configured_account_keeps_its_kind(self):
        self.adjust(self.wallet, 60.0)
        changes = {
            "not reconcilable": {"reconcile": False},
            "type": {"account_type": "liability_non_current"},
            "income": {"account_type": "income"},
            "deprecated": {"deprecated": True},
            "company": {"company_ids": [Command.set(self.fresh.ids)]},
        }
        with self.assert_nothing_changed():
            for label, vals in changes.items():
                with self.subTest(change=label), self.assertRaises(UserError) as refusal:
                    self.credit_account.write(vals)
                if label != "company":  # Odoo itself keeps an account with items in its company
                    self.assertIn("holds the customers' credits", str(refusal.exception))
                self.env.invalidate_all()
                self.assertRecordValues(
                    self.credit_account,
                    [{"account_type": "liability_current", "reconcile": True, "deprecated": False}],
                )
        self.assertEqual(self.credit_account.sudo().company_ids, self.company)
        # an account without journal items yet: only the Customer Credit check stops it
        with self.assertRefused("holds the customers' credits"):
            # the code is given for the company the account would move to, as Odoo requires
            self.fresh_account.with_context(
                allowed_company_ids=[self.company.id, self.fresh.id]
            ).write({"company_ids": [Command.set(self.company.ids)], "code": "219990"})
        self.assertEqual(self.fresh_account.sudo().company_ids, self.fresh)
        # other accounts keep their freedom
        other = self.new_liability(company=self.company, code="219600")
        other.account_type = "liability_non_current"
        self.assertEqual(other.account_type, "liability_non_current")


@tagged("post_install", "-at_install")
class TestCustomerCreditJournalItems(CreditWalletCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.adjust(cls, cls.wallet, 100.0, reason="Opening credits")
        cls.revenue = cls.company_data["default_account_revenue"]
        cls.prepaid_product = cls._create_product(
            name="Credit-backed service",
            lst_price=80.0,
            property_account_income_id=cls.credit_account.id,
            taxes_id=[Command.clear()],
        )
        cls.plain_product = cls._create_product(
            name="Plain service", lst_price=80.0, taxes_id=[Command.clear()]
        )
        cls.mapping = cls.env["account.fiscal.position"].create(
            {
                "name": "Maps revenue to Customer Credit",
                "account_ids": [
                    Command.create(
                        {
                            "account_src_id": cls.revenue.id,
                            "account_dest_id": cls.credit_account.id,
                        }
                    )
                ],
            }
        )

    def invoice_vals(self, product, **values):
        return {
            "move_type": "out_invoice",
            "partner_id": self.customer.id,
            "invoice_line_ids": [Command.create({"product_id": product.id, "price_unit": 80.0})],
            **values,
        }

    def assert_guarded(self, action):
        with (
            self.assert_nothing_changed(),
            self.assertRefused("Customer Credit account are written only by"),
        ):
            action()
        self.assert_invariants()

    def test_invoice_line_taking_a_products_income_account_is_refused(self):
        Move = self.env["account.move"]
        self.assert_guarded(lambda: Move.create(self.invoice_vals(self.prepaid_product)))
        invoice = Move.create(self.invoice_vals(self.plain_product))
        self.assertEqual(invoice.invoice_line_ids.account_id, self.revenue)

        def choose_the_product_in_the_form():
            with Form(invoice) as form, form.invoice_line_ids.edit(0) as line:
                line.product_id = self.prepaid_product

        self.assert_guarded(choose_the_product_in_the_form)
        # over RPC only the product is written: Odoo recomputes the account without write()
        line = invoice.invoice_line_ids
        self.assert_guarded(lambda: line.write({"product_id": self.prepaid_product.id}))
        self.assert_guarded(
            lambda: invoice.write(
                {
                    "invoice_line_ids": [
                        Command.update(line.id, {"product_id": self.prepaid_product.id})
                    ]
                }
            )
        )
        self.assertEqual(invoice.invoice_line_ids.account_id, self.revenue)
        self.assertEqual(invoice.invoice_line_ids.product_id, self.plain_product)

    def test_invoice_line_mapped_by_a_fiscal_position_is_refused(self):
        Move = self.env["account.move"]
        self.assert_guarded(
            lambda: Move.create(
                self.invoice_vals(self.plain_product, fiscal_position_id=self.mapping.id)
            )
        )
        invoice = Move.create(self.invoice_vals(self.plain_product))

        def apply_mapping():
            invoice.fiscal_position_id = self.mapping
            invoice.action_update_fpos_values()
            invoice.action_post()

        self.assert_guarded(apply_mapping)
        self.assertEqual(invoice.state, "draft")
        self.assertEqual(invoice.invoice_line_ids.account_id, self.revenue)

    def test_an_unchanged_draft_invoice_still_posts(self):
        invoice = self.env["account.move"].create(self.invoice_vals(self.plain_product))
        invoice.action_post()
        self.assertEqual(invoice.state, "posted")
        self.assertNotIn(self.credit_account, invoice.line_ids.account_id)

    def test_account_recognised_by_identity_whatever_its_type(self):
        # as if its type had been changed behind the settings' back
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE account_account SET account_type = 'income', reconcile = false WHERE id = %s",
            [self.credit_account.id],
        )
        self.env.invalidate_all()
        self.assert_guarded(
            lambda: self.env["account.move"].create(
                {
                    "move_type": "entry",
                    "journal_id": self.company_data["default_journal_misc"].id,
                    "line_ids": [
                        Command.create(
                            {
                                "account_id": self.credit_account.id,
                                "partner_id": self.customer.id,
                                "balance": -30.0,
                            }
                        ),
                        Command.create({"account_id": self.revenue.id, "balance": 30.0}),
                    ],
                }
            )
        )

    def test_guard_costs_the_same_queries_for_one_line_or_many(self):
        lines_vals = [
            Command.create({"account_id": self.revenue.id, "balance": -1.0, "name": f"L{index}"})
            for index in range(20)
        ]
        expense = self.company_data["default_account_expense"]
        move = self.env["account.move"].create(
            {
                "move_type": "entry",
                "journal_id": self.company_data["default_journal_misc"].id,
                "line_ids": [
                    *lines_vals,
                    Command.create({"account_id": expense.id, "balance": 20.0}),
                ],
            }
        )
        self.env.flush_all()
        for count in (1, 21):
            lines = self.env["account.move.line"].browse(move.line_ids.ids[:count])
            self.env.invalidate_all()
            # reading the lines' accounts, then one search for Customer Credit accounts
            with self.assertQueryCount(2):
                lines._check_credit_account_untouched()

    def test_posting_service_keeps_writing_its_lines(self):
        self.adjust(self.wallet, -40.0)
        self.wallet._post_movement(15.0, "Bonus", counterpart_account=self.revenue)
        self.assertEqual(self.wallet.balance, 75.0)
        self.assert_invariants()
