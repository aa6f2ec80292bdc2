"""No number sent to a payment route ends in a server error.

Every transaction route (Odoo's and the add-on's), for Credits and for another provider, and
every page taking an amount, a page number or a date, answers numbers a browser never sends
with a message or a 404: nothing created, no credit moved, no document changed.
"""

import json
from urllib.parse import urlencode

from odoo.tests import tagged
from odoo.tools import mute_logger

from .test_buy_input import NO_MATCH, NOT_A_NUMBER, OUT_OF_BOUNDS, TOO_PRECISE
from .test_spend_portal import CreditTransactionRouteCase

# what a script may send as an amount instead of the number the payment form shows
BAD_AMOUNTS = [
    1e308,
    -1e308,
    "1e308",
    "-1e308",
    "NaN",
    "inf",
    "-0",
    -0.0,
    0,
    -100.0,
    1e-9,
    "1e-9",
    "100.00000000000000000001",
    0.12345678901234568,
    [100.0],
    {"amount": 100.0},
    True,
    "",
    "abc",
]
# literals JSON forbids and Python's json module reads anyway
JSON_LITERALS = ("NaN", "Infinity", "-Infinity")
# stands for the amount in a body where a literal replaces it
PLACEHOLDER = 424242.0
NOT_AN_AMOUNT = "The amount to pay is not a valid amount."
NOT_IN_CENTS = "The amount to pay must be in steps of $\xa00.01."
AMOUNT_REFUSALS = frozenset({NOT_AN_AMOUNT, NOT_IN_CENTS})
# what the server may answer: a message for the customer, never a crash
REFUSALS = {
    "odoo.exceptions.ValidationError",
    "odoo.exceptions.UserError",
    "odoo.exceptions.MissingError",
    "werkzeug.exceptions.NotFound",
}


class CreditNumbersCase(CreditTransactionRouteCase):
    def setUp(self):
        super().setUp()
        self.authenticate("portal_ada", "portal_ada")

    def demo_values(self, document, **values):
        """What the payment form posts when the customer picks the demo provider."""
        return self.form_values(
            document,
            provider_id=self.provider.id,
            payment_method_id=self.payment_method.id,
            flow="direct",
            credit_fingerprint=None,
            **values,
        )

    def post_rpc(self, url, params, literal=None):
        """The HTTP response to a JSON-RPC call, ``literal`` replacing PLACEHOLDER if given."""
        body = json.dumps({"jsonrpc": "2.0", "method": "call", "id": 1, "params": params})
        if literal:
            body = body.replace(str(PLACEHOLDER), literal)
        with mute_logger("odoo.http"):
            return self.url_open(url, data=body, headers={"Content-Type": "application/json"})

    def rpc_failure(self, url, params, literal=None, messages=None):
        """What went wrong when ``url`` got bad ``params``: an answer, a crash, a message other
        than ``messages``, a change in the books; None when it was refused as it should."""
        before = self.money_snapshot()
        response = self.post_rpc(url, params, literal)
        if response.status_code != 200:
            return f"HTTP {response.status_code}"
        answer = response.json()
        if "result" in answer:
            return "accepted"
        error = answer["error"]["data"]
        if error["name"] not in REFUSALS or not error["message"].strip():
            return f"{error['name']}: {error['message']}"
        if messages and error["message"] not in messages:
            return f"said {error['message']}"
        if self.money_snapshot() != before:
            return "changed the books"
        return None

    def assert_refused_everywhere(self, routes, values_of, messages=AMOUNT_REFUSALS, good=None):
        """Each bad amount on each route is refused with a message and changes nothing; then
        the same request with the ``good`` amount creates its transaction.

        :param routes: {label: url}
        :param values_of: callable (label, amount) -> the params sent
        :param messages: the messages expected, any when None
        """
        failures = []
        for label, url in routes.items():
            for amount in BAD_AMOUNTS:
                failure = self.rpc_failure(url, values_of(label, amount), messages=messages)
                if failure:
                    failures.append((label, amount, failure))
            for literal in JSON_LITERALS:
                failure = self.rpc_failure(url, values_of(label, PLACEHOLDER), literal, messages)
                if failure:
                    failures.append((label, literal, failure))
        self.assertEqual(failures, [])
        if good is None:
            return
        for label, url in routes.items():
            with self.subTest(route=label):
                transactions = self.env["payment.transaction"].search_count([])
                answer = self.post_rpc(url, values_of(label, good)).json()
                self.assertIn("result", answer, answer.get("error"))
                self.assertEqual(self.env["payment.transaction"].search_count([]), transactions + 1)


