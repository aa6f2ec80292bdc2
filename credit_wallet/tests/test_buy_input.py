import json

from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import CreditBuyPageCase

NOT_A_NUMBER = "Enter the number of credits as a number."
OUT_OF_BOUNDS = "Choose an amount between $\xa020.00 and $\xa0500.00."
TOO_PRECISE = "Enter an amount in steps of $\xa00.01."
NO_MATCH = "The amount to pay does not match the credits you chose."
NO_PACKAGE = "This credit package is not available."
BAD_TOKEN = "The access token is invalid."

# what a customer (or a script) may type in the amount field, and what the page answers
BAD_AMOUNTS = {
    "1e308": OUT_OF_BOUNDS,
    "-1e308": OUT_OF_BOUNDS,
    "1e309": OUT_OF_BOUNDS,  # infinite as a float, merely too large as a decimal
    "NaN": NOT_A_NUMBER,
    "nan": NOT_A_NUMBER,
    "sNaN": NOT_A_NUMBER,
    "inf": NOT_A_NUMBER,
    "-inf": NOT_A_NUMBER,
    "Infinity": NOT_A_NUMBER,
    "1e99999999999999999999": NOT_A_NUMBER,
    "-0": OUT_OF_BOUNDS,
    "0": OUT_OF_BOUNDS,
    "-50": OUT_OF_BOUNDS,
    "1e-20": OUT_OF_BOUNDS,
    "20.12345678901234567890": TOO_PRECISE,
    "20.125": TOO_PRECISE,
    "499.999": TOO_PRECISE,
    "": NOT_A_NUMBER,
    "abc": NOT_A_NUMBER,
    "0x20": NOT_A_NUMBER,
    "20,50": NOT_A_NUMBER,
}
BAD_PACKAGE_IDS = ["1e308", "-1", "0", "99999999999999999999", "abc", "1.5", "9" * 5000]


class CreditBuyInputCase(CreditBuyPageCase):
    def buy_page_error(self, **params):
        """The error the Buy Credits page shows, checking it offers no payment form."""
        page = self.open_buy_page(**params)
        self.assertFalse(page.xpath("//form[@id='o_payment_form']"), params)
        return page.xpath("string(//*[hasclass('o_credit_buy_error')])").strip()

    def post_json(self, route, body):
        """POST a raw JSON-RPC body: NaN and Infinity are sent as JavaScript would not."""
        with mute_logger("odoo.http"):
            return self.url_open(route, data=body, headers={"Content-Type": "application/json"})

    def rpc_body(self, params):
        return json.dumps({"jsonrpc": "2.0", "method": "call", "id": 1, "params": params})

    def assert_rpc_refused(self, route, params, message):
        with (
            self.assert_nothing_changed("a refused request changes nothing"),
            mute_logger("odoo.http"),
        ):
            answer = self.jsonrpc(route, params)
        self.assertNotIn("result", answer)
        self.assertEqual(answer["error"]["data"]["name"], "odoo.exceptions.ValidationError")
        self.assertEqual(answer["error"]["data"]["message"], message)


@tagged("post_install", "-at_install")
class TestBuyPageInput(CreditBuyInputCase):
    def test_bad_custom_amounts_show_a_message_and_create_nothing(self):
        with self.assert_nothing_changed():
            for amount, message in BAD_AMOUNTS.items():
                with self.subTest(amount=amount):
                    self.assertEqual(self.buy_page_error(amount=amount), message)

    def test_bad_package_ids_show_a_message_and_create_nothing(self):
        with self.assert_nothing_changed():
            for package_id in BAD_PACKAGE_IDS:
                with self.subTest(package_id=package_id[:30]):
                    self.assertEqual(self.buy_page_error(package_id=package_id), NO_PACKAGE)

    def test_an_exact_amount_with_trailing_zeros_is_the_amount(self):
        form = self.payment_form(amount="20.10000000000000000000")
        self.assertEqual(float(form["amount"]), 20.1)
        form = self.payment_form(amount=" 500 ")
        self.assertEqual(float(form["amount"]), 500.0)


