"""Paying with credits from the portal, over HTTP as a customer's browser would.

Where the Credits option appears (checkout, quotation, invoice, payment links) and where it
never does; then what the transaction routes and the processing route let through when the
requests are forged instead of sent by the payment form.
"""

from urllib.parse import urlencode, urlsplit

from lxml import html

from odoo import Command
from odoo.http import root
from odoo.tests import HttpCase, tagged
from odoo.tools import mute_logger

from .common import CreditRpcMixin, CreditSpendCommon, CreditTopupCommon

CREDIT_RADIO = "//input[@name='o_payment_radio'][@data-provider-code='credit']"
DEMO_RADIO = "//input[@name='o_payment_radio'][@data-provider-code='demo']"
CREDIT_PROCESS_URL = "/payment/credit/process"


class CreditSpendPortalCase(CreditRpcMixin, CreditSpendCommon, CreditTopupCommon, HttpCase):
    """The website sells for the test company, whose customers have complete addresses.

    payment_demo's provider stays on every payment form: a form that lists it but not Credits
    shows that Credits was left out, not that the form was missing.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sell_on_the_website()
        cls.provider.allow_tokenization = True  # so that /my/payment_method shows a form
        cls.workshop = cls.env["product.product"].create(
            {
                "name": "Onsite Workshop",
                "type": "service",
                "list_price": 60.0,
                "invoice_policy": "order",
                "is_published": True,
                "taxes_id": [Command.clear()],
            }
        )

    def setUp(self):
        super().setUp()
        self.adjust(self.wallet, 250.0)
        self.order = self.quotation()
        self.invoice = self.create_invoice(100.0)

    # -------------------------------------------------------------------------
    # Documents and links
    # -------------------------------------------------------------------------

    def quotation(self, products=None, partner=None, **values):
        """A quotation the customer pays online without signing first."""
        return self.create_quotation(products, partner, require_signature=False, **values)

    def open_cart(self, products, login="portal_ada", partner=None, **values):
        """Sign in as ``login`` (the public user when None) with a cart holding ``products``."""
        session = self.authenticate(login, login)
        cart = self.env["sale.order"].create(
            {
                "partner_id": (partner or self.contact).id,
                "website_id": self.website.id,
                "order_line": [Command.create({"product_id": product.id}) for product in products],
                **values,
            }
        )
        session["sale_order_id"] = cart.id
        root.session_store.save(session)
        return cart

    def payment_link(self, document, amount=None):
        """The /payment/pay link of ``document`` the salesperson sends to the customer."""
        amount = document._credit_amount_due() if amount is None else amount
        if document._name == "sale.order":
            key, partner = "sale_order_id", document.partner_invoice_id
        else:
            key, partner = "invoice_id", document.partner_id
        query = {
            key: document.id,
            "amount": amount,
            "access_token": self._generate_test_access_token(
                partner.id, amount, document.currency_id.id
            ),
        }
        return f"/payment/pay?{urlencode(query)}"

    def document_pages(self, order, invoice):
        """Every page of ``order`` and ``invoice`` with a payment form, checkout excluded."""
        return {
            "quotation page": order.get_portal_url(),
            "order payment link": self.payment_link(order),
            "invoice page": invoice.get_portal_url(),
            "invoice payment link": self.payment_link(invoice),
        }

    # -------------------------------------------------------------------------
    # Reading a payment form
    # -------------------------------------------------------------------------

    def payment_form(self, url):
        """The page at ``url``, checked to be that page with a payment form on it."""
        response = self.url_open(url)
        self.assertEqual(response.status_code, 200, url)
        self.assertEqual(urlsplit(response.url).path, urlsplit(url).path, f"{url} redirected")
        tree = html.fromstring(response.content)
        self.assertTrue(tree.xpath(DEMO_RADIO), f"no payment form on {url}")
        return tree

    def credit_offer(self, url):
        """(balance, credits taken and balance after payment, fingerprint) shown beside
        Credits, or None."""
        tree = self.payment_form(url)
        radios = tree.xpath(CREDIT_RADIO)
        options = tree.xpath("//*[hasclass('o_credit_payment_option')]")
        if not radios:
            self.assertFalse(options, url)
            return None
        self.assertEqual((len(radios), len(options)), (1, 1), url)
        option = options[0]

        def text(css_class):
            return " ".join(option.xpath(f"string(.//*[hasclass('{css_class}')])").split())

        return (
            text("o_credit_payment_balance"),
            f"{text('o_credit_payment_credits')}, {text('o_credit_payment_balance_after')} left",
            option.get("data-credit-fingerprint"),
        )

    def assert_credits_hidden(self, pages):
        for name, url in pages.items():
            with self.subTest(page=name):
                self.assertIsNone(self.credit_offer(url), f"Credits offered on the {name}")


@tagged("post_install", "-at_install")
class TestCreditPaymentOption(CreditSpendPortalCase):
    def test_every_document_page_offers_credits_with_balance_and_balance_after(self):
        cart = self.open_cart(self.service)
        pages = {
            "checkout": ("/shop/payment", cart),
            "quotation page": (self.order.get_portal_url(), self.order),
            "order payment link": (self.payment_link(self.order), self.order),
            "invoice page": (self.invoice.get_portal_url(), self.invoice),
            "invoice payment link": (self.payment_link(self.invoice), self.invoice),
        }

        for name, (url, document) in pages.items():
            with self.subTest(page=name):
                self.assertEqual(
                    self.credit_offer(url),
                    (
                        "250.00 credits",
                        "100.00 credits, 150.00 left",
                        document._credit_fingerprint(),
                    ),
                )
        self.assertEqual(self.wallet.balance, 250.0, "showing the option debits nothing")

    def test_hidden_when_credit_payments_are_off_for_the_company(self):
        self.open_cart(self.service)
        self.company.credit_payment_enabled = False

        self.assert_credits_hidden(
            {"checkout": "/shop/payment"} | self.document_pages(self.order, self.invoice)
        )

    def test_hidden_on_documents_of_another_customer(self):
        self.adjust(self.other_wallet, 500.0)
        self.authenticate("portal_hugo", "portal_hugo")

        # Ada's quotation and invoice, opened by Hugo with their links
        self.assert_credits_hidden(self.document_pages(self.order, self.invoice))
        hugo_order = self.quotation(partner=self.other_contact)
        self.assertEqual(
            self.credit_offer(hugo_order.get_portal_url())[:2],
            ("500.00 credits", "100.00 credits, 400.00 left"),
        )

    def test_hidden_on_documents_in_another_currency(self):
        euro = self.setup_other_currency("EUR")
        euro_pricelist = self.env["product.pricelist"].create(
            {"name": "Euro", "currency_id": euro.id, "company_id": self.company.id}
        )
        order = self.quotation(pricelist_id=euro_pricelist.id)
        invoice = self.create_invoice(100.0, currency_id=euro.id)
        self.assertEqual((order.currency_id, invoice.currency_id), (euro, euro))
        self.open_cart(self.service, pricelist_id=euro_pricelist.id)

        self.assert_credits_hidden(
            {"checkout": "/shop/payment"} | self.document_pages(order, invoice)
        )

    def test_hidden_unless_the_balance_covers_the_whole_amount_due(self):
        with self.subTest(case="payment link for part of the amount due"):
            self.authenticate("portal_ada", "portal_ada")
            self.assert_credits_hidden(
                {
                    "order link": self.payment_link(self.order, amount=50.0),
                    "invoice link": self.payment_link(self.invoice, amount=50.0),
                }
            )

        self.adjust(self.wallet, -150.01)
        self.assertEqual(self.wallet.balance, 99.99)
        self.open_cart(self.service)
        self.assert_credits_hidden(
            {"checkout": "/shop/payment"} | self.document_pages(self.order, self.invoice)
        )

    def test_hidden_when_an_order_holds_a_product_not_payable_with_credits(self):
        order = self.quotation(self.service | self.workshop)
        self.assertEqual(order.amount_total, 160.0)
        self.open_cart(self.service | self.workshop)

        self.assert_credits_hidden(
            {
                "checkout": "/shop/payment",
                "quotation page": order.get_portal_url(),
                "order payment link": self.payment_link(order),
            }
        )

    def test_hidden_for_a_visitor_who_is_not_signed_in(self):
        # a guest checkout with the customer's own contact as buyer
        self.open_cart(self.service, login=None)

        self.assert_credits_hidden(
            {"checkout": "/shop/payment"} | self.document_pages(self.order, self.invoice)
        )

    def test_never_offered_where_no_order_or_invoice_is_paid(self):
        # /my/invoices/overdue pays the overdue invoices addressed to the contact, together
        self.create_invoice(
            100.0,
            partner=self.contact,
            invoice_payment_term_id=False,
            invoice_date_due="2020-01-31",
        )
        self.allow_custom_amounts(10.0, 1000.0)
        self.authenticate("portal_ada", "portal_ada")
        partner, currency = self.contact, self.company.currency_id

        def donation_link(document):
            return self.payment_link(document).replace("/payment/pay", "/donation/pay", 1)

        self.assert_credits_hidden(
            {
                "buy credits": f"/my/credits/buy?package_id={self.package.id}",
                "buy a custom amount": "/my/credits/buy?amount=100",
                "donation": "/donation/pay?amount=100",
                # the donation form takes the payment link's parameters, a document's too
                "donation naming an order": donation_link(self.order),
                "donation naming an invoice": donation_link(self.invoice),
                "payment methods": "/my/payment_method",
                "overdue invoices": "/my/invoices/overdue",
                "payment link without a document": "/payment/pay?"
                + urlencode(
                    {
                        "amount": 100.0,
                        "partner_id": partner.id,
                        "currency_id": currency.id,
                        "access_token": self._generate_test_access_token(
                            partner.id, 100.0, currency.id
                        ),
                    }
                ),
            }
        )


class CreditTransactionRouteCase(CreditSpendPortalCase):
    """Call the transaction routes with the values the payment form sends, or forged ones."""

    def setUp(self):
        super().setUp()
        self.adjust(self.other_wallet, 500.0)

    def route_of(self, document):
        if document._name == "sale.order":
            return f"/my/orders/{document.id}/transaction"
        return f"/invoice/transaction/{document.id}"

    def form_values(self, document, **values):
        """What the payment form posts when the customer picks Credits for ``document``."""
        return {
            "provider_id": self.credit_provider.id,
            "payment_method_id": self.credit_method.id,
            "token_id": None,
            "amount": document._credit_amount_due(),
            "flow": "redirect",
            "tokenization_requested": False,
            "landing_route": document.get_portal_url(),
            "is_validation": False,
            "access_token": document._portal_ensure_token(),
            "credit_fingerprint": document._credit_fingerprint(),
            **values,
        }

    def assert_refused(self, url, params, message):
        """The route answers ``message`` and nothing moved: no payment, no credit, no state."""
        with self.assert_nothing_changed(), mute_logger("odoo.http"):
            result, error = self.call_route(url, params)
        self.assertIsNone(result)
        self.assertIn(message, error or "")

    def start_payment(self, document, **values):
        """Create the credit transaction through the route; return its redirect form."""
        result, error = self.call_route(
            self.route_of(document), self.form_values(document, **values)
        )
        self.assertFalse(error)
        form = html.fromstring(result["redirect_form_html"])
        self.assertEqual(form.get("action"), CREDIT_PROCESS_URL)
        return dict(form.form_values())

    def submit(self, form_data):
        """Post the redirect form as the browser does, without following the redirection."""
        return self.url_open(CREDIT_PROCESS_URL, data=form_data, allow_redirects=False)


@tagged("post_install", "-at_install")
class TestCreditTransactionRefusals(CreditTransactionRouteCase):
    def setUp(self):
        super().setUp()
        self.authenticate("portal_ada", "portal_ada")

    def test_tampered_amount_is_refused(self):
        for document in (self.order, self.invoice):
            for amount, message in (
                (1.0, "The amount to pay no longer matches"),
                (99.99, "The amount to pay no longer matches"),
                (100.01, "The amount to pay no longer matches"),
                # no amount to pay at all, whatever the provider (tests/test_numbers.py)
                (0.0, "The amount to pay is not a valid amount."),
                (-100.0, "The amount to pay is not a valid amount."),
            ):
                with self.subTest(document=document.name, amount=amount):
                    self.assert_refused(
                        self.route_of(document), self.form_values(document, amount=amount), message
                    )

    def test_another_customers_order_or_invoice_is_refused(self):
        hugo_order = self.quotation(partner=self.other_contact)
        hugo_invoice = self.create_invoice(100.0, partner=self.other_customer)

        for document in (hugo_order, hugo_invoice):
            with self.subTest(document=document.name):
                # with the document's own link token, as if it leaked
                self.assert_refused(
                    self.route_of(document),
                    self.form_values(document),
                    f"{document.display_name} belongs to another customer.",
                )

    def test_paid_or_cancelled_invoice_is_refused(self):
        values_before_payment = self.form_values(self.invoice)
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=self.invoice.ids
        ).create({})._create_payments()
        self.assertEqual(self.invoice.payment_state, "paid")
        cancelled = self.create_invoice(100.0)
        values_before_cancel = self.form_values(cancelled)
        cancelled.button_draft()
        cancelled.button_cancel()

        self.assert_refused(
            self.route_of(self.invoice),
            values_before_payment,
            f"{self.invoice.display_name} is already paid.",
        )
        self.assert_refused(
            self.route_of(cancelled),
            values_before_cancel,
            f"{cancelled.display_name} is cancelled.",
        )

    def test_wrong_or_missing_fingerprint_is_refused(self):
        changed = "changed since the page was shown: refresh the page."
        for document in (self.order, self.invoice):
            for fingerprint in ("0" * 64, "", None):
                with self.subTest(document=document.name, fingerprint=fingerprint):
                    self.assert_refused(
                        self.route_of(document),
                        self.form_values(document, credit_fingerprint=fingerprint),
                        changed,
                    )
            with self.subTest(document=document.name, fingerprint="not sent"):
                values = self.form_values(document)
                del values["credit_fingerprint"]
                self.assert_refused(self.route_of(document), values, changed)

        # the quantity changed after the page was shown; the amount sent follows it
        shown = self.form_values(self.order)
        self.order.order_line.product_uom_qty = 2
        self.assert_refused(
            self.route_of(self.order),
            {**shown, "amount": 200.0},
            f"{self.order.display_name} {changed}",
        )

    def test_product_not_payable_with_credits_added_after_the_page_is_refused(self):
        shown = self.form_values(self.order)
        self.order.order_line = [Command.create({"product_id": self.flyers.id})]

        for amount in (100.0, 140.0):
            with self.subTest(amount=amount):
                self.assert_refused(
                    self.route_of(self.order),
                    {**shown, "amount": amount},
                    "Printed Flyers cannot be paid with credits.",
                )

    def test_refused_once_credit_payments_are_turned_off(self):
        self.company.credit_payment_enabled = False

        for document in (self.order, self.invoice):
            with self.subTest(document=document.name):
                self.assert_refused(
                    self.route_of(document),
                    self.form_values(document),
                    f"Credit payments are not available for {self.company.name}.",
                )

    def test_refused_when_the_balance_no_longer_covers_the_amount(self):
        shown = {document: self.form_values(document) for document in (self.order, self.invoice)}
        self.adjust(self.wallet, -200.0)

        for document, values in shown.items():
            with self.subTest(document=document.name):
                self.assert_refused(
                    self.route_of(document),
                    values,
                    "Your balance of 50.00 credits does not cover 100.00 credits.",
                )

    def test_flows_other_than_redirect_are_refused(self):
        for document in (self.order, self.invoice):
            for values in ({"flow": "direct"}, {"flow": "redirect", "is_validation": True}):
                with self.subTest(document=document.name, **values):
                    self.assert_refused(
                        self.route_of(document),
                        self.form_values(document, **values),
                        "Credits are spent from the payment form of an order or an invoice.",
                    )

    def test_token_flow_is_refused_even_with_a_token_of_the_credits_provider(self):
        # customers cannot save Credits as a token; a back-office one must not pay either
        token = self._create_token(
            provider_id=self.credit_provider.id,
            payment_method_id=self.credit_method.id,
            partner_id=self.contact.id,
            provider_ref="forged",
        )
        for document in (self.order, self.invoice):
            for token_id, message in (
                (token.id, "Credits are spent from the payment form of an order or an invoice."),
                (None, "You do not have access to this payment token."),
            ):
                with self.subTest(document=document.name, token_id=token_id):
                    self.assert_refused(
                        self.route_of(document),
                        self.form_values(document, flow="token", token_id=token_id),
                        message,
                    )

    def test_payment_method_of_another_provider_is_refused(self):
        for document in (self.order, self.invoice):
            with self.subTest(document=document.name):
                self.assert_refused(
                    self.route_of(document),
                    self.form_values(document, payment_method_id=self.payment_method.id),
                    "This payment method is not available.",
                )

    def test_generic_transaction_route_without_a_document_is_refused(self):
        partner, currency = self.contact, self.company.currency_id
        self.assert_refused(
            "/payment/transaction",
            {
                **self.form_values(self.order),
                "landing_route": "/payment/confirmation",
                "currency_id": currency.id,
                "partner_id": partner.id,
                "access_token": self._generate_test_access_token(partner.id, 100.0, currency.id),
                "reference_prefix": self.order.name,
            },
            "Credits pay an order or an invoice only.",
        )

    def test_donation_route_is_refused(self):
        partner, currency = self.contact, self.company.currency_id

        self.assert_refused(
            "/donation/transaction/0",
            {
                **self.form_values(self.order),
                "landing_route": "/payment/confirmation",
                "currency_id": currency.id,
                "partner_id": partner.id,
                "access_token": self._generate_test_access_token(partner.id, 100.0, currency.id),
                "reference_prefix": self.order.name,
                "donation_comment": "",
                "donation_recipient_email": "",
                "partner_details": {
                    "name": partner.name,
                    "email": partner.email,
                    "country_id": partner.country_id.id,
                },
            },
            "Credits pay an order or an invoice only.",
        )

    def test_visitor_who_is_not_signed_in_is_refused(self):
        self.authenticate(None, None)

        for document in (self.order, self.invoice):
            with self.subTest(document=document.name):
                self.assert_refused(
                    self.route_of(document),
                    self.form_values(document),
                    "Sign in to pay with your credits.",
                )

    def test_checkout_route_refuses_a_cart_changed_since_the_page(self):
        cart = self.open_cart(self.service)
        shown = self.form_values(cart, landing_route="/shop/payment/validate")
        cart.order_line = [Command.create({"product_id": self.workshop.id})]

        self.assert_refused(
            f"/shop/payment/transaction/{cart.id}",
            {**shown, "amount": 160.0},
            "Onsite Workshop cannot be paid with credits.",
        )


@tagged("post_install", "-at_install")
class TestCreditPaymentThroughTheRoutes(CreditTransactionRouteCase):
    def test_quotation_paid_with_credits_is_confirmed_once_despite_a_double_submit(self):
        self.authenticate("portal_ada", "portal_ada")
        form_data = self.start_payment(self.order)

        self.assertEqual(set(form_data), {"reference", "csrf_token"})
        self.assertEqual(self.wallet.balance, 250.0, "creating the payment debits nothing")
        response = self.submit(form_data)
        self.assertEqual(response.status_code, 303)
        self.assertEqual(urlsplit(response.headers["Location"]).path, "/payment/status")
        self.assertEqual(self.url_open(response.headers["Location"]).status_code, 200)

        self.assertEqual(self.order.state, "sale")
        self.assertEqual(self.order.amount_paid, 100.0)
        tx = self.assert_paid_with_credits(self.order, 150.0)
        self.assertEqual(tx.sale_order_ids, self.order)

        second = self.submit(form_data)
        self.assertEqual(urlsplit(second.headers["Location"]).path, "/payment/status")
        self.assert_paid_with_credits(self.order, 150.0)

    def test_invoice_paid_with_credits_through_its_route(self):
        self.authenticate("portal_ada", "portal_ada")

        self.submit(self.start_payment(self.invoice))

        self.assertEqual(self.invoice.payment_state, "paid")
        tx = self.assert_paid_with_credits(self.invoice, 150.0)
        self.assertEqual(tx.invoice_ids, self.invoice)
        # the payment settles the invoice's receivable
        self.assertTrue(
            self.invoice.line_ids.filtered(
                lambda line: line.account_id == self.receivable
            ).full_reconcile_id
        )

    def test_processing_someone_elses_payment_is_not_found(self):
        self.authenticate("portal_ada", "portal_ada")
        ada_form = self.start_payment(self.order)
        self.authenticate("portal_hugo", "portal_hugo")
        hugo_form = self.start_payment(self.quotation(partner=self.other_contact))

        # Hugo posts Ada's reference with his own session's CSRF token
        with self.assert_nothing_changed(), mute_logger("odoo.http"):
            response = self.submit({**ada_form, "csrf_token": hugo_form["csrf_token"]})
        self.assertEqual(response.status_code, 404)

        # Ada's session did not start a payment created elsewhere either
        self.authenticate("portal_ada", "portal_ada")
        unmonitored = self.create_spend_tx(self.invoice)
        own_form = self.start_payment(self.order)
        with self.assert_nothing_changed(), mute_logger("odoo.http"):
            response = self.submit({**own_form, "reference": unmonitored.reference})
        self.assertEqual(response.status_code, 404)
        self.assertEqual((self.wallet.balance, self.other_wallet.balance), (250.0, 500.0))
        self.assertEqual(unmonitored.state, "draft")

    def test_balance_spent_before_processing_leaves_the_payment_in_error(self):
        self.authenticate("portal_ada", "portal_ada")
        form_data = self.start_payment(self.order)
        # meanwhile, the credits went elsewhere
        self.adjust(self.wallet, -200.0)

        response = self.submit(form_data)

        self.assertEqual(urlsplit(response.headers["Location"]).path, "/payment/status")
        tx = self.env["payment.transaction"].search([("reference", "=", form_data["reference"])])
        self.assertEqual(tx.state, "error")
        self.assertEqual(
            tx.state_message, "Your balance of 50.00 credits does not cover 100.00 credits."
        )
        self.assertEqual(self.wallet.balance, 50.0)
        self.assertFalse(self.spend_entries())
        self.assertEqual((self.order.state, self.order.amount_paid), ("sent", 0.0))
        self.assert_invariants()
