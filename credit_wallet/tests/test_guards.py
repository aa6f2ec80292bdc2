import json
from contextlib import contextmanager

from lxml import html

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, HttpCase, tagged

from .common import CreditRpcMixin, CreditWalletCommon

# what the Credits page shows, and so what a portal user may read over RPC
PORTAL_FIELDS = [
    "date",
    "entry_type",
    "reference_name",
    "description",
    "amount",
    "running_balance",
    "wallet_id",
    "partner_id",
    "company_id",
    "currency_id",
]
# the accounting, the payment and the employees behind an entry
INTERNAL_FIELDS = [
    "move_id",
    "payment_transaction_id",
    "posted_by_id",
    "reversed_entry_id",
    "reversal_entry_ids",
    "reference",
    "create_uid",
    "write_uid",
]


class CreditGuardCommon(CreditWalletCommon):
    @contextmanager
    def assertRefused(self, message):
        """A UserError saying ``message``; Odoo's assertRaises rolls back what was written."""
        with self.assertRaises(UserError) as refusal:
            yield
        self.assertIn(message, str(refusal.exception))

    def books(self):
        """What an accountant would check: wallets, ledger, the account, the journal."""
        self.env.invalidate_all()
        return {
            "balances": self.env["credit.wallet"].search([]).mapped("balance"),
            "entries": self.env["credit.ledger.entry"].search_count([]),
            "credit_account_balance": self.credit_account_balance(),
            "moves": self.env["account.move"].search_count([]),
            "credit_lines": self.env["account.move.line"].search_count(
                [("account_id", "=", self.credit_account.id)]
            ),
        }


