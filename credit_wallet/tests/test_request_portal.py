"""Credit requests in the portal, over HTTP as the customer's browser sends them.

The requests page (what a customer sees of their own requests, never of another's), the
proof of payment upload and every way it is refused, Cryptocurrency on Buy Credits only,
and the status page of a pending crypto purchase.
"""

import io
import re
from urllib.parse import urlencode, urlsplit

from lxml import html
from PIL import Image

from odoo import Command
from odoo.tests import HttpCase, tagged
from odoo.tools import mute_logger

from odoo.addons.credit_wallet.controllers.portal import PROOF_MAX_BYTES

from .common import CreditRpcMixin
from .test_request import CreditRequestCommon

REQUESTS_URL = "/my/credits/requests"
CUSTOM_RADIO = "//input[@name='o_payment_radio'][@data-provider-code='custom']"


def image_bytes(image_format):
    """A real 8x8 picture in ``image_format`` ("PNG", "PDF"...), as a scanner would save it."""
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(buffer, image_format)
    return buffer.getvalue()


class CreditRequestPortalCase(CreditRpcMixin, CreditRequestCommon, HttpCase):
    """Open requests for the customers and read their requests page as they would."""

    def get_page(self, url=REQUESTS_URL):
        response = self.url_open(url)
        self.assertEqual(response.status_code, 200, url)
        self.assertEqual(urlsplit(response.url).path, urlsplit(url).path, f"{url} redirected")
        return html.fromstring(response.content)

    def text(self, node, xpath):
        return " ".join(node.xpath(f"string({xpath})").split())

    def rows(self, tree):
        """What each request row shows, top to bottom."""
        return [
            {
                "name": self.text(row, ".//*[hasclass('o_credit_request_name')]"),
                "reference": self.text(row, "./td[1]/div"),
                "method": self.text(row, "./td[3]"),
                "amount": self.text(row, "./td[4]"),
                "credits": self.text(row, ".//*[hasclass('o_credit_request_credits')]"),
                "status": self.text(row, ".//*[hasclass('o_credit_request_state')]"),
                "reason": self.text(row, ".//*[hasclass('o_credit_request_reason')]"),
                "proofs": self.text(row, ".//*[hasclass('o_credit_request_proofs')]"),
                "upload": bool(row.xpath(".//form[hasclass('o_credit_proof_form')]")),
            }
            for row in tree.xpath("//tr[hasclass('o_credit_request')]")
        ]

    def row_of(self, tree, request):
        rows = [row for row in self.rows(tree) if row["name"] == request.name]
        self.assertEqual(len(rows), 1, f"{request.name} is listed once")
        return rows[0]

    def csrf_token(self):
        """The token every page of the signed-in session carries for its forms."""
        response = self.url_open(REQUESTS_URL)
        return re.search(r'csrf_token: "([^"]+)"', response.text).group(1)

    def upload(self, request, filename, content, mimetype, csrf_token=True):
        """POST the proof form of ``request``; return the response, redirects not followed.

        ``csrf_token`` True sends the session's token, a string sends that one, None none.
        """
        data = {}
        if csrf_token:
            data["csrf_token"] = self.csrf_token() if csrf_token is True else csrf_token
        files = {"proof": (filename, content, mimetype)} if filename is not None else None
        return self.opener.post(
            f"{self.base_url()}{REQUESTS_URL}/{request.id}/proof",
            data=data,
            files=files,
            allow_redirects=False,
            timeout=60,
        )

    def assert_redirected(self, response, query):
        self.assertEqual(response.status_code, 303, response.text[:500])
        location = urlsplit(response.headers["Location"])
        self.assertEqual((location.path, location.query), (REQUESTS_URL, query))


