from psycopg2 import IntegrityError

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, tagged
from odoo.tools import mute_logger

from .common import CreditWalletCommon


@tagged("post_install", "-at_install")
class TestCreditPackage(CreditWalletCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Package = cls.env["credit.package"]
        cls.published = Package.create(
            {"name": "Growth", "credit_amount": 550.0, "price": 500.0, "is_published": True}
        )
        cls.unpublished = Package.create({"name": "Draft", "credit_amount": 10.0, "price": 10.0})
        cls.archived = Package.create(
            {"name": "Old", "credit_amount": 10.0, "price": 10.0, "is_published": True}
        )
        cls.archived.action_archive()
        cls.other_company = cls.setup_other_company()["company"]
        cls.other_company_package = Package.create(
            {
                "name": "Elsewhere",
                "credit_amount": 10.0,
                "price": 10.0,
                "is_published": True,
                "company_id": cls.other_company.id,
            }
        )

    def test_bonus_is_the_credits_above_the_price(self):
        self.assertEqual(self.published.bonus_amount, 50.0)
        self.assertEqual(self.unpublished.bonus_amount, 0.0)
        self.assertEqual(self.published.currency_id, self.company.currency_id)

    def test_manager_defines_a_package_in_the_form(self):
        form = Form(self.env["credit.package"].with_user(self.manager))
        form.name = "Agency"
        form.credit_amount = 1200.0
        form.price = 1000.0
        form.is_published = True
        package = form.save()
        self.assertEqual(package.bonus_amount, 200.0)
        self.assertEqual(package.company_id, self.company)

    def test_invalid_amounts_are_refused_and_nothing_is_created(self):
        Package = self.env["credit.package"].with_user(self.manager)
        count = Package.search_count([])
        invalid_values = (
            {"credit_amount": 100.0, "price": 0.0},
            {"credit_amount": 100.0, "price": -5.0},
            {"credit_amount": 0.0, "price": 10.0},
        )
        for values in invalid_values:
            # the database refuses the row, with the constraint's message for the user
            with (
                self.subTest(values=values),
                self.assertRaises(IntegrityError),
                mute_logger("odoo.sql_db"),
            ):
                Package.create({"name": "Broken", **values})
        # fewer credits than the price buys at the currency's rate (1 credit per dollar)
        with self.assertRaises(ValidationError) as refusal:
            Package.create({"name": "Broken", "credit_amount": 90.0, "price": 100.0})
        self.assertIn("grants fewer credits than its price buys", str(refusal.exception))
        for values in (*invalid_values, {"credit_amount": 90.0, "price": 100.0}):
            with self.subTest(values=values), self.assertRaises(ValidationError):
                self.published.with_user(self.manager).write(values)
        self.assertEqual(Package.search_count([]), count)
        self.assertEqual(self.published.price, 500.0)

    def test_published_domain_offers_active_published_packages_of_the_company(self):
        Package = self.env["credit.package"]
        self.assertEqual(
            Package.search(Package._get_published_domain(self.company)), self.published
        )

    def test_portal_user_reads_published_packages_only(self):
        Package = self.env["credit.package"].with_user(self.portal_user)
        self.assertEqual(Package.search([]), self.published)
        with self.assertRaises(AccessError):
            self.unpublished.with_user(self.portal_user).read(["name"])
        with self.assertRaises(AccessError):
            self.published.with_user(self.portal_user).write({"price": 1.0})
        with self.assertRaises(AccessError):
            Package.create({"name": "Mine", "credit_amount": 1.0, "price": 1.0})
        self.assertEqual(self.published.price, 500.0)

    def test_only_managers_change_packages(self):
        with self.assertRaises(AccessError):
            self.published.with_user(self.credit_user).write({"price": 1.0})
        self.published.with_user(self.manager).write({"is_published": False})
        self.assertFalse(self.published.is_published)

    def test_custom_amount_bounds_must_make_sense(self):
        for low, high in ((0.0, 100.0), (-1.0, 100.0), (50.0, 10.0)):
            with self.subTest(low=low, high=high), self.assertRaises(UserError):
                self.company.write(
                    {
                        "credit_custom_amount_allowed": True,
                        "credit_custom_amount_min": low,
                        "credit_custom_amount_max": high,
                    }
                )
        self.assertFalse(self.company.credit_custom_amount_allowed)
        self.company.write(
            {
                "credit_custom_amount_allowed": True,
                "credit_custom_amount_min": 10.0,
                "credit_custom_amount_max": 10.0,
            }
        )
        self.assertTrue(self.company.credit_custom_amount_allowed)