@tagged("post_install", "-at_install")
class TestBuyTransactionInput(CreditBuyInputCase):
    def test_bad_custom_amounts_are_refused_by_the_transaction_route(self):
        form = self.payment_form(amount="50")
        route = form["transaction_route"]
        for amount, message in BAD_AMOUNTS.items():
            with self.subTest(amount=amount):
                self.assert_rpc_refused(
                    route, self.buy_transaction_params(form, amount=amount), message
                )
        for amount, message in (
            (1e308, OUT_OF_BOUNDS),
            (-1e308, OUT_OF_BOUNDS),
            (1e-20, OUT_OF_BOUNDS),
            (-0.0, OUT_OF_BOUNDS),
            (20.123, TOO_PRECISE),
            (True, NOT_A_NUMBER),
            (None, NOT_A_NUMBER),
            ([50], NOT_A_NUMBER),
            ({"value": 50}, NOT_A_NUMBER),
        ):
            with self.subTest(json_amount=amount):
                self.assert_rpc_refused(
                    route, self.buy_transaction_params(form, amount=amount), message
                )

    def test_json_nan_and_infinity_are_refused(self):
        form = self.payment_form(amount="50")
        for literal in ("NaN", "Infinity", "-Infinity"):
            for route in (form["transaction_route"], f"/my/credits/transaction/{self.package.id}"):
                with self.subTest(literal=literal, route=route):
                    body = self.rpc_body(self.buy_transaction_params(form, amount=0)).replace(
                        '"amount": 0', f'"amount": {literal}'
                    )
                    with self.assert_nothing_changed():
                        response = self.post_json(route, body)
                    self.assertEqual(response.status_code, 200)
                    error = response.json()["error"]["data"]
                    self.assertEqual(error["name"], "odoo.exceptions.ValidationError")
                    self.assertIn(error["message"], (NOT_A_NUMBER, NO_MATCH))

    def test_bad_amounts_sent_for_a_package_do_not_match_it(self):
        form = self.payment_form(package_id=self.package.id)
        route = form["transaction_route"]
        for amount in [*BAD_AMOUNTS, 1e308, -1e308, "100.00000000000000000001", "100.004"]:
            with self.subTest(amount=amount):
                self.assert_rpc_refused(
                    route, self.buy_transaction_params(form, amount=amount), NO_MATCH
                )

    def test_bad_package_ids_are_refused(self):
        form = self.payment_form(package_id=self.package.id)
        params = self.buy_transaction_params(form)
        for package_id in ["99999999999999999999", "0", "-1"]:
            with self.subTest(url_package_id=package_id):
                self.assert_rpc_refused(f"/my/credits/transaction/{package_id}", params, NO_PACKAGE)
        # the custom route reads a package from the body too
        for package_id in [*BAD_PACKAGE_IDS, 1e308, -1, 10**20, [1], {"id": 1}]:
            with self.subTest(body_package_id=str(package_id)[:30]):
                self.assert_rpc_refused(
                    "/my/credits/transaction/custom",
                    dict(params, package_id=package_id),
                    NO_PACKAGE,
                )
        for package_id in ("abc", "1e308", "1.5"):
            with self.subTest(unroutable=package_id), self.assert_nothing_changed():
                response = self.post_json(
                    f"/my/credits/transaction/{package_id}", self.rpc_body(params)
                )
                self.assertEqual(response.status_code, 404, (package_id, response.text[:300]))

    def test_malformed_access_tokens_are_invalid_tokens(self):
        form = self.payment_form(package_id=self.package.id)
        for token in ("é" * 64, 12345, None, ["token"], ""):
            with self.subTest(token=token):
                self.assert_rpc_refused(
                    form["transaction_route"],
                    self.buy_transaction_params(form, access_token=token),
                    BAD_TOKEN,
                )

    def test_exact_custom_amount_buys_that_many_credits(self):
        form = self.payment_form(amount="20.10000000000000000000")
        answer = self.jsonrpc(
            form["transaction_route"],
            self.buy_transaction_params(form, amount="20.10000000000000000000"),
        )
        self.assertIn("result", answer, answer.get("error"))
        tx = self.env["payment.transaction"].search(
            [("reference", "=", answer["result"]["reference"])]
        )
        self.assertRecordValues(tx, [{"amount": 20.1, "credit_amount": 20.1}])
        self.notify_demo(tx, "done")
        self.assertEqual(self.wallet.balance, 20.1)
        self.assert_invariants()
