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
        """What each request shows (its row and the line below it), top to bottom."""
        return [
            {
                "reference": self.text(group, ".//*[hasclass('o_credit_request_reference')]"),
                "method": self.text(group, ".//*[hasclass('o_credit_request_method')]"),
                "amount": self.text(group, ".//*[hasclass('o_credit_request_amount')]"),
                "credits": self.text(group, ".//*[hasclass('o_credit_request_credits')]"),
                "status": self.text(group, ".//*[hasclass('o_credit_request_state')]"),
                "reason": self.text(group, ".//*[hasclass('o_credit_request_reason')]"),
                "proofs": [
                    " ".join(link.text_content().split())
                    for link in group.xpath(".//a[hasclass('o_credit_request_proof_open')]")
                ],
                "upload": bool(group.xpath(".//form[hasclass('o_credit_proof_form')]")),
            }
            for group in tree.xpath("//tbody[hasclass('o_credit_request_group')]")
        ]

    def row_of(self, tree, request):
        """What ``request`` shows, found by its one reference: its payment's."""
        rows = [row for row in self.rows(tree) if row["reference"] == request.transaction_reference]
        self.assertEqual(len(rows), 1, f"{request.transaction_reference} is listed once")
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

    def instructions(self, tree):
        """The payment instructions a page shows: {name: value} of each detail."""
        return {
            re.sub(r"^o_credit_instructions_", "", cls): self.text(node, ".")
            for node in tree.xpath(".//*[hasclass('o_credit_instructions')]//dd")
            for cls in node.get("class").split()
            if cls.startswith("o_credit_instructions_")
        }


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
                    "reference": refused.transaction_reference,
                    "method": "Wire Transfer",
                    "amount": "$ 100.00",
                    "credits": "100.00 credits",
                    "status": "Rejected",
                    "reason": "No transfer with this reference arrived.",
                    "proofs": [],
                    "upload": False,
                },
                {
                    "reference": crypto.transaction_reference,
                    "method": "Cryptocurrency",
                    "amount": "$ 100.00",
                    "credits": "100.00 credits",
                    "status": "Accepted",
                    "reason": "",
                    "proofs": [],
                    "upload": False,
                },
                {
                    "reference": transfer.transaction_reference,
                    "method": "Wire Transfer",
                    "amount": "$ 100.00",
                    "credits": "120.00 credits",
                    "status": "Pending",
                    "reason": "",
                    "proofs": [],
                    "upload": True,
                },
            ],
        )
        # one reference a request, the payment's: the customer quotes it, every email gives it
        self.assertNotIn(transfer.name, tree.text_content())
        self.assertNotIn(hugo.name, tree.text_content())
        self.assertNotIn(hugo.transaction_reference, tree.text_content())
        self.assertEqual(
            self.text(tree, "//ol[hasclass('o_portal_submenu')]/li[last()]"), "Credit Requests"
        )

        # Hugo sees his own request only
        self.authenticate("portal_hugo", "portal_hugo")
        self.assertEqual(
            [row["reference"] for row in self.rows(self.get_page())], [hugo.transaction_reference]
        )

    def test_every_contact_of_the_customer_sees_its_requests(self):
        request = self.open_request()
        self.new_colleague_portal_user()
        self.authenticate("portal_bea", "portal_bea")

        self.assertEqual(
            [row["reference"] for row in self.rows(self.get_page())],
            [request.transaction_reference],
        )

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
            [row["reference"] for row in self.rows(first)],
            newest_first[:20].mapped("transaction_reference"),
        )
        self.assertEqual(
            [row["reference"] for row in self.rows(second)],
            newest_first[20:].mapped("transaction_reference"),
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
                self.assertEqual((row["status"], row["proofs"]), ("Pending", [filename]))
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
        self.assertEqual((row["status"], row["proofs"]), ("Pending", ["receipt.png"]))

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
                self.assertEqual(self.row_of(tree, self.request)["proofs"], [])

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
class TestCreditRequestProofFiles(CreditRequestPortalCase):
    """A proof the customer attached is opened from the request, and removed while it waits."""

    def setUp(self):
        super().setUp()
        self.request = self.open_request()
        self.authenticate("portal_ada", "portal_ada")
        self.receipt = image_bytes("PDF")
        self.assert_redirected(
            self.upload(self.request, "receipt.pdf", self.receipt, "application/pdf"),
            f"proof_added={self.request.id}",
        )
        self.proof = self.request._get_customer_proofs()

    def proof_url(self, request, proof, action=""):
        return f"{self.base_url()}{REQUESTS_URL}/{request.id}/proofs/{proof.id}{action}"

    def remove(self, request, proof, csrf_token=True):
        """POST the remove button of ``proof``; the response, redirects not followed."""
        data = {"csrf_token": self.csrf_token()} if csrf_token else {}
        return self.opener.post(
            self.proof_url(request, proof, "/remove"),
            data=data,
            allow_redirects=False,
            timeout=60,
        )

    def agency_file(self, request):
        """A file a credit manager attached in the request's chatter: the agency's, not a proof."""
        attachment = (
            self.env["ir.attachment"]
            .with_user(self.manager)
            .create(
                {
                    "name": "bank-statement.pdf",
                    "raw": image_bytes("PDF"),
                    "res_model": "credit.request",
                    "res_id": request.id,
                }
            )
        )
        request.with_user(self.manager).message_post(
            body="Statement", attachment_ids=attachment.ids
        )
        return attachment

    def hugos_request_and_proof(self):
        """Another customer's request, with the proof he attached (as his upload does)."""
        hugo_request = self.open_request(partner=self.other_contact)
        hugo_proof = (
            hugo_request.with_user(self.other_portal_user)
            .sudo()
            ._add_proof("hugo.pdf", image_bytes("PDF"), "application/pdf")
        )
        self.assertEqual(hugo_request._get_customer_proofs(), hugo_proof)
        return hugo_request, hugo_proof

    def test_the_customer_opens_the_proof_from_the_request(self):
        [link] = self.get_page().xpath("//a[hasclass('o_credit_request_proof_open')]/@href")

        response = self.url_open(link)

        self.assertEqual(link, f"{REQUESTS_URL}/{self.request.id}/proofs/{self.proof.id}")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.content, self.receipt)
        self.assertEqual(response.headers["Content-Type"], "application/pdf")
        self.assertTrue(response.headers["Content-Disposition"].startswith("inline"))
        self.assertIn("default-src 'none'", response.headers["Content-Security-Policy"])

    def test_a_colleague_opens_it_too_another_customer_and_the_public_do_not(self):
        self.new_colleague_portal_user()
        self.authenticate("portal_bea", "portal_bea")
        self.assertEqual(self.url_open(self.proof_url(self.request, self.proof)).status_code, 200)

        self.authenticate("portal_hugo", "portal_hugo")
        with mute_logger("odoo.http"):
            self.assertEqual(
                self.url_open(self.proof_url(self.request, self.proof)).status_code, 404
            )
        self.authenticate(None, None)
        response = self.url_open(self.proof_url(self.request, self.proof), allow_redirects=False)
        self.assertEqual(urlsplit(response.headers["Location"]).path, "/web/login")

    def test_only_the_customers_own_proofs_of_that_request_are_opened(self):
        agency_file = self.agency_file(self.request)
        hugo_request, hugo_proof = self.hugos_request_and_proof()
        other_request = self.open_request(self.package)

        self.assertEqual(self.row_of(self.get_page(), self.request)["proofs"], ["receipt.pdf"])
        with mute_logger("odoo.http"):
            for request, attachment in (
                (self.request, agency_file),  # the agency's file on the customer's request
                (self.request, hugo_proof),  # another customer's proof, under this request
                (hugo_request, hugo_proof),  # another customer's request
                (other_request, self.proof),  # the customer's proof, under another request
            ):
                with self.subTest(attachment=attachment.name, request=request.id):
                    response = self.url_open(self.proof_url(request, attachment))
                    self.assertEqual(response.status_code, 404)
                    self.assertNotIn(self.receipt, response.content)

    def test_the_customer_removes_a_proof_of_a_waiting_request(self):
        messages = len(self.request.message_ids)

        response = self.remove(self.request, self.proof)

        self.assert_redirected(response, f"proof_removed={self.request.id}")
        tree = self.get_page(response.headers["Location"])
        self.assertTrue(tree.xpath("//*[hasclass('o_credit_proof_removed')]"))
        row = self.row_of(tree, self.request)
        self.assertEqual((row["status"], row["proofs"], row["upload"]), ("Pending", [], True))
        self.assertFalse(self.proof.exists())
        self.assertEqual(self.request.state, "pending")
        self.assertEqual(len(self.request.message_ids), messages + 1)
        self.assertIn("receipt.pdf", self.request.message_ids[0].body, "the agency is told")

    def test_without_its_last_proof_a_request_needing_one_waits_for_a_proof_again(self):
        self.company.credit_proof_required = True
        request = self.open_request(self.package)
        for filename in ("first.png", "second.png"):
            self.upload(request, filename, image_bytes("PNG"), "image/png")
        first, second = request._get_customer_proofs()
        self.assertEqual(request.state, "pending")
        self.assertTrue(self.manager_activities(request))

        self.remove(request, first)
        self.assertEqual(request.state, "pending", "one proof is left")

        self.remove(request, second)
        self.assertEqual(request.state, "awaiting_proof")
        self.assertFalse(self.manager_activities(request), "nothing to review without a proof")
        self.assertEqual(self.row_of(self.get_page(), request)["status"], "Pending")

    def test_a_decided_requests_proof_stays(self):
        rejected = self.open_request(self.package)
        self.upload(rejected, "receipt.png", image_bytes("PNG"), "image/png")
        rejected_proof = rejected._get_customer_proofs()
        self.accept(self.request)
        self.reject(rejected)

        for request, proof in ((self.request, self.proof), (rejected, rejected_proof)):
            with self.subTest(state=request.state), self.assert_nothing_changed():
                response = self.remove(request, proof)

                self.assert_redirected(response, "proof_error=decided")
                self.assertTrue(proof.exists())
                tree = self.get_page()
                self.assertFalse(tree.xpath("//*[hasclass('o_credit_proof_remove')]"))
                self.assertEqual(self.row_of(tree, request)["proofs"], [proof.name])

    def test_removing_another_file_or_without_the_sessions_token_is_refused(self):
        agency_file = self.agency_file(self.request)
        hugo_request, hugo_proof = self.hugos_request_and_proof()

        for request, attachment, csrf_token, status in (
            (self.request, agency_file, True, 404),
            (self.request, hugo_proof, True, 404),
            (hugo_request, hugo_proof, True, 404),
            (self.request, self.proof, False, 400),
        ):
            with (
                self.subTest(attachment=attachment.name, csrf=csrf_token),
                self.assert_nothing_changed(),
            ):
                with mute_logger("odoo.http"):
                    response = self.remove(request, attachment, csrf_token=csrf_token)

                self.assertEqual(response.status_code, status)
                self.assertTrue(attachment.exists())


