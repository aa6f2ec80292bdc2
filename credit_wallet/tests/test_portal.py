import csv
import io
from datetime import datetime

import openpyxl
from freezegun import freeze_time
from lxml import html

from odoo import Command
from odoo.tests import HttpCase, new_test_user, tagged

from odoo.addons.credit_wallet.controllers import export as export_controller

from .common import CreditWalletCommon

# a description a spreadsheet would run as a formula if the export did not neutralize it
FORMULA = '=HYPERLINK("http://evil.test")'


class CreditPortalCommon(CreditWalletCommon, HttpCase):
    """Helpers to read the credit hub as a signed-in customer would."""

    def get_page(self, url, expected_status=200):
        response = self.url_open(url)
        self.assertEqual(response.status_code, expected_status, url)
        return html.fromstring(response.content)

    def texts(self, tree, xpath):
        return [" ".join(node.text_content().split()) for node in tree.xpath(xpath)]

    def history_rows(self, tree):
        """(type, description, amount, running balance) of each history row, top to bottom."""
        return [
            tuple(
                " ".join(row.xpath(f"string(./td[{cell}])").split())
                for cell in (
                    "2",
                    "hasclass('o_credit_wallet_description')",
                    "hasclass('o_credit_wallet_amount')",
                    "hasclass('o_credit_wallet_running_balance')",
                )
            )
            for row in tree.xpath("//tr[hasclass('o_credit_wallet_entry')]")
        ]

    def header_amounts(self, tree):
        return self.texts(tree, "//*[hasclass('o_credit_wallet_header_amount')]")

    def sign_in_new_portal_user(self, login, partner, **values):
        """Create a portal user for ``partner`` (password = login) and sign in as them."""
        new_test_user(
            self.env,
            login=login,
            password=login,
            groups="base.group_portal",
            partner_id=partner.id,
            **values,
        )
        self.authenticate(login, login)

    def customer_orders(self, partner, count=1):
        """``count`` quotations for ``partner``, followed by its company so it may read them."""
        orders = self.env["sale.order"].create(
            [
                {
                    "partner_id": partner.id,
                    "order_line": [Command.create({"product_id": self.product_a.id})],
                }
                for _index in range(count)
            ]
        )
        orders.message_subscribe(partner_ids=partner.commercial_partner_id.ids)
        return orders

    def post(self, wallet, amount, description, when=None, reference=None):
        """One movement through the posting service, at ``when`` if given."""
        if when:
            with freeze_time(when):
                return wallet._post_movement(amount, description, reference=reference)
        return wallet._post_movement(amount, description, reference=reference)

    def count_queries(self, url):
        """SQL queries of one warm request to ``url`` (templates, caches and session hot)."""
        for _warm_up in range(2):
            self.url_open(url)
        before = self.cr.sql_log_count
        response = self.url_open(url)
        self.assertEqual(response.status_code, 200)
        return self.cr.sql_log_count - before


