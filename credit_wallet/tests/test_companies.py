"""Each agency company sees and moves only its own money.

In the backend, A's credit manager and accountant (who work in A only) call every wizard and
action over JSON-RPC, as a script would, on B's records: each is refused before it reads or
moves anything of B, and works on A's. In the portal, the website decides: on B's website a
customer sees and buys B's credits (wallet, packages, providers, currency, requests),
whatever companies the customer's account works in.
"""

import csv
import io
import json
import re

from lxml import html

from odoo.tests import HttpCase, tagged
from odoo.tools import mute_logger

from .common import CreditRpcMixin, CreditTwoCompaniesCommon
from .test_request import CreditRequestCommon

ACCESS_ERROR = "odoo.exceptions.AccessError"


def onchange_spec(many2ones, others):
    """What a wizard's form asks onchange for: its many2ones (with their names) and the rest."""
    return {
        **{name: {"fields": {"display_name": {}}} for name in many2ones},
        **{name: {} for name in others},
    }


ADJUSTMENT_SPEC = onchange_spec(
    ("wallet_id", "company_id", "currency_id", "account_id"),
    ("balance", "direction", "amount", "reason"),
)
INVOICE_PAYMENT_SPEC = onchange_spec(
    ("invoice_id", "company_id", "currency_id", "partner_id"),
    ("amount_residual", "balance", "amount"),
)
ACCEPT_SPEC = onchange_spec(
    ("request_id", "company_id", "currency_id", "partner_id", "journal_id"),
    ("amount", "credit_amount"),
)
REJECT_SPEC = onchange_spec(("request_id", "company_id"), ("reason",))
REFUND_SPEC = onchange_spec(
    ("transaction_id", "company_id", "currency_id", "partner_id"),
    ("paid_amount", "amount", "reason"),
)


class CreditCompaniesCase(CreditRpcMixin, CreditTwoCompaniesCommon, CreditRequestCommon, HttpCase):
    """B's records of each kind: a credit purchase, a pending request, a posted invoice."""

    INVOICE_B_AMOUNT = 312.89

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.purchase_b = cls.create_credit_tx(cls, cls.package_b, provider=cls.provider_b)
        cls.notify_demo(cls, cls.purchase_b)
        # open_request calls other helpers through self, which a class is not
        cls.request_b = cls.open_class_request(cls.package_b, cls.transfer_b)
        cls.request_a = cls.open_class_request(cls.package, cls.transfer)
        cls.invoice_b = cls.create_customer_invoice(cls, cls.company_b, cls.INVOICE_B_AMOUNT)
        # what the wallet of B holds once its package is bought
        cls.wallet_b_balance = cls.WALLET_B_FUNDS + cls.PACKAGE_B_CREDITS

    @classmethod
    def open_class_request(cls, package, provider):
        """A wire transfer purchase of ``package``, confirmed by Ada: a pending request."""
        tx = cls.create_credit_tx(
            cls, package, provider=provider, payment_method_id=cls.transfer_method.id
        )
        cls.notify_custom(cls, tx)
        return cls.request_of(cls, tx)

    def b_figures(self):
        """B's amounts as a JSON answer would print them."""
        return [
            f"{amount:.2f}"
            for amount in (
                self.WALLET_B_FUNDS,
                self.wallet_b_balance,
                self.PACKAGE_B_PRICE,
                self.PACKAGE_B_CREDITS,
                self.INVOICE_B_AMOUNT,
            )
        ]

    def assert_refused(self, answer):
        """The call was refused for access, and its answer holds none of B's figures."""
        self.assertNotIn("result", answer, "refused calls answer nothing")
        error = answer["error"]["data"]
        self.assertEqual(error["name"], ACCESS_ERROR, error["message"])
        text = json.dumps(answer)
        for figure in self.b_figures():
            self.assertNotIn(figure, text)

    def each_a_user(self):
        """Sign in as A's credit manager, then as A's accountant: no books may move."""
        with self.assert_nothing_changed():
            for login in ("credit_manager", "accountant_a"):
                self.authenticate(login, login)
                yield login

    def call_refused(self, model, method, args, kwargs=None):
        with mute_logger("odoo.http"):
            self.assert_refused(self.call_kw(model, method, args, kwargs))

    def call_ok(self, model, method, args, kwargs=None):
        answer = self.call_kw(model, method, args, kwargs)
        self.assertIn("result", answer, answer.get("error"))
        return answer["result"]

    def open_wizard(self, model, spec, **defaults):
        """The values the form of ``model`` shows when opened with ``defaults``."""
        context = {f"default_{name}": value for name, value in defaults.items()}
        return self.call_ok(model, "onchange", [[], {}, [], spec], {"context": context})["value"]

    def refuse_wizard(self, model, spec, field_name, record, create_values):
        """Every way of opening ``model`` on ``record`` is refused: defaults, onchange, create."""
        self.call_refused(
            model, "onchange", [[], {}, [], spec], {"context": {f"default_{field_name}": record.id}}
        )
        for value in (record.id, {"id": record.id}, str(record.id)):
            self.call_refused(model, "onchange", [[], {field_name: value}, [field_name], spec])
        self.call_refused(model, "create", [{field_name: record.id, **create_values}])
        self.call_refused(
            model, "default_get", [list(spec)], {"context": {f"default_{field_name}": record.id}}
        )