@tagged("post_install", "-at_install")
class TestCreditRequestPayment(CreditRequestPortalCase):
    def setUp(self):
        super().setUp()
        self.authenticate("portal_ada", "portal_ada")

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
            self.instructions(status),
            {
                "amount": "$ 100.00",
                "coin": "USDC",
                "network": "Ethereum (ERC-20)",
                "address": "0xABCDEF0123456789",
                "reference": tx.reference,
            },
        )
        self.assertEqual(
            status.xpath("//a[hasclass('o_credit_request_link')]/@href"), [REQUESTS_URL]
        )
        request = self.request_of(tx)
        self.assertEqual(request.state, "pending")
        row = self.row_of(self.get_page(), request)
        self.assertEqual(
            (row["method"], row["amount"], row["credits"], row["status"]),
            ("Cryptocurrency", "$ 100.00", "120.00 credits", "Pending"),
        )
        self.assertEqual(self.wallet.balance, 0.0, "nothing credited before the agency accepts")

    def test_status_page_of_a_pending_transfer_says_where_to_send_the_money(self):
        self.transfer.pending_msg = "<p>Transfers take two working days.</p>"

        status, tx = self.buy(self.package, self.transfer, self.transfer_method)

        self.assertEqual(self.request_of(tx).state, "pending")
        self.assertEqual(
            self.instructions(status),
            {
                "amount": "$ 100.00",
                "holder": self.company.partner_id.name,
                "bank": "First Harbor Bank",
                "bic": "FHBKUS33XXX",
                "account": "4021 7788 1290 3355",
                "reference": tx.reference,
            },
        )
        message = self.text(status, "//*[@id='o_payment_status_message_details']")
        self.assertIn("Transfers take two working days.", message, "the provider's own words")
        self.assertIn("Your credits are added once we have received your payment.", message)
        self.assertNotIn("Please wait", message)
        # the reference to quote is said once, in the instructions (not as Odoo's communication)
        self.assertNotIn("Communication", message)
        self.assertEqual(
            status.xpath("//a[hasclass('o_credit_request_link')]/@href"), [REQUESTS_URL]
        )

    def test_status_page_of_an_invoice_paid_by_transfer_is_odoos(self):
        invoice = self.init_invoice(
            "out_invoice", partner=self.customer, amounts=[100.0], post=True
        )
        result, error = self.call_route(
            f"/invoice/transaction/{invoice.id}",
            self.payment_params(
                self.transfer,
                self.transfer_method,
                invoice.amount_total,
                invoice._portal_ensure_token(),
                invoice.get_portal_url(),
            ),
        )
        self.assertFalse(error)
        with mute_logger("odoo.addons.payment_custom.controllers.main"):
            response = self.url_open(
                "/payment/custom/process", data={"reference": result["reference"]}
            )
        status = html.fromstring(response.content)

        self.assertFalse(status.xpath("//*[hasclass('o_credit_instructions')]"))
        self.assertFalse(status.xpath("//a[hasclass('o_credit_request_link')]"))
        self.assertIn(
            f"Communication: {invoice.payment_reference}",
            self.text(status, "//*[@id='o_payment_status_message_details']"),
        )
