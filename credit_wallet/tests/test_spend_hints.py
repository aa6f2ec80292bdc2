"""Why Credits is not offered, as the customer reads it on each payment form; and which
products credits can pay, on the product page and in the cart."""

from lxml import html

from odoo.tests import new_test_user, tagged

from .test_spend_portal import CREDIT_RADIO, CreditSpendPortalCase

HINT = "//*[hasclass('o_credit_payment_hint')]"
WORKSHOP_HINT = ("Onsite Workshop cannot be paid with credits.", None)
SHORT_HINT = ("You need 36.00 credits more. Buy Credits", "/my/credits/buy")


def text_of(element):
    return " ".join(element.xpath("string(.)").split())


@tagged("post_install", "-at_install")
class TestCreditPaymentHint(CreditSpendPortalCase):
    """Ada holds 250.00 credits; her quotation and invoice ask for 100.00."""

    def credit_hint(self, url):
        """(text, Buy Credits link) of the hint where Credits would be on ``url``, or None."""
        tree = self.payment_form(url)
        hints = tree.xpath(HINT)
        if not hints:
            return None
        self.assertEqual(len(hints), 1, url)
        self.assertFalse(tree.xpath(CREDIT_RADIO), f"Credits offered beside a hint on {url}")
        # the hint is a line of the payment methods list
        self.assertTrue(hints[0].xpath("ancestor::ul/parent::div[@id='o_payment_methods']"), url)
        return text_of(hints[0]), (hints[0].xpath(".//a/@href") or [None])[0]

    def assert_hints(self, pages, expected):
        for name, url in pages.items():
            with self.subTest(page=name):
                self.assertEqual(self.credit_hint(url), expected)

    def order_pages(self, order):
        return {
            "checkout": "/shop/payment",
            "quotation page": order.get_portal_url(),
            "order payment link": self.payment_link(order),
        }

    def all_pages(self, order, invoice):
        return {"checkout": "/shop/payment"} | self.document_pages(order, invoice)

    def test_products_credits_cannot_pay_are_named_on_every_order_page(self):
        order = self.quotation(self.service | self.workshop)
        self.open_cart(self.service | self.workshop)

        self.assert_hints(self.order_pages(order), WORKSHOP_HINT)
        # the invoice pays whatever it bills: Credits stays offered there
        self.assertEqual(
            self.credit_offer(self.invoice.get_portal_url())[:2],
            ("250.00 credits", "100.00 credits, 150.00 left"),
        )

    def test_products_are_named_before_a_short_balance(self):
        # buying credits would not help: the product is what keeps Credits out
        self.adjust(self.wallet, -250.0)
        order = self.quotation(self.service | self.workshop)
        self.open_cart(self.service | self.workshop)

        self.assert_hints(self.order_pages(order), WORKSHOP_HINT)

    def test_short_balance_says_what_is_missing_and_leads_to_buy_credits(self):
        self.adjust(self.wallet, -186.0)
        self.open_cart(self.service)

        with self.assert_nothing_changed("showing the hint moves nothing"):
            self.assert_hints(self.all_pages(self.order, self.invoice), SHORT_HINT)
        buy_page = html.fromstring(self.url_open("/my/credits/buy").content)
        self.assertIn("Starter", text_of(buy_page))

    def test_customer_without_a_wallet_is_told_the_whole_amount(self):
        customer = self.customer.copy({"name": "Cobalt Studio"})
        contact = self.contact.copy({"name": "Cleo Cobalt", "parent_id": customer.id})
        new_test_user(
            self.env, login="portal_cleo", groups="base.group_portal", partner_id=contact.id
        )
        self.open_cart(self.service, login="portal_cleo", partner=contact)

        self.assert_hints(
            self.all_pages(
                self.quotation(partner=contact), self.create_invoice(100.0, partner=customer)
            ),
            ("You need 100.00 credits more. Buy Credits", "/my/credits/buy"),
        )
        self.assertFalse(self.env["credit.wallet"]._get_wallet(customer, self.company))

    def test_no_hint_where_credits_is_offered(self):
        self.open_cart(self.service)

        self.assert_hints(self.all_pages(self.order, self.invoice), None)
        self.assertEqual(
            self.credit_offer("/shop/payment")[:2],
            ("250.00 credits", "100.00 credits, 150.00 left"),
        )

    def test_no_hint_when_credit_payments_are_off_for_the_company(self):
        self.adjust(self.wallet, -186.0)
        ineligible_order = self.quotation(self.service | self.workshop)
        self.company.credit_payment_enabled = False

        self.open_cart(self.service)
        self.assert_hints(self.all_pages(self.order, self.invoice), None)
        self.open_cart(self.service | self.workshop)
        self.assert_hints(self.order_pages(ineligible_order), None)

    def test_no_hint_on_another_customers_documents(self):
        # Hugo has no credits: Ada's documents, opened with their links, say nothing of his
        # balance nor of hers
        self.adjust(self.wallet, -186.0)
        self.authenticate("portal_hugo", "portal_hugo")

        self.assert_hints(self.document_pages(self.order, self.invoice), None)
        self.assert_hints(
            self.document_pages(self.quotation(self.service | self.workshop), self.invoice), None
        )
        # his own quotation tells him what he lacks
        hugo_order = self.quotation(partner=self.other_contact)
        self.assertEqual(
            self.credit_hint(hugo_order.get_portal_url()),
            ("You need 100.00 credits more. Buy Credits", "/my/credits/buy"),
        )

    def test_no_hint_for_a_visitor_who_is_not_signed_in(self):
        self.adjust(self.wallet, -186.0)
        self.open_cart(self.service, login=None)
        self.assert_hints(self.all_pages(self.order, self.invoice), None)

        self.open_cart(self.service | self.workshop, login=None)
        self.assert_hints({"checkout": "/shop/payment"}, None)

    def test_no_hint_where_credits_could_not_pay_anyway(self):
        self.adjust(self.wallet, -186.0)
        self.authenticate("portal_ada", "portal_ada")
        euro = self.setup_other_currency("EUR")

        self.assert_hints(
            {
                "order link for part of the amount": self.payment_link(self.order, amount=50.0),
                "invoice link for part of the amount": self.payment_link(self.invoice, amount=50.0),
                "invoice in another currency": self.create_invoice(
                    100.0, currency_id=euro.id
                ).get_portal_url(),
                "donation naming an order": self.payment_link(self.order).replace(
                    "/payment/pay", "/donation/pay", 1
                ),
                "buy credits": f"/my/credits/buy?package_id={self.package.id}",
            },
            None,
        )

        # nor when the agency does not take Credits as a payment method at all
        self.credit_provider.state = "disabled"
        self.assert_hints(self.document_pages(self.order, self.invoice), None)

    def test_short_balance_is_told_when_credits_is_the_only_method(self):
        self.adjust(self.wallet, -186.0)
        self.provider.state = "disabled"
        self.authenticate("portal_ada", "portal_ada")

        page = html.fromstring(self.url_open(self.order.get_portal_url()).content)

        alerts = page.xpath(
            "//div[hasclass('alert-warning')][.//*[hasclass('o_credit_payment_hint')]]"
        )
        self.assertEqual(len(alerts), 1)
        self.assertIn("No payment method available", text_of(alerts[0]))
        self.assertIn(SHORT_HINT[0], text_of(alerts[0]))