@tagged("post_install", "-at_install")
class TestCreditWizardsStayInTheirCompany(CreditCompaniesCase):
    def test_adjusting_b_wallet_is_refused_and_shows_nothing(self):
        for login in self.each_a_user():
            with self.subTest(user=login):
                self.refuse_wizard(
                    "credit.wallet.adjustment",
                    ADJUSTMENT_SPEC,
                    "wallet_id",
                    self.wallet_b,
                    {"direction": "out", "amount": 44.0, "reason": "Moved from A"},
                )
                self.call_refused("credit.wallet", "action_open_adjustment", [[self.wallet_b.id]])
                self.call_refused("credit.wallet", "read", [[self.wallet_b.id], ["balance"]])

    def test_a_wizard_opened_on_a_cannot_be_moved_to_b(self):
        self.authenticate("credit_manager", "credit_manager")
        wizard_id = self.call_ok(
            "credit.wallet.adjustment",
            "create",
            [{"wallet_id": self.wallet.id, "direction": "out", "amount": 4.0, "reason": "Typo"}],
        )

        with self.assert_nothing_changed():
            self.call_refused(
                "credit.wallet.adjustment", "write", [[wizard_id], {"wallet_id": self.wallet_b.id}]
            )

    def test_a_manager_adjusts_a_wallet(self):
        self.authenticate("credit_manager", "credit_manager")

        action = self.call_ok("credit.wallet", "action_open_adjustment", [[self.wallet.id]])
        values = self.open_wizard(
            "credit.wallet.adjustment", ADJUSTMENT_SPEC, **action_defaults(action)
        )
        self.assertEqual(values["balance"], self.WALLET_A_FUNDS)
        self.assertEqual(values["account_id"]["id"], self.company.credit_adjustment_account_id.id)
        wizard_id = self.call_ok(
            "credit.wallet.adjustment",
            "create",
            [{"wallet_id": self.wallet.id, "direction": "out", "amount": 11.25, "reason": "Typo"}],
        )
        self.call_ok("credit.wallet.adjustment", "action_apply", [[wizard_id]])

        self.env.invalidate_all()
        self.assertEqual(self.wallet.balance, 50.0)
        self.assertEqual(self.wallet.entry_ids[:1].posted_by_id, self.manager)
        self.assert_invariants()

    def test_paying_b_invoice_with_credits_is_refused_and_shows_nothing(self):
        for login in self.each_a_user():
            with self.subTest(user=login):
                self.refuse_wizard(
                    "credit.invoice.payment",
                    INVOICE_PAYMENT_SPEC,
                    "invoice_id",
                    self.invoice_b,
                    {"amount": 100.0},
                )
                self.call_refused(
                    "account.move", "action_credit_pay_from_credits", [[self.invoice_b.id]]
                )

    def test_a_accountant_pays_a_invoice_with_credits(self):
        invoice = self.create_customer_invoice(self.company, 40.0)
        self.authenticate("accountant_a", "accountant_a")

        action = self.call_ok("account.move", "action_credit_open_payment", [[invoice.id]])
        values = self.open_wizard(
            "credit.invoice.payment", INVOICE_PAYMENT_SPEC, **action_defaults(action)
        )
        self.assertEqual((values["balance"], values["amount"]), (self.WALLET_A_FUNDS, 40.0))
        wizard_id = self.call_ok("credit.invoice.payment", "create", [{"invoice_id": invoice.id}])
        self.call_ok("credit.invoice.payment", "action_pay", [[wizard_id]])

        self.env.invalidate_all()
        self.assertEqual(invoice.payment_state, "paid")
        self.assertEqual(self.wallet.balance, 21.25)
        self.assert_invariants()

    def test_deciding_b_request_is_refused_and_shows_nothing(self):
        for login in self.each_a_user():
            with self.subTest(user=login):
                self.refuse_wizard(
                    "credit.request.accept", ACCEPT_SPEC, "request_id", self.request_b, {}
                )
                self.refuse_wizard(
                    "credit.request.reject",
                    REJECT_SPEC,
                    "request_id",
                    self.request_b,
                    {"reason": "Not ours"},
                )
                for method in ("action_open_accept", "action_open_reject"):
                    self.call_refused("credit.request", method, [[self.request_b.id]])

    def test_a_manager_accepts_a_request(self):
        self.authenticate("credit_manager", "credit_manager")

        action = self.call_ok("credit.request", "action_open_accept", [[self.request_a.id]])
        values = self.open_wizard("credit.request.accept", ACCEPT_SPEC, **action_defaults(action))
        self.assertEqual(values["journal_id"]["id"], self.transfer.journal_id.id)
        self.assertEqual(values["credit_amount"], self.package.credit_amount)
        wizard_id = self.call_ok(
            "credit.request.accept", "create", [{"request_id": self.request_a.id}]
        )
        self.call_ok("credit.request.accept", "action_accept", [[wizard_id]])

        self.env.invalidate_all()
        self.assertEqual(self.request_a.state, "accepted")
        self.assertEqual(self.wallet.balance, self.WALLET_A_FUNDS + self.package.credit_amount)
        self.assert_invariants()

    def test_refunding_b_purchase_is_refused_and_shows_nothing(self):
        for login in self.each_a_user():
            with self.subTest(user=login):
                self.refuse_wizard(
                    "credit.purchase.refund",
                    REFUND_SPEC,
                    "transaction_id",
                    self.purchase_b,
                    {"amount": 44.0, "reason": "Chargeback"},
                )
                self.call_refused(
                    "payment.transaction", "action_credit_grant", [[self.purchase_b.id]]
                )

    def test_a_manager_records_a_refund_of_a_purchase(self):
        purchase = self.create_credit_tx(self.package)
        self.notify_demo(purchase)
        self.authenticate("credit_manager", "credit_manager")

        action = self.call_ok("payment.transaction", "action_credit_open_refund", [[purchase.id]])
        values = self.open_wizard("credit.purchase.refund", REFUND_SPEC, **action_defaults(action))
        self.assertEqual((values["paid_amount"], values["amount"]), (100.0, 100.0))
        wizard_id = self.call_ok(
            "credit.purchase.refund",
            "create",
            [{"transaction_id": purchase.id, "amount": 40.0, "reason": "Chargeback"}],
        )
        self.call_ok("credit.purchase.refund", "action_record", [[wizard_id]])

        self.env.invalidate_all()
        self.assertEqual(self.wallet.balance, self.WALLET_A_FUNDS + 60.0)
        self.assert_invariants()

    def test_other_actions_on_b_records_are_refused(self):
        paid_b = self.create_customer_invoice(self.company_b, 100.0)
        paid_b._credit_pay(100.0)
        credit_note_b = paid_b._reverse_moves()
        credit_note_b.action_post()
        self.authenticate("credit_manager", "credit_manager")

        with self.assert_nothing_changed():
            self.call_refused(
                "credit.ledger.entry", "action_reverse", [self.wallet_b.entry_ids.ids]
            )
            self.call_refused("account.move", "action_credit_return", [[credit_note_b.id]])

        self.assert_invariants(self.company_b)