@tagged("post_install", "-at_install")
class TestCreditRequestsPage(CreditRequestPortalCase):
    def test_customer_sees_their_requests_with_status_and_reason_never_anothers(self):
        transfer = self.open_request(self.bonus_package)
        crypto = self.open_request(self.package, provider=self.crypto, method=self.crypto_method)
        self.accept(crypto)
        refused = self.open_request(self.package)
        self.reject(refused, reason="No transfer with this reference arrived.")
        hugo = self.open_request(self.package, partner=self.other_contact)
        self.authenticate("portal_ada", "portal_ada")

        tree = self.get_page()

        self.assertEqual(
            self.rows(tree),
            [
                {
                    "name": refused.name,
                    "reference": refused.transaction_reference,
                    "method": "Wire Transfer",
                    "amount": "$ 100.00",
                    "credits": "$ 100.00",
                    "status": "Rejected",
                    "reason": "No transfer with this reference arrived.",
                    "proofs": "",
                    "upload": False,
                },
                {
                    "name": crypto.name,
                    "reference": crypto.transaction_reference,
                    "method": "Cryptocurrency",
                    "amount": "$ 100.00",
                    "credits": "$ 100.00",
                    "status": "Accepted",
                    "reason": "",
                    "proofs": "",
                    "upload": False,
                },
                {
                    "name": transfer.name,
                    "reference": transfer.transaction_reference,
                    "method": "Wire Transfer",
                    "amount": "$ 100.00",
                    "credits": "$ 120.00",
                    "status": "Pending",
                    "reason": "",
                    "proofs": "",
                    "upload": True,
                },
            ],
        )
        self.assertNotIn(hugo.name, tree.text_content())
        self.assertNotIn(hugo.transaction_reference, tree.text_content())
        self.assertEqual(
            self.text(tree, "//ol[hasclass('o_portal_submenu')]/li[last()]"), "Credit Requests"
        )

        # Hugo sees his own request only
        self.authenticate("portal_hugo", "portal_hugo")
        self.assertEqual([row["name"] for row in self.rows(self.get_page())], [hugo.name])

    def test_every_contact_of_the_customer_sees_its_requests(self):
        request = self.open_request()
        self.new_colleague_portal_user()
        self.authenticate("portal_bea", "portal_bea")

        self.assertEqual([row["name"] for row in self.rows(self.get_page())], [request.name])

    def test_a_customer_without_requests_is_told_so(self):
        self.open_request(partner=self.other_contact)
        self.authenticate("portal_ada", "portal_ada")

        tree = self.get_page()

        self.assertFalse(self.rows(tree))
        self.assertIn(
            "No credit request yet", self.text(tree, "//*[hasclass('o_credit_requests_empty')]")
        )

    def test_requests_page_by_twenty_newest_first(self):
        requests = self.env["credit.request"]
        for _index in range(23):
            requests |= self.open_request(self.package)
        self.open_request(self.package, partner=self.other_contact)
        newest_first = requests.sorted("id", reverse=True)
        self.authenticate("portal_ada", "portal_ada")

        first = self.get_page()
        second = self.get_page(f"{REQUESTS_URL}/page/2")
        past_end = self.get_page(f"{REQUESTS_URL}/page/3")

        self.assertEqual(
            [row["name"] for row in self.rows(first)], newest_first[:20].mapped("name")
        )
        self.assertEqual(
            [row["name"] for row in self.rows(second)], newest_first[20:].mapped("name")
        )
        self.assertTrue(
            first.xpath(f"//ul[hasclass('pagination')]//a[@href='{REQUESTS_URL}/page/2']"),
            "the pager links to the second page",
        )
        # the pager clamps a page past the end to the last one
        self.assertEqual(self.rows(past_end), self.rows(second))

    def test_credits_page_links_to_the_requests(self):
        self.authenticate("portal_ada", "portal_ada")

        tree = self.get_page("/my/credits")

        self.assertEqual(
            tree.xpath("//a[hasclass('o_credit_wallet_requests')]/@href"), [REQUESTS_URL]
        )

    def test_public_user_is_sent_to_the_login_page(self):
        request = self.open_request()
        self.authenticate(None, None)

        with self.assert_nothing_changed():
            page = self.url_open(REQUESTS_URL, allow_redirects=False)
            post = self.upload(request, "receipt.pdf", image_bytes("PDF"), "application/pdf")

        for response in (page, post):
            self.assertIn(response.status_code, (302, 303))
            self.assertEqual(urlsplit(response.headers["Location"]).path, "/web/login")