@tagged("post_install", "-at_install")
class TestLedgerFieldAccess(CreditGuardCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.opening = cls.adjust(cls, cls.wallet, 90.0, reason="Opening credits")
        cls.reversal = cls.opening._reverse()
        cls.adjust(cls, cls.wallet, 30.0, reason="Goodwill")
        cls.entries = cls.wallet.entry_ids

    def test_portal_user_reads_what_the_credits_page_shows(self):
        rows = self.entries.with_user(self.portal_user).read(PORTAL_FIELDS)
        self.assertEqual(
            [(row["description"], row["amount"], row["running_balance"]) for row in rows],
            [
                ("Adjustment: Goodwill", 30.0, 30.0),
                ("Reversal of Adjustment: Opening credits", -90.0, 0.0),
                ("Adjustment: Opening credits", 90.0, 90.0),
            ],
        )
        self.assertEqual(rows[0]["wallet_id"][0], self.wallet.id)
        # reading "all fields" leaves the internal ones out instead of failing
        everything = self.entries.with_user(self.portal_user).read()
        self.assertFalse(set(INTERNAL_FIELDS) & set(everything[0]))
        self.assertTrue(set(PORTAL_FIELDS) <= set(everything[0]))

    def test_portal_user_cannot_read_search_or_group_the_internal_fields(self):
        Entry = self.env["credit.ledger.entry"].with_user(self.portal_user)
        for field_name in INTERNAL_FIELDS:
            with self.subTest(field=field_name):
                with self.assertRaises(AccessError):
                    self.entries.with_user(self.portal_user).read([field_name])
                with self.assertRaises(AccessError):
                    Entry.search_read([], [field_name])
                with self.assertRaises(AccessError):
                    Entry.search([(field_name, "!=", False)])
                if Entry._fields[field_name].column_type:
                    with self.assertRaises(AccessError):
                        Entry.read_group([], ["amount:sum"], [field_name])
                self.entries.invalidate_recordset()
                with self.assertRaises(AccessError):
                    self.entries[:1].with_user(self.portal_user)[field_name]

    def test_credit_user_reads_every_field(self):
        reversal = self.reversal.with_user(self.credit_user)
        self.assertEqual(reversal.move_id, self.reversal.move_id)
        self.assertEqual(reversal.reversed_entry_id, self.opening)
        self.assertEqual(reversal.posted_by_id, self.env.user)
        self.assertEqual(reversal.reference, self.opening.move_id)
        self.assertEqual(self.opening.with_user(self.credit_user).reversal_entry_ids, reversal)

    def test_backend_views_load_for_credit_users_with_the_accounting_fields(self):
        for user in (self.credit_user, self.manager):
            views = (
                self.env["credit.ledger.entry"]
                .with_user(user)
                .get_views([(False, "list"), (False, "form"), (False, "search")])
            )
            form = html.fromstring(views["views"]["form"]["arch"])
            for field_name in ("move_id", "posted_by_id", "reference", "reversed_entry_id"):
                self.assertTrue(form.xpath(f"//field[@name='{field_name}']"), field_name)
            wallet_views = self.env["credit.wallet"].with_user(user).get_views([(False, "form")])
            self.assertIn("entry_ids", wallet_views["views"]["form"]["arch"])

    def test_partner_balance_shows_only_the_portal_users_own_credits(self):
        self.adjust(self.other_wallet, 40.0)
        contact = self.contact.with_user(self.portal_user)
        self.assertEqual(contact.credit_balance, 30.0)
        self.assertEqual(contact.commercial_partner_id.credit_wallet_ids, self.wallet)
        with self.assertRaises(AccessError):
            self.other_customer.with_user(self.portal_user).read(["credit_balance"])


@tagged("post_install", "-at_install")
class TestLedgerFieldAccessRoutes(CreditRpcMixin, HttpCase, CreditGuardCommon):
    def test_portal_rpc_sees_the_page_not_the_books_and_the_page_still_renders(self):
        order = self.env["sale.order"].create(
            {
                "partner_id": self.contact.id,
                "order_line": [Command.create({"product_id": self.product_a.id})],
            }
        )
        order.message_subscribe(partner_ids=self.customer.ids)
        self.wallet._post_movement(50.0, "Top-up")
        self.wallet._post_movement(-20.0, "Design sprint", reference=order)
        self.authenticate("portal_ada", "portal_ada")

        answer = self.call_kw("credit.ledger.entry", "search_read", [[]], {"fields": []})
        self.assertEqual(
            [row["description"] for row in answer["result"]], ["Design sprint", "Top-up"]
        )
        self.assertFalse(set(INTERNAL_FIELDS) & set(answer["result"][0]))
        for field_name in ("move_id", "posted_by_id", "reference", "create_uid"):
            with self.subTest(field=field_name):
                answer = self.call_kw(
                    "credit.ledger.entry", "search_read", [[]], {"fields": [field_name]}
                )
                self.assertEqual(answer["error"]["data"]["name"], "odoo.exceptions.AccessError")
                self.assertNotIn(self.env.user.name, json.dumps(answer))

        page = html.fromstring(self.url_open("/my/credits").content)
        cells = page.xpath("//td[hasclass('o_credit_wallet_reference')]")
        self.assertEqual(cells[0].xpath(".//a/@href"), [order.access_url])
        self.assertEqual(" ".join(cells[0].text_content().split()), order.name)


@tagged("post_install", "-at_install")
class TestAdjustmentAccount(CreditGuardCommon):
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
        before = self.books()
        for label, account in self.refused_counterparts().items():
            with self.subTest(account=label), self.assertRaises(UserError) as refusal:
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
            self.assertEqual(self.books(), before, label)
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


@tagged("post_install", "-at_install")
class TestCustomerCreditAccount(CreditGuardCommon):
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
        before = self.books()
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
        self.assertEqual(self.books(), before)
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
class TestCustomerCreditJournalItems(CreditGuardCommon):
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
        before = self.books()
        with self.assertRefused("Customer Credit account are written only by"):
            action()
        self.assertEqual(self.books(), before)
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


@tagged("post_install", "-at_install")
class TestPartnerMerge(CreditGuardCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.adjust(cls, cls.wallet, 90.0)
        cls.adjust(cls, cls.other_wallet, 40.0)
        Partner = cls.env["res.partner"]
        cls.newcomer = Partner.create({"name": "Brightline Limited", "is_company": True})
        cls.anna = Partner.create({"name": "Anna Brightline", "parent_id": cls.customer.id})
        cls.anna_twin = Partner.create({"name": "Anna B.", "parent_id": cls.customer.id})
        cls.stranger = Partner.create({"name": "Sam Stranger"})
        cls.stranger_twin = Partner.create({"name": "Sam Stranger (dup)"})
        cls.third_company = Partner.create({"name": "Third Co", "is_company": True})
        cls.solo = Partner.create({"name": "Sol Solo"})
        cls.solo_wallet = cls.env["credit.wallet"]._get_or_create_wallet(cls.solo)
        cls.adjust(cls, cls.solo_wallet, 25.0)
        cls.third_contact = Partner.create(
            {"name": "Tina Third", "parent_id": cls.third_company.id}
        )

    def merge(self, partners, destination):
        self.env["base.partner.merge.automatic.wizard"].create(
            {
                "state": "selection",
                "partner_ids": [Command.set(partners.ids)],
                "dst_partner_id": destination.id,
            }
        ).action_merge()

    def wallets_state(self):
        self.env.invalidate_all()
        wallets = self.env["credit.wallet"].search([], order="id")
        return {
            "wallets": [(w.partner_id.id, w.company_id.id, w.balance) for w in wallets],
            "entries": sorted(
                self.env["credit.ledger.entry"].search([]).mapped(lambda e: (e.id, e.partner_id.id))
            ),
            "books": self.books(),
        }

    def assert_merge_refused(self, partners, destination, message):
        before = self.wallets_state()
        parents = {partner: partner.parent_id for partner in partners}
        with self.assertRefused(message):
            self.merge(partners, destination)
        self.assertEqual(partners.exists(), partners, "no contact was merged away")
        self.assertEqual(self.wallets_state(), before)
        for partner, parent in parents.items():
            self.assertEqual(partner.parent_id, parent)

    def test_merging_away_a_wallet_owner_is_refused(self):
        self.assert_merge_refused(
            self.other_customer | self.newcomer, self.newcomer, "Harbour & Co own credits"
        )
        self.assert_merge_refused(
            self.customer | self.other_customer, self.customer, "Harbour & Co own credits"
        )

    def test_a_wallet_owner_becoming_a_contact_is_refused(self):
        self.assert_merge_refused(
            self.solo | self.third_contact,
            self.solo,
            "Sol Solo owns credits: merged with a contact of Third Co",
        )

    def test_moving_a_credit_customers_contact_to_another_customer_is_refused(self):
        self.assert_merge_refused(
            self.anna | self.third_contact, self.third_contact, "Anna Brightline uses the credits"
        )

    def test_merging_contacts_of_one_customer_keeps_its_wallet(self):
        before = self.wallets_state()
        self.merge(self.anna | self.anna_twin, self.anna)
        self.assertFalse(self.anna_twin.exists())
        self.assertEqual(self.anna.commercial_partner_id, self.customer)
        self.assertEqual(self.wallets_state(), before)

    def test_merging_a_partner_without_wallet_into_a_wallet_owner_keeps_the_wallet(self):
        before = self.wallets_state()
        self.merge(self.newcomer | self.customer, self.customer)
        self.assertFalse(self.newcomer.exists())
        self.assertEqual(self.wallets_state(), before)
        self.assertEqual(self.env["credit.wallet"]._get_wallet(self.customer), self.wallet)

    def test_partners_without_wallets_merge_as_usual(self):
        self.merge(self.stranger | self.stranger_twin, self.stranger)
        self.assertFalse(self.stranger_twin.exists())
        self.assertTrue(self.stranger.exists())