def action_defaults(action):
    """The wizard defaults an action opens its form with."""
    return {
        key.removeprefix("default_"): value
        for key, value in action["context"].items()
        if key.startswith("default_")
    }


class CreditPortalCompaniesCase(CreditCompaniesCase):
    """The portal read as a customer, on A's website (127.0.0.1) or B's (localhost)."""

    def site_a(self, path="/"):
        return f"{self.base_url()}{path}"

    def get_page(self, url):
        response = self.url_open(url)
        self.assertEqual(response.status_code, 200, url)
        return html.fromstring(response.content)

    def texts(self, tree, xpath):
        return [" ".join(node.text_content().split()) for node in tree.xpath(xpath)]

    def credits(self, company, credits):
        """``credits`` as the header says them ("61.25") and as the page does ("61.25
        credits"), in ``company``'s precision."""
        return company._credit_format_number(credits), company._credit_format(credits)

    def header_amounts(self, tree):
        return set(self.texts(tree, "//*[hasclass('o_credit_wallet_header_amount')]"))

    def history_descriptions(self, tree):
        return self.texts(tree, "//td[hasclass('o_credit_wallet_description')]")

    def export_descriptions(self, url):
        response = self.url_open(url)
        self.assertEqual(response.status_code, 200, url)
        return [row[3] for row in list(csv.reader(io.StringIO(response.content.decode())))[1:]]

    def request_references(self, url):
        tree = self.get_page(url)
        return self.texts(tree, "//*[hasclass('o_credit_request_reference')]")

    def payment_form(self, url):
        forms = self.get_page(url).xpath("//form[@id='o_payment_form']")
        self.assertEqual(len(forms), 1, url)
        return {
            "amount": forms[0].get("data-amount"),
            "currency_id": forms[0].get("data-currency-id"),
            "transaction_route": forms[0].get("data-transaction-route"),
            "access_token": forms[0].get("data-access-token"),
            "provider_ids": {
                int(provider_id)
                for provider_id in forms[0].xpath(
                    ".//input[@name='o_payment_radio']/@data-provider-id"
                )
            },
        }


