"""Who reads which fields of the credit ledger: a portal customer what the Credits page
shows, never the accounting, the payment or the employees behind an entry."""

import json

from lxml import html

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import HttpCase, tagged

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


@tagged("post_install", "-at_install")
class TestLedgerFieldAccess(CreditWalletCommon):
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
class TestLedgerFieldAccessRoutes(CreditRpcMixin, HttpCase, CreditWalletCommon):
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