@tagged("post_install", "-at_install")
class TestCreditPortalPages(CreditPortalCommon):
    def test_history_shows_balance_and_entries_newest_first_with_running_balance(self):
        self.adjust(self.wallet, 100.0, "Welcome")
        self.adjust(self.wallet, -30.0, "Logo design")
        self.adjust(self.wallet, 5.0, "Goodwill")
        self.authenticate("portal_ada", "portal_ada")

        tree = self.get_page("/my/credits")

        self.assertEqual(
            self.texts(tree, "//*[hasclass('o_credit_wallet_balance')]"), ["75.00 credits"]
        )
        # one credit is one dollar here: no value beside the balance
        self.assertFalse(tree.xpath("//*[hasclass('o_credit_wallet_balance_value')]"))
        self.assertEqual(
            self.history_rows(tree),
            [
                ("In", "Adjustment: Goodwill", "5.00", "75.00"),
                ("Out", "Adjustment: Logo design", "-30.00", "70.00"),
                ("In", "Adjustment: Welcome", "100.00", "100.00"),
            ],
        )
        self.assertTrue(tree.xpath("//section[hasclass('o_credit_wallet_faq')]"))
        self.assertEqual(
            self.texts(tree, "//ol[hasclass('o_portal_submenu')]/li[last()]"), ["Credits"]
        )
        self.assert_invariants()

    def test_contacts_of_a_company_share_its_wallet(self):
        self.adjust(self.wallet, 42.0, "Shared credits")
        colleague = self.env["res.partner"].create(
            {"name": "Bea Brightline", "parent_id": self.customer.id, "email": "bea@bright.test"}
        )
        self.sign_in_new_portal_user("portal_bea", colleague)

        tree = self.get_page("/my/credits")

        self.assertIn("42.00", self.texts(tree, "//*[hasclass('o_credit_wallet_balance')]")[0])
        self.assertEqual(self.history_rows(tree)[0][1], "Adjustment: Shared credits")

    def test_history_pages_by_twenty_and_past_the_end_is_an_empty_page(self):
        for number in range(1, 26):
            self.post(self.wallet, 1.0, f"Credit {number}")
        self.authenticate("portal_ada", "portal_ada")

        first = self.get_page("/my/credits")
        second = self.get_page("/my/credits/page/2")
        past_end = self.get_page("/my/credits/page/3")

        self.assertEqual(
            [row[1] for row in self.history_rows(first)][:2], ["Credit 25", "Credit 24"]
        )
        self.assertEqual(len(self.history_rows(first)), 20)
        self.assertEqual(
            [row[1] for row in self.history_rows(second)],
            ["Credit 5", "Credit 4", "Credit 3", "Credit 2", "Credit 1"],
        )
        self.assertEqual(self.history_rows(past_end), [])
        self.assertTrue(past_end.xpath("//*[hasclass('o_credit_wallet_empty')]"))
        self.assertTrue(first.xpath("//ul[hasclass('pagination')]//a[@href='/my/credits/page/2']"))

    def test_bad_page_numbers_give_a_friendly_answer(self):
        self.adjust(self.wallet, 10.0, "Some credit")
        self.authenticate("portal_ada", "portal_ada")

        self.assertEqual(self.url_open("/my/credits/page/abc").status_code, 404)
        self.assertEqual(self.url_open("/my/credits/page/99999999999999999999").status_code, 404)
        for url in (
            "/my/credits?page=abc",
            "/my/credits/page/0",
            "/my/credits/page/-1",
            "/my/credits?page=1e9",
        ):
            tree = self.get_page(url)
            self.assertEqual(len(self.history_rows(tree)), 1, url)

    def test_date_range_filter_keeps_the_days_asked_for(self):
        self.post(self.wallet, 10.0, "January", when="2024-01-10 12:00:00")
        self.post(self.wallet, 20.0, "February", when="2024-02-15 12:00:00")
        self.post(self.wallet, 30.0, "March", when="2024-03-20 12:00:00")
        self.authenticate("portal_ada", "portal_ada")

        february = self.get_page("/my/credits?date_from=2024-02-01&date_to=2024-02-29")
        one_day = self.get_page("/my/credits?date_from=2024-03-20&date_to=2024-03-20")
        from_march = self.get_page("/my/credits?date_from=2024-03-01")

        self.assertEqual([row[1] for row in self.history_rows(february)], ["February"])
        self.assertEqual([row[1] for row in self.history_rows(one_day)], ["March"])
        self.assertEqual([row[1] for row in self.history_rows(from_march)], ["March"])
        self.assertFalse(february.xpath("//*[hasclass('o_credit_wallet_notice')]"))
        self.assertEqual(
            february.xpath("//a[hasclass('o_credit_wallet_export_csv')]/@href"),
            ["/my/credits/export/csv?date_from=2024-02-01&date_to=2024-02-29"],
        )

    def test_reversed_or_malformed_dates_are_corrected_with_a_notice(self):
        self.post(self.wallet, 10.0, "January", when="2024-01-10 12:00:00")
        self.post(self.wallet, 20.0, "February", when="2024-02-15 12:00:00")
        self.authenticate("portal_ada", "portal_ada")

        reversed_range = self.get_page("/my/credits?date_from=2024-02-29&date_to=2024-02-01")
        self.assertEqual([row[1] for row in self.history_rows(reversed_range)], ["February"])
        self.assertEqual(len(reversed_range.xpath("//*[hasclass('o_credit_wallet_notice')]")), 1)

        for query in (
            "date_from=2024-02-30",
            "date_from=yesterday&date_to=%3Cscript%3E",
            "date_from=9999-12-31",
            "date_to=2024-02-01T00:00",
            "date_from=2024-1-5x",
        ):
            tree = self.get_page(f"/my/credits?{query}")
            self.assertEqual(len(self.history_rows(tree)), 2, query)
            self.assertTrue(tree.xpath("//*[hasclass('o_credit_wallet_notice')]"), query)
            self.assertFalse(tree.xpath("//script[contains(., 'script')]"))

    def test_reference_links_only_to_documents_the_customer_can_open(self):
        own_order = self.customer_orders(self.contact)
        others_order = self.customer_orders(self.other_contact)
        entry = self.post(self.wallet, 50.0, "Top-up")
        self.post(self.wallet, -10.0, "Own order", reference=own_order)
        self.post(self.wallet, -10.0, "Misfiled order", reference=others_order)
        self.post(self.wallet, -5.0, "Journal entry", reference=entry.move_id)
        self.authenticate("portal_ada", "portal_ada")

        tree = self.get_page("/my/credits")

        cells = tree.xpath(
            "//tr[hasclass('o_credit_wallet_entry')]/td[hasclass('o_credit_wallet_reference')]"
        )
        self.assertEqual(cells[2].xpath(".//a/@href"), [own_order.access_url])
        self.assertEqual(" ".join(cells[2].text_content().split()), own_order.name)
        self.assertFalse(cells[1].xpath(".//a"), "no link to another customer's order")
        self.assertEqual(" ".join(cells[1].text_content().split()), others_order.name)
        self.assertFalse(cells[0].xpath(".//a"), "no link to a journal entry")

    def test_history_dates_have_no_seconds(self):
        self.post(self.wallet, 10.0, "Top-up", when="2024-01-10 12:34:56")
        self.authenticate("portal_ada", "portal_ada")

        tree = self.get_page("/my/credits")

        self.assertEqual(
            self.texts(tree, "//td[hasclass('o_credit_wallet_date')]"), ["01/10/2024 12:34"]
        )

    def test_a_description_does_not_repeat_its_reference(self):
        invoice = self.init_invoice("out_invoice", partner=self.customer, amounts=[10.0], post=True)
        self.post(self.wallet, 50.0, "Opening credits")
        self.wallet._post_movement(
            -10.0, f"Payment of {invoice.name}", reference=invoice, kind="spend"
        )
        self.wallet._post_movement(
            5.0, f"Return for {invoice.name}", reference=invoice, kind="return"
        )
        self.authenticate("portal_ada", "portal_ada")

        rows = self.get_page("/my/credits").xpath("//tr[hasclass('o_credit_wallet_entry')]")

        self.assertEqual(
            [
                tuple(
                    " ".join(row.xpath(f"string(./td[hasclass('{cell}')])").split())
                    for cell in ("o_credit_wallet_description", "o_credit_wallet_reference")
                )
                for row in rows
            ],
            [
                ("Credits returned", invoice.name),
                ("Paid with credits", invoice.name),
                ("Opening credits", ""),
            ],
        )

    def test_history_queries_do_not_grow_with_the_history(self):
        """Same number of SQL queries per page with 5 or 57 entries, references included."""
        orders = self.customer_orders(self.contact, count=30)
        self.post(self.wallet, 1000.0, "Opening balance")
        for order in orders[:4]:
            self.post(self.wallet, -1.0, f"Order {order.name}", reference=order)
        self.authenticate("portal_ada", "portal_ada")
        small_first_page = self.count_queries("/my/credits")
        small_filtered = self.count_queries("/my/credits?date_from=2020-01-01&date_to=2099-12-31")

        for order in orders[4:]:
            self.post(self.wallet, -1.0, f"Order {order.name}", reference=order)
            self.post(self.wallet, 1.0, "Refill")
        self.assertEqual(self.wallet.entry_count, 57)
        large_first_page = self.count_queries("/my/credits")
        large_second_page = self.count_queries("/my/credits/page/2")
        large_filtered = self.count_queries("/my/credits?date_from=2020-01-01&date_to=2099-12-31")

        self.assertEqual(large_first_page, small_first_page)
        self.assertEqual(large_second_page, small_first_page)
        self.assertEqual(large_filtered, small_filtered)


