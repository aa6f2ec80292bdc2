"""Merging partners never takes credits away from the customer who owns them."""

from odoo import Command
from odoo.tests import tagged

from .common import CreditWalletCommon


@tagged("post_install", "-at_install")
class TestPartnerMerge(CreditWalletCommon):
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

    def assert_merge_refused(self, partners, destination, message):
        parents = {partner: partner.parent_id for partner in partners}
        with self.assert_nothing_changed(), self.assertRefused(message):
            self.merge(partners, destination)
        self.assertEqual(partners.exists(), partners, "no contact was merged away")
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
        with self.assert_nothing_changed():
            self.merge(self.anna | self.anna_twin, self.anna)
        self.assertFalse(self.anna_twin.exists())
        self.assertEqual(self.anna.commercial_partner_id, self.customer)

    def test_merging_a_partner_without_wallet_into_a_wallet_owner_keeps_the_wallet(self):
        with self.assert_nothing_changed():
            self.merge(self.newcomer | self.customer, self.customer)
        self.assertFalse(self.newcomer.exists())
        self.assertEqual(self.env["credit.wallet"]._get_wallet(self.customer), self.wallet)

    def test_partners_without_wallets_merge_as_usual(self):
        self.merge(self.stranger | self.stranger_twin, self.stranger)
        self.assertFalse(self.stranger_twin.exists())
        self.assertTrue(self.stranger.exists())