@tagged("post_install", "-at_install")
class TestCreditPortalFollowsTheWebsite(CreditPortalCompaniesCase):
    def test_each_website_shows_its_company_wallet(self):
        """Ada works in A and B, A first: each website shows its own company's credits."""
        self.authenticate("portal_ada", "portal_ada")
        for site, balance, company, own, other in (
            (
                self.site_a,
                self.WALLET_A_FUNDS,
                self.company,
                "Agency A opening",
                "Agency B opening",
            ),
            (
                self.site_b,
                self.wallet_b_balance,
                self.company_b,
                "Agency B opening",
                "Agency A opening",
            ),
        ):
            with self.subTest(site=site("/")):
                # the header says the number beside the word Credits; the page and the tile
                # say "61.25 credits"
                number, expected = self.credits(company, balance)
                page = self.get_page(site("/my/credits"))
                self.assertEqual(self.header_amounts(self.get_page(site("/"))), {number})
                self.assertEqual(self.header_amounts(page), {number})
                self.assertEqual(
                    self.texts(page, "//*[hasclass('o_credit_wallet_balance')]"), [expected]
                )
                self.assertIn(f"Adjustment: {own}", self.history_descriptions(page))
                self.assertNotIn(f"Adjustment: {other}", self.history_descriptions(page))
                counters = self.jsonrpc(site("/my/counters"), {"counters": ["credit_balance"]})[
                    "result"
                ]
                self.assertEqual(" ".join(counters["credit_balance"].split()), expected)
                exported = self.export_descriptions(site("/my/credits/export/csv"))
                self.assertIn(f"Adjustment: {own}", exported)
                self.assertNotIn(f"Adjustment: {other}", exported)

    def test_a_customer_not_working_in_b_sees_b_empty_wallet_there(self):
        self.adjust(self.other_wallet, 58.64, "Hugo's credits in A")
        self.authenticate("portal_hugo", "portal_hugo")

        page = self.get_page(self.site_b("/my/credits"))

        number, empty = self.credits(self.company_b, 0.0)
        self.assertEqual(self.header_amounts(self.get_page(self.site_b("/"))), {number})
        self.assertEqual(self.header_amounts(page), {number})
        self.assertEqual(self.texts(page, "//*[hasclass('o_credit_wallet_balance')]"), [empty])
        self.assertFalse(self.history_descriptions(page))
        self.assertNotIn("58.64", page.text_content())
        self.assertEqual(self.export_descriptions(self.site_b("/my/credits/export/csv")), [])
        self.assertEqual(self.request_references(self.site_b("/my/credits/requests")), [])
        buy_page = self.get_page(self.site_b("/my/credits/buy"))
        self.assertEqual(
            self.texts(buy_page, "//*[hasclass('o_credit_package_name')]"), ["Agency B Pack"]
        )
        self.assertEqual(
            self.header_amounts(self.get_page(self.site_a("/"))),
            {self.credits(self.company, 58.64)[0]},
        )

    def test_requests_page_lists_the_website_company_requests(self):
        self.authenticate("portal_ada", "portal_ada")

        self.assertEqual(
            self.request_references(self.site_a("/my/credits/requests")),
            [self.request_a.transaction_reference],
        )
        self.assertEqual(
            self.request_references(self.site_b("/my/credits/requests")),
            [self.request_b.transaction_reference],
        )

    def test_proof_goes_to_a_request_of_the_website_company_only(self):
        self.authenticate("portal_ada", "portal_ada")
        for site, credit_request, status in (
            (self.site_a, self.request_b, 404),
            (self.site_b, self.request_b, 303),
        ):
            with self.subTest(site=site("/")), mute_logger("odoo.http"):
                page = self.url_open(site("/my/credits/requests"))
                csrf_token = re.search(r'csrf_token: "([^"]+)"', page.text).group(1)
                response = self.opener.post(
                    site(f"/my/credits/requests/{credit_request.id}/proof"),
                    data={"csrf_token": csrf_token},
                    files={"proof": ("receipt.pdf", b"%PDF-1.4 receipt", "application/pdf")},
                    allow_redirects=False,
                    timeout=60,
                )
                self.assertEqual(response.status_code, status, response.text[:300])
        self.env.invalidate_all()
        self.assertEqual(self.request_b.proof_count, 1)
        self.assertEqual(self.request_a.proof_count, 0)