@tagged("post_install", "-at_install")
class TestCreditRequestProof(CreditRequestPortalCase):
    def setUp(self):
        super().setUp()
        self.request = self.open_request()
        self.authenticate("portal_ada", "portal_ada")

    def test_a_pdf_and_a_png_are_attached_to_their_requests(self):
        png_request = self.open_request(self.package)
        activities = len(self.manager_activities(self.request))

        for request, filename, content, mimetype in (
            (self.request, "transfer-receipt.pdf", image_bytes("PDF"), "application/pdf"),
            (png_request, "screenshot.png", image_bytes("PNG"), "image/png"),
        ):
            with self.subTest(filename=filename):
                response = self.upload(request, filename, content, mimetype)

                self.assert_redirected(response, f"proof_added={request.id}")
                tree = self.get_page(response.headers["Location"])
                self.assertTrue(tree.xpath("//*[hasclass('o_credit_proof_added')]"))
                self.assertFalse(tree.xpath("//*[hasclass('o_credit_proof_error')]"))
                row = self.row_of(tree, request)
                self.assertEqual((row["status"], row["proofs"]), ("Pending", "1 file(s) received"))
                self.assertTrue(row["upload"], "another proof can still be added")
                attachment = self.env["ir.attachment"].search(
                    [("res_model", "=", "credit.request"), ("res_id", "=", request.id)]
                )
                self.assertRecordValues(attachment, [{"name": filename, "mimetype": mimetype}])
                self.assertEqual(attachment.raw, content)
                self.assertEqual(request.state, "pending")
                self.assertEqual(request.wallet_id.balance, 0.0, "a proof credits nothing")

        # the reviewer is told to look at the proof, on the request's one review activity
        review = self.manager_activities(self.request)
        self.assertEqual(len(review), activities)
        self.assertIn("added a proof of payment", review.note)
        self.assertIn(
            "transfer-receipt.pdf", self.request.message_ids[0].body, "logged in the chatter"
        )

    def test_a_proof_of_exactly_the_size_limit_is_attached(self):
        content = image_bytes("PDF").ljust(PROOF_MAX_BYTES, b"\n")

        response = self.upload(self.request, "scan.pdf", content, "application/pdf")

        self.assert_redirected(response, f"proof_added={self.request.id}")
        self.assertEqual(self.request.proof_count, 1)

    def test_when_a_proof_is_required_it_sends_the_request_to_review(self):
        self.company.credit_proof_required = True
        request = self.open_request(self.package)
        self.assertEqual(request.state, "awaiting_proof")
        self.assertFalse(self.manager_activities(request))
        row = self.row_of(self.get_page(), request)
        self.assertEqual((row["status"], row["upload"]), ("Pending", True))

        response = self.upload(request, "receipt.png", image_bytes("PNG"), "image/png")

        self.assert_redirected(response, f"proof_added={request.id}")
        self.assertEqual(request.state, "pending")
        self.assertEqual(request.proof_count, 1)
        self.assertEqual(len(self.manager_activities(request)), 1, "now in the review queue")
        row = self.row_of(self.get_page(), request)
        self.assertEqual((row["status"], row["proofs"]), ("Pending", "1 file(s) received"))

    def test_refused_files_show_why_and_attach_nothing(self):
        too_large = image_bytes("PDF").ljust(PROOF_MAX_BYTES + 1, b"\n")
        cases = {
            # named and announced as a PDF: the content says otherwise
            "text named receipt.pdf": (
                ("receipt.pdf", b"I paid, promise.\n", "application/pdf"),
                "file_type",
                "A proof of payment is an image (PNG, JPEG, GIF, WebP) or a PDF.",
            ),
            "HTML page": (
                ("receipt.png", b"<html><script>alert(1)</script></html>", "image/png"),
                "file_type",
                "A proof of payment is an image (PNG, JPEG, GIF, WebP) or a PDF.",
            ),
            "larger than 5 MB": (
                ("scan.pdf", too_large, "application/pdf"),
                "too_large",
                "The file is larger than 5 MB: send a smaller scan or a PDF.",
            ),
            "empty file": (
                ("receipt.pdf", b"", "application/pdf"),
                "missing",
                "Choose the file of your proof of payment.",
            ),
            "no file at all": (
                (None, None, None),
                "missing",
                "Choose the file of your proof of payment.",
            ),
        }
        for case, (upload, code, message) in cases.items():
            with self.subTest(case=case), self.assert_nothing_changed():
                response = self.upload(self.request, *upload)

                self.assert_redirected(response, f"proof_error={code}")
                tree = self.get_page(response.headers["Location"])
                self.assertEqual(self.text(tree, "//*[hasclass('o_credit_proof_error')]"), message)
                self.assertFalse(tree.xpath("//*[hasclass('o_credit_proof_added')]"))
                self.assertEqual(self.row_of(tree, self.request)["proofs"], "")

    def test_a_decided_request_takes_no_proof(self):
        rejected = self.open_request(self.package)
        self.accept(self.request)
        self.reject(rejected)

        for request in (self.request, rejected):
            with self.subTest(state=request.state), self.assert_nothing_changed():
                response = self.upload(request, "receipt.png", image_bytes("PNG"), "image/png")

                self.assert_redirected(response, "proof_error=decided")
                tree = self.get_page(response.headers["Location"])
                self.assertEqual(
                    self.text(tree, "//*[hasclass('o_credit_proof_error')]"),
                    "This request is already decided: no proof is needed any more.",
                )

    def test_another_customers_request_is_not_found(self):
        hugo_request = self.open_request(partner=self.other_contact)

        with self.assert_nothing_changed(), mute_logger("odoo.http"):
            response = self.upload(hugo_request, "receipt.png", image_bytes("PNG"), "image/png")
            missing = self.upload(
                self.env["credit.request"].browse(hugo_request.id + 1000),
                "receipt.png",
                image_bytes("PNG"),
                "image/png",
            )

        self.assertEqual((response.status_code, missing.status_code), (404, 404))

    def test_upload_without_the_sessions_csrf_token_is_refused(self):
        # a token of another session, as a forged form on another site would send
        self.authenticate("portal_hugo", "portal_hugo")
        foreign_token = self.csrf_token()
        self.authenticate("portal_ada", "portal_ada")

        for case, token in (("missing", None), ("bad", "0123abc"), ("foreign", foreign_token)):
            with self.subTest(token=case), self.assert_nothing_changed(), mute_logger("odoo.http"):
                response = self.upload(
                    self.request, "receipt.png", image_bytes("PNG"), "image/png", csrf_token=token
                )

                self.assertEqual(response.status_code, 400)