@tagged("post_install", "-at_install")
class TestCreditPortalExport(CreditPortalCommon):
    def setUp(self):
        super().setUp()
        self.post(self.wallet, 100.0, "January top-up", when="2024-01-10 12:00:00")
        self.post(self.wallet, -40.0, FORMULA, when="2024-02-15 12:00:00")
        self.post(self.wallet, 15.0, "Goodwill, with comma", when="2024-03-20 12:00:00")
        self.authenticate("portal_ada", "portal_ada")

    def test_csv_export_holds_the_full_history_newest_first(self):
        response = self.url_open("/my/credits/export/csv")

        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.headers["Content-Type"], "text/csv; charset=utf-8")
        disposition = response.headers["Content-Disposition"]
        self.assertIn("attachment", disposition)
        self.assertRegex(disposition, r"credits-brightline-ltd-\d{4}-\d{2}-\d{2}\.csv")
        rows = list(csv.reader(io.StringIO(response.content.decode())))
        self.assertEqual(
            rows,
            [
                ["Date", "Type", "Reference", "Description", "Credits", "Running Balance"],
                ["2024-03-20 12:00:00", "In", "", "Goodwill, with comma", "15.00", "75.00"],
                [
                    "2024-02-15 12:00:00",
                    "Out",
                    "",
                    f"'{FORMULA}",
                    "-40.00",
                    "60.00",
                ],
                ["2024-01-10 12:00:00", "In", "", "January top-up", "100.00", "100.00"],
            ],
        )

    def test_csv_export_follows_the_date_filter(self):
        response = self.url_open("/my/credits/export/csv?date_from=2024-03-01&date_to=2024-01-01")

        rows = list(csv.reader(io.StringIO(response.content.decode())))
        self.assertEqual([row[3] for row in rows[1:]], [f"'{FORMULA}", "January top-up"])

    def test_csv_export_reads_by_batches(self):
        self.patch(export_controller, "EXPORT_BATCH_SIZE", 2)
        response = self.url_open("/my/credits/export/csv")

        rows = list(csv.reader(io.StringIO(response.content.decode())))
        self.assertEqual([row[5] for row in rows[1:]], ["75.00", "60.00", "100.00"])

    def test_xlsx_export_holds_the_same_rows(self):
        response = self.url_open("/my/credits/export/xlsx")

        self.assertEqual(response.status_code, 200)
        self.assertRegex(
            response.headers["Content-Disposition"], r"credits-brightline-ltd-[\d-]+\.xlsx"
        )
        sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
        rows = list(sheet.iter_rows(values_only=True))
        self.assertEqual(
            rows[0], ("Date", "Type", "Reference", "Description", "Credits", "Running Balance")
        )
        self.assertEqual(rows[1][:2], (datetime(2024, 3, 20, 12, 0), "In"))
        self.assertEqual(rows[2][3], FORMULA, "kept as text, not a formula")
        self.assertEqual([row[4:] for row in rows[1:]], [(15, 75), (-40, 60), (100, 100)])

    def test_unknown_export_format_is_not_found(self):
        self.assertEqual(self.url_open("/my/credits/export/pdf").status_code, 404)
        self.assertEqual(self.url_open("/my/credits/export/").status_code, 404)