@tagged("post_install", "-at_install")
class TestTransactionRouteNumbers(CreditNumbersCase):
    def test_document_routes_refuse_bad_amounts_for_every_provider(self):
        routes = {
            f"{provider} {document.name}": (document, provider)
            for document in (self.order, self.invoice)
            for provider in ("demo", "credit")
        }

        def values_of(label, amount):
            document, provider = routes[label]
            values = self.form_values if provider == "credit" else self.demo_values
            return values(document, amount=amount)

        self.assert_refused_everywhere(
            {label: self.route_of(document) for label, (document, _p) in routes.items()},
            values_of,
            good=100.0,
        )
        self.assertEqual(self.wallet.balance, 250.0, "creating a payment debits nothing")

    def test_overdue_invoices_route_refuses_bad_amounts(self):
        # Odoo's overdue invoices page pays those addressed to the signed-in contact
        overdue = self.create_invoice(100.0, partner=self.contact, invoice_date_due="2020-01-01")
        values = self.demo_values(overdue, payment_reference=overdue.name)
        del values["access_token"]
        self.assert_refused_everywhere(
            {"overdue": "/invoice/transaction/overdue"},
            lambda _label, amount: {**values, "amount": amount},
            good=100.0,
        )

    def test_checkout_route_refuses_bad_amounts(self):
        for provider, values in (("demo", self.demo_values), ("credit", self.form_values)):
            cart = self.open_cart(self.service)
            self.assert_refused_everywhere(
                {provider: f"/shop/payment/transaction/{cart.id}"},
                lambda _label, amount, cart=cart, values=values: values(
                    cart, amount=amount, landing_route="/shop/payment/validate"
                ),
                # the checkout compares what is a number with the cart's total first
                {*AMOUNT_REFUSALS, "The cart has been updated. Please refresh the page."},
                good=100.0,
            )

    def test_generic_and_donation_routes_refuse_bad_amounts(self):
        partner, currency = self.contact, self.company.currency_id

        def values_of(label, amount):
            # the access token of the amount as Odoo reads it: only the amount is wrong
            try:
                token_amount = amount if isinstance(amount, bool) else float(amount)
            except (TypeError, ValueError):
                token_amount = amount
            values = {
                **self.demo_values(self.invoice, amount=amount),
                "landing_route": "/payment/confirmation",
                "currency_id": currency.id,
                "partner_id": partner.id,
                "access_token": self._generate_test_access_token(
                    partner.id, token_amount, currency.id
                ),
                "reference_prefix": "NUMBERS",
            }
            del values["credit_fingerprint"]
            if label == "donation":
                values.update(donation_comment="", donation_recipient_email="")
            return values

        self.assert_refused_everywhere(
            {"generic": "/payment/transaction", "donation": "/donation/transaction/0"},
            values_of,
            good=100.0,
        )
        for minimum in ("1e308", "NaN", "abc"):
            with self.subTest(minimum=minimum):
                self.assertIsNone(
                    self.rpc_failure(
                        f"/donation/transaction/{minimum}",
                        values_of("donation", 50.0),
                        messages={"The minimum donation is not a valid amount."},
                    )
                )

    def test_credit_purchase_routes_refuse_bad_amounts(self):
        self.allow_custom_amounts()
        self.assert_refused_everywhere(
            {
                "custom": "/my/credits/transaction/custom",
                "package": f"/my/credits/transaction/{self.package.id}",
            },
            lambda _label, amount: {
                "provider_id": self.provider.id,
                "payment_method_id": self.payment_method.id,
                "token_id": None,
                "amount": amount,
                "flow": "direct",
                "tokenization_requested": False,
                "landing_route": "/my/credits",
                "is_validation": False,
                "access_token": "x",
            },
            # the Buy Credits page's own messages (tests/test_buy_input.py)
            {NOT_A_NUMBER, OUT_OF_BOUNDS, TOO_PRECISE, NO_MATCH},
        )


@tagged("post_install", "-at_install")
class TestPageNumbers(CreditNumbersCase):
    def assert_page_answers(self, url, **params):
        """``url`` with ``params`` answers a page, a redirection or a 404 and changes nothing."""
        separator = "&" if "?" in url else "?"
        with self.assert_nothing_changed(), mute_logger("odoo.http"):
            response = self.url_open(f"{url}{separator}{urlencode(params)}", allow_redirects=False)
        self.assertIn(response.status_code, (200, 303, 404), (url, params))

    def test_pages_taking_amounts_pages_or_dates_answer_bad_numbers(self):
        self.allow_custom_amounts()
        amount_pages = [
            "/my/credits/buy",
            self.invoice.get_portal_url(),
            self.payment_link(self.invoice),
            self.payment_link(self.order),
            "/payment/pay",
            "/donation/pay",
        ]
        for value in ("1e308", "-1e308", "NaN", "inf", "-0", "1e-9", "1" * 400, "[1]", "true"):
            with self.subTest(value=value):
                for url in amount_pages:
                    self.assert_page_answers(url, amount=value)
                for url in ("/my/credits", "/my/credits/requests"):
                    self.assert_page_answers(url, page=value)
                for url in ("/my/credits", "/my/credits/export/csv"):
                    self.assert_page_answers(url, date_from=value)
                    self.assert_page_answers(url, date_to=value)
        self.assert_page_answers(f"/my/credits/page/{'9' * 30}")
        self.assert_page_answers(f"/my/credits/requests/page/{'9' * 30}")