@tagged("post_install", "-at_install")
class TestCreditRequestPayment(CreditRequestPortalCase):
    def setUp(self):
        super().setUp()
        self.authenticate("portal_ada", "portal_ada")

    def payment_params(self, provider, method, amount, access_token, landing_route, **values):
        """What the payment form posts for a redirect provider such as payment_custom's."""
        return {
            "provider_id": provider.id,
            "payment_method_id": method.id,
            "token_id": None,
            "amount": amount,
            "flow": "redirect",
            "tokenization_requested": False,
            "landing_route": landing_route,
            "is_validation": False,
            "access_token": access_token,
            **values,
        }

    def buy(self, package, provider, method):
        """Buy ``package`` from its Buy Credits page, then confirm as the redirect form does.

        :return: the status page the customer lands on, and the transaction
        """
        page = self.get_page(f"/my/credits/buy?{urlencode({'package_id': package.id})}")
        [form] = page.xpath("//form[@id='o_payment_form']")
        result, error = self.call_route(
            form.get("data-transaction-route"),
            self.payment_params(
                provider,
                method,
                float(form.get("data-amount")),
                form.get("data-access-token"),
                "/my/credits",
            ),
        )
        self.assertFalse(error)
        redirect_form = html.fromstring(result["redirect_form_html"])
        self.assertEqual(redirect_form.get("action"), "/payment/custom/process")
        with mute_logger("odoo.addons.payment_custom.controllers.main"):
            response = self.url_open(
                redirect_form.get("action"),
                data={
                    "reference": redirect_form.xpath("string(.//input[@name='reference']/@value)")
                },
            )
        self.assertEqual(urlsplit(response.url).path, "/payment/status")
        tx = self.env["payment.transaction"].search([("reference", "=", result["reference"])])
        return html.fromstring(response.content), tx

    def test_buy_credits_offers_cryptocurrency_beside_the_wire_transfer(self):
        page = self.get_page(f"/my/credits/buy?{urlencode({'package_id': self.package.id})}")

        offered = {
            (int(radio.get("data-provider-id")), radio.get("data-payment-method-code"))
            for radio in page.xpath(CUSTOM_RADIO)
        }
        self.assertEqual(offered, {(self.transfer.id, "wire_transfer"), (self.crypto.id, "crypto")})

    def test_order_and_invoice_routes_refuse_cryptocurrency(self):
        order = self.env["sale.order"].create(
            {
                "partner_id": self.contact.id,
                "order_line": [Command.create({"product_id": self.product_a.id})],
            }
        )
        order.action_quotation_sent()
        invoice = self.init_invoice(
            "out_invoice", partner=self.customer, amounts=[100.0], post=True
        )
        Transaction = self.env["payment.transaction"]

        for document, route in (
            (order, f"/my/orders/{order.id}/transaction"),
            (invoice, f"/invoice/transaction/{invoice.id}"),
        ):
            with self.subTest(document=document._name):
                access_token = document._portal_ensure_token()
                landing_route = document.get_portal_url()
                amount = document.amount_total

                with self.assert_nothing_changed("nothing created"), mute_logger("odoo.http"):
                    result, error = self.call_route(
                        route,
                        self.payment_params(
                            self.crypto, self.crypto_method, amount, access_token, landing_route
                        ),
                    )

                self.assertIsNone(result)
                self.assertEqual(error, "Cryptocurrency buys credits only.")

                # the same route takes a wire transfer: the refusal is the crypto's alone
                result, error = self.call_route(
                    route,
                    self.payment_params(
                        self.transfer, self.transfer_method, amount, access_token, landing_route
                    ),
                )
                self.assertFalse(error)
                self.assertEqual(
                    Transaction.search([("reference", "=", result["reference"])]).provider_id,
                    self.transfer,
                )
        self.assertFalse(Transaction.search([("provider_id", "=", self.crypto.id)]))

    def test_status_page_of_a_pending_crypto_purchase_says_where_to_send_the_coins(self):
        status, tx = self.buy(self.bonus_package, self.crypto, self.crypto_method)

        self.assertEqual(tx.state, "pending")
        self.assertEqual(
            [
                self.text(status, f"//*[hasclass('{css_class}')]")
                for css_class in (
                    "o_credit_crypto_coin",
                    "o_credit_crypto_network",
                    "o_credit_crypto_address",
                )
            ],
            ["USDC", "Ethereum (ERC-20)", "0xABCDEF0123456789"],
        )
        self.assertIn(
            "$ 100.00", self.text(status, "//*[hasclass('o_credit_crypto_instructions')]")
        )
        self.assertEqual(
            status.xpath("//a[hasclass('o_credit_request_link')]/@href"), [REQUESTS_URL]
        )
        request = self.request_of(tx)
        self.assertEqual(request.state, "pending")
        row = self.row_of(self.get_page(), request)
        self.assertEqual(
            (row["method"], row["amount"], row["credits"], row["status"]),
            ("Cryptocurrency", "$ 100.00", "$ 120.00", "Pending"),
        )
        self.assertEqual(self.wallet.balance, 0.0, "nothing credited before the agency accepts")

    def test_status_page_of_a_pending_transfer_links_to_the_request_without_crypto(self):
        status, tx = self.buy(self.package, self.transfer, self.transfer_method)

        self.assertEqual(self.request_of(tx).state, "pending")
        self.assertFalse(status.xpath("//*[hasclass('o_credit_crypto_instructions')]"))
        self.assertEqual(
            status.xpath("//a[hasclass('o_credit_request_link')]/@href"), [REQUESTS_URL]
        )