@tagged("post_install", "-at_install")
class TestCreditBuyingFollowsTheWebsite(CreditPortalCompaniesCase):
    def test_b_website_sells_b_packages_through_b_providers_in_euros(self):
        self.authenticate("portal_ada", "portal_ada")

        buy_page = self.get_page(self.site_b("/my/credits/buy"))
        form = self.payment_form(self.site_b(f"/my/credits/buy?package_id={self.package_b.id}"))

        self.assertEqual(
            self.texts(buy_page, "//*[hasclass('o_credit_package_name')]"), ["Agency B Pack"]
        )
        self.assertEqual(int(form["currency_id"]), self.euro.id)
        self.assertEqual(float(form["amount"]), self.PACKAGE_B_PRICE)
        self.assertIn(self.provider_b.id, form["provider_ids"])
        offered = self.env["payment.provider"].browse(form["provider_ids"])
        self.assertEqual(offered.company_id, self.company_b)

    def test_a_purchase_on_b_website_credits_b_wallet_through_b_books(self):
        wallet_a_before = self.wallet.balance
        self.authenticate("portal_ada", "portal_ada")
        form = self.payment_form(self.site_b(f"/my/credits/buy?package_id={self.package_b.id}"))

        answer = self.jsonrpc(
            self.site_b(form["transaction_route"]),
            self.buy_transaction_params(
                form, provider_id=self.provider_b.id, amount=float(form["amount"])
            ),
        )
        self.assertIn("result", answer, answer.get("error"))
        tx = self.env["payment.transaction"].search(
            [("reference", "=", answer["result"]["reference"])]
        )
        self.notify_demo(tx)

        self.env.invalidate_all()
        self.assertRecordValues(
            tx,
            [
                {
                    "state": "done",
                    "company_id": self.company_b.id,
                    "provider_id": self.provider_b.id,
                    "currency_id": self.euro.id,
                    "credit_wallet_id": self.wallet_b.id,
                    "amount": self.PACKAGE_B_PRICE,
                }
            ],
        )
        self.assertAlmostEqual(
            self.wallet_b.balance, self.wallet_b_balance + self.PACKAGE_B_CREDITS, places=2
        )
        self.assertEqual(self.wallet.balance, wallet_a_before)
        self.assertEqual(tx.payment_id.journal_id, self.provider_b.journal_id)
        self.assertEqual(tx.payment_id.company_id, self.company_b)
        self.assert_invariants(self.company_b)
        self.assert_invariants()

    def test_a_website_does_not_sell_b_package(self):
        self.authenticate("portal_ada", "portal_ada")
        form = self.payment_form(self.site_b(f"/my/credits/buy?package_id={self.package_b.id}"))

        with self.assert_nothing_changed(), mute_logger("odoo.http"):
            answer = self.jsonrpc(
                self.site_a(form["transaction_route"]),
                self.buy_transaction_params(
                    form, provider_id=self.provider_b.id, amount=float(form["amount"])
                ),
            )

        self.assertEqual(
            answer["error"]["data"]["message"], "This credit package is not available."
        )