@tagged("post_install", "-at_install")
class TestCreditPortalAccess(CreditPortalCommon):
    def setUp(self):
        super().setUp()
        self.adjust(self.wallet, 80.0, "Ada's secret project")
        self.adjust(self.other_wallet, 7.0, "Hugo's credits")

    def test_another_customer_gets_nothing_of_this_wallet(self):
        self.authenticate("portal_hugo", "portal_hugo")
        ada_args = f"wallet_id={self.wallet.id}&partner_id={self.customer.id}"

        for url in (
            "/my/credits",
            f"/my/credits?{ada_args}",
            f"/my/credits/page/1?{ada_args}",
        ):
            response = self.url_open(url)
            self.assertEqual(response.status_code, 200)
            self.assertNotIn("secret project", response.text, url)
            self.assertNotIn("80.00", response.text, url)
            self.assertIn("7.00", response.text, url)
        export = self.url_open(f"/my/credits/export/csv?{ada_args}")
        self.assertNotIn("secret project", export.text)
        self.assertIn("Hugo's credits", export.text)

    def test_public_visitor_is_sent_to_login(self):
        for url in ("/my/credits", "/my/credits/page/2", "/my/credits/export/csv"):
            response = self.url_open(url, allow_redirects=False)
            self.assertIn(response.status_code, (302, 303), url)
            self.assertIn("/web/login", response.headers["Location"], url)

    def test_page_view_creates_no_wallet(self):
        newcomer = self.env["res.partner"].create({"name": "Newcomer", "email": "new@co.test"})
        self.sign_in_new_portal_user("portal_new", newcomer)

        tree = self.get_page("/my/credits")

        self.assertIn("0.00", self.texts(tree, "//*[hasclass('o_credit_wallet_balance')]")[0])
        self.assertTrue(tree.xpath("//*[hasclass('o_credit_wallet_empty')]"))
        self.assertEqual(self.header_amounts(tree)[0], "0.00")
        self.assertEqual(self.url_open("/my/credits/export/csv").text.count("\n"), 1)
        self.assertFalse(self.env["credit.wallet"].search([("partner_id", "=", newcomer.id)]))


