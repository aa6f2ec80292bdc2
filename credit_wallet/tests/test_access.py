import json

from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, tagged

from .common import CreditRpcMixin, CreditWalletCommon


@tagged("post_install", "-at_install")
class TestCreditAccess(CreditWalletCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.adjust(cls, cls.wallet, 90.0)
        cls.adjust(cls, cls.other_wallet, 40.0)

    def test_portal_user_reads_only_own_wallet_and_entries(self):
        Wallet = self.env["credit.wallet"].with_user(self.portal_user)
        Entry = self.env["credit.ledger.entry"].with_user(self.portal_user)
        self.assertEqual(Wallet.search([]), self.wallet)
        self.assertEqual(Entry.search([]), self.wallet.entry_ids)
        with self.assertRaises(AccessError):
            self.other_wallet.with_user(self.portal_user).read(["balance"])
        with self.assertRaises(AccessError):
            self.other_wallet.entry_ids.with_user(self.portal_user).read(["amount"])
        self.assertEqual(self.contact.with_user(self.portal_user).credit_balance, 90.0)

    def test_portal_user_writes_nothing(self):
        wallet = self.wallet.with_user(self.portal_user)
        with self.assertRaises(AccessError):
            wallet.write({"partner_id": self.other_customer.id})
        with self.assertRaises(AccessError):
            self.env["credit.wallet"].with_user(self.portal_user).create(
                {"partner_id": self.customer.id}
            )
        with self.assertRaises(AccessError):
            wallet.unlink()
        with self.assertRaises(AccessError):
            self.env["credit.wallet.adjustment"].with_user(self.portal_user).create(
                {"wallet_id": self.wallet.id, "amount": 10.0, "reason": "self-service"}
            )
        self.assertEqual(self.wallet.balance, 90.0)
        self.assertEqual(self.wallet.partner_id, self.customer)

    def test_credit_user_reads_but_cannot_adjust_or_reverse(self):
        self.assertEqual(
            self.env["credit.wallet"].with_user(self.credit_user).search([], order="id").ids,
            self.env["credit.wallet"].search([], order="id").ids,
        )
        with self.assertRaises(AccessError):
            self.env["credit.wallet.adjustment"].with_user(self.credit_user).create(
                {"wallet_id": self.wallet.id, "amount": 10.0, "reason": "not allowed"}
            )
        with self.assertRaisesRegex(UserError, "Only credit managers"):
            self.wallet.entry_ids[:1].with_user(self.credit_user).action_reverse()
        self.assertEqual(self.wallet.balance, 90.0)
        self.assertEqual(len(self.wallet.entry_ids), 1)

    def test_manager_adjusts(self):
        self.adjust(self.wallet, -15.0, user=self.manager)
        self.assertEqual(self.wallet.balance, 75.0)
        self.assertEqual(self.wallet.entry_ids[:1].posted_by_id, self.manager)

    def test_other_company_wallet_is_out_of_reach(self):
        other = self.setup_other_company(name="Rival Agency")["company"]
        rival_wallet = self.env["credit.wallet"]._get_or_create_wallet(self.customer, other)
        self.adjust(rival_wallet.with_company(other), 30.0)
        # the manager only belongs to the first company
        with self.assertRaises(AccessError):
            rival_wallet.with_user(self.manager).read(["balance"])
        with self.assertRaises(AccessError):
            self.adjust(rival_wallet, 5.0, user=self.manager)
        self.assertEqual(rival_wallet.balance, 30.0)
        self.assertEqual(len(rival_wallet.entry_ids), 1)


@tagged("post_install", "-at_install")
class TestCreditAccessRoutes(CreditRpcMixin, HttpCase, CreditWalletCommon):
    def test_portal_user_cannot_read_or_write_another_wallet_over_rpc(self):
        self.adjust(self.wallet, 90.0)
        self.adjust(self.other_wallet, 40.0)
        self.authenticate("portal_ada", "portal_ada")

        own = self.call_kw("credit.wallet", "search_read", [[]], {"fields": ["balance"]})
        self.assertEqual(own["result"], [{"id": self.wallet.id, "balance": 90.0}])

        foreign = self.call_kw("credit.wallet", "read", [[self.other_wallet.id], ["balance"]])
        self.assertIn("error", foreign)
        self.assertNotIn("40", json.dumps(foreign.get("result", "")))

        entries = self.call_kw(
            "credit.ledger.entry", "search_read", [[("wallet_id", "=", self.other_wallet.id)]]
        )
        self.assertEqual(entries["result"], [])

        forged = self.call_kw(
            "credit.wallet",
            "write",
            [[self.wallet.id], {"balance": 1000000}],
            {"context": {"credit_wallet_posting": True}},
        )
        self.assertIn("error", forged)
        self.assertEqual(self.wallet.balance, 90.0)
        self.assertEqual(self.other_wallet.balance, 40.0)