@tagged("post_install", "-at_install")
class TestCreditEligibilityInTheShop(CreditSpendPortalCase):
    """Design Sprint is eligible for credit payment, Printed Flyers and Onsite Workshop not."""

    def shop_page(self, url):
        response = self.url_open(url)
        self.assertEqual(response.status_code, 200, url)
        return html.fromstring(response.content)

    def product_badge(self, product):
        page = self.shop_page(product.website_url)
        self.assertEqual(page.xpath("string(//h1[@itemprop='name'])").strip(), product.name)
        badges = page.xpath("//*[@id='product_details']//*[hasclass('o_credit_eligible')]")
        return text_of(badges[0]) if badges else None

    def cart_labels(self):
        """{product name: what the cart says about credits under it}."""
        page = self.shop_page("/shop/cart")
        labels = {}
        for line in page.xpath("//div[hasclass('o_cart_product')]"):
            name = line.xpath("string(.//h6)").strip()
            label = line.xpath(
                ".//*[hasclass('o_credit_eligible') or hasclass('o_credit_not_eligible')]"
            )
            labels[name] = text_of(label[0]) if label else None
        return labels

    def test_product_page_says_which_products_credits_pay(self):
        for login in ("portal_ada", None):
            with self.subTest(visitor=login or "not signed in"):
                self.authenticate(login, login)
                self.assertEqual(self.product_badge(self.service), "Can be paid with credits")
                self.assertIsNone(self.product_badge(self.flyers))

    def test_cart_marks_the_lines_credits_pay_and_those_keeping_credits_out(self):
        self.open_cart(self.service)
        self.assertEqual(self.cart_labels(), {"Design Sprint": "Can be paid with credits"})

        self.open_cart(self.service | self.workshop)
        self.assertEqual(
            self.cart_labels(),
            {
                "Design Sprint": "Can be paid with credits",
                "Onsite Workshop": "Not payable with credits",
            },
        )

        # credits are no concern of a cart they can pay nothing of
        self.open_cart(self.workshop)
        self.assertEqual(self.cart_labels(), {"Onsite Workshop": None})

    def test_visitor_not_signed_in_sees_the_same_labels(self):
        self.open_cart(self.service | self.workshop, login=None)
        self.assertEqual(
            self.cart_labels(),
            {
                "Design Sprint": "Can be paid with credits",
                "Onsite Workshop": "Not payable with credits",
            },
        )

    def test_nothing_is_said_when_credit_payments_are_off(self):
        self.company.credit_payment_enabled = False

        self.open_cart(self.service | self.workshop)
        self.assertEqual(self.cart_labels(), {"Design Sprint": None, "Onsite Workshop": None})
        self.assertIsNone(self.product_badge(self.service))