@tagged("post_install", "-at_install")
class TestCreditHeaderWidget(CreditPortalCommon):
    def setUp(self):
        super().setUp()
        self.adjust(self.wallet, 123.45, "Ada's credits")
        self.adjust(self.other_wallet, 6.78, "Hugo's credits")

    def test_widget_shows_each_user_their_own_balance_despite_the_header_cache(self):
        for url in ("/", "/my/credits", "/shop"):
            self.authenticate("portal_ada", "portal_ada")
            ada = self.get_page(url)
            self.authenticate("portal_hugo", "portal_hugo")
            hugo = self.get_page(url)

            self.assertEqual(set(self.header_amounts(ada)), {"123.45"}, url)
            self.assertEqual(set(self.header_amounts(hugo)), {"6.78"}, url)
            self.assertEqual(
                ada.xpath("//li[hasclass('o_credit_wallet_header')]/a/@href")[0], "/my/credits"
            )

    def test_widget_is_labelled_credits_with_a_tooltip(self):
        self.authenticate("portal_ada", "portal_ada")

        # the website's header and its mobile variant
        links = self.get_page("/").xpath("//a[hasclass('o_credit_wallet_header_link')]")

        self.assertTrue(links)
        for link in links:
            self.assertEqual(link.get("title"), "Your credit balance: prepaid credits to spend")
            self.assertEqual(link.xpath(".//i/@aria-label"), ["Credits"])
            # the word beside the amount, on wide screens
            [label] = link.xpath(".//*[hasclass('o_credit_wallet_header_label')]")
            self.assertEqual(label.text, "Credits")
            self.assertTrue({"d-none", "d-xl-inline"} <= set(label.get("class").split()))

    def test_no_widget_for_a_public_visitor(self):
        self.assertFalse(self.header_amounts(self.get_page("/")))

    def test_internal_user_sees_the_widget(self):
        self.authenticate("credit_user", "credit_user")
        self.assertEqual(set(self.header_amounts(self.get_page("/"))), {"0.00"})

    def test_tile_on_my_home_shows_the_balance(self):
        self.authenticate("portal_ada", "portal_ada")

        home = self.get_page("/my")
        counters = self.make_jsonrpc_request("/my/counters", {"counters": ["credit_balance"]})

        self.assertTrue(home.xpath("//a[@href='/my/credits']//*[@data-placeholder_count]"))
        self.assertEqual(counters["credit_balance"], "123.45 credits")

    def test_disabled_credit_payments_hide_everything_and_keep_the_balance(self):
        self.company.credit_payment_enabled = False
        self.authenticate("portal_ada", "portal_ada")

        home = self.get_page("/my")
        page = self.get_page("/my/credits")
        counters = self.make_jsonrpc_request("/my/counters", {"counters": ["credit_balance"]})
        export = self.url_open("/my/credits/export/csv", allow_redirects=False)

        self.assertFalse(self.header_amounts(self.get_page("/")))
        self.assertFalse(self.header_amounts(page))
        self.assertFalse(home.xpath("//a[@href='/my/credits']"))
        self.assertNotIn("credit_balance", counters)
        self.assertTrue(page.xpath("//*[hasclass('o_credit_wallet_disabled')]"))
        self.assertFalse(page.xpath("//tr[hasclass('o_credit_wallet_entry')]"))
        self.assertNotIn("123.45", page.text_content())
        self.assertIn(export.status_code, (302, 303))
        self.assertEqual(self.wallet.balance, 123.45)

        self.company.credit_payment_enabled = True
        self.assertEqual(set(self.header_amounts(self.get_page("/"))), {"123.45"})

    def test_no_widget_on_the_website_of_a_company_with_credits_disabled(self):
        """The website's company decides, even for a customer who may work in it too."""
        other_company = self.env["res.company"].create({"name": "No Credits Inc"})
        self.assertFalse(other_company.credit_payment_enabled)
        # Odoo picks the website by the request's host: this one answers on localhost
        self.env["website"].create(
            {"name": "No Credits Shop", "company_id": other_company.id, "domain": "localhost"}
        )
        self.portal_user.company_ids += other_company
        other_site = f"http://localhost:{self.http_port()}"
        self.authenticate("portal_ada", "portal_ada")

        self.assertFalse(self.header_amounts(self.get_page(f"{other_site}/")))
        self.assertTrue(
            self.get_page(f"{other_site}/my/credits").xpath(
                "//*[hasclass('o_credit_wallet_disabled')]"
            )
        )
        self.assertEqual(set(self.header_amounts(self.get_page("/"))), {"123.45"})
