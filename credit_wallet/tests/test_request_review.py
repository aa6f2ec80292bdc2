"""The credit requests queue in the backend: one review activity per request, the To Review
count, what a card shows, and a rejected purchase read as Rejected."""

from ast import literal_eval

from lxml import etree

from odoo.tests import new_test_user, tagged

from .test_request import CreditRequestCommon


@tagged("post_install", "-at_install")
class TestCreditRequestReview(CreditRequestCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # a second credit manager of the company: still one activity per request
        cls.other_manager = new_test_user(
            cls.env,
            login="credit_manager_2",
            groups="base.group_user,credit_wallet.group_credit_manager",
            company_id=cls.company.id,
            company_ids=[cls.company.id],
        )

    def reviews(self, requests):
        todo = self.env.ref("mail.mail_activity_data_todo")
        return requests.activity_ids.filtered(lambda activity: activity.activity_type_id == todo)

    def arch(self, model, view_type, action_xmlid=None):
        action = action_xmlid and self.env.ref(action_xmlid)
        view_id = action.view_id.id if action else False
        views = self.env[model].get_views([(view_id, view_type)])
        return etree.fromstring(views["views"][view_type]["arch"])

    def filter_domain(self, name):
        search = self.arch("credit.request", "search")
        return literal_eval(search.xpath(f"//filter[@name='{name}']")[0].get("domain"))

    def test_each_request_has_one_review_activity_for_the_reviewer(self):
        requests = self.open_request() | self.open_request(self.package)

        for request in requests:
            review = self.reviews(request)
            self.assertEqual(len(review), 1, "one activity, however many credit managers")
            self.assertEqual(review.user_id, self.manager)
            self.assertEqual(review.summary, "Review credit request")
            self.assertIn("Brightline Ltd", review.note)

        # a proof arriving tells the reviewer on the same activity
        first = requests[0]
        first.sudo()._add_proof("receipt.pdf", b"%PDF-1.4 receipt", "application/pdf")
        review = self.reviews(first)
        self.assertEqual(len(review), 1)
        self.assertIn("added a proof of payment", review.note)
        self.assertIn("Brightline Ltd", review.note)

        self.accept(first)
        self.assertFalse(self.reviews(first), "decided: nothing left to review")
        self.assertEqual(len(self.reviews(requests[1])), 1)

    def test_a_required_proof_brings_the_one_review_activity(self):
        self.company.credit_proof_required = True
        request = self.open_request()
        self.assertFalse(self.reviews(request), "waiting for the customer, not the agency")

        for filename in ("receipt.pdf", "second-page.pdf"):
            request.sudo()._add_proof(filename, b"%PDF-1.4 receipt", "application/pdf")

        self.assertEqual(request.state, "pending")
        self.assertEqual(len(self.reviews(request)), 1)
        self.assertEqual(self.reviews(request).user_id, self.manager)

    def test_without_a_reviewer_the_first_credit_manager_reviews(self):
        first_manager = self.env["res.users"]._credit_managers(self.company).sorted("id")[:1]
        self.assertTrue(first_manager)

        self.company.credit_request_reviewer_id = False
        self.assertEqual(self.reviews(self.open_request()).user_id, first_manager)

        # a reviewer who is no longer a credit manager gets nothing
        self.company.credit_request_reviewer_id = self.other_manager
        self.other_manager.groups_id -= self.env.ref("credit_wallet.group_credit_manager")
        self.assertEqual(self.reviews(self.open_request()).user_id, first_manager)

    def test_to_review_counts_the_requests_waiting_for_a_decision(self):
        pending = self.open_request() | self.open_request(self.package)
        accepted, rejected = self.open_request(), self.open_request()
        self.accept(accepted)
        self.reject(rejected)
        self.company.credit_proof_required = True
        awaiting = self.open_request()
        requests = pending | accepted | rejected | awaiting
        Request = self.env["credit.request"]
        mine = [("id", "in", requests.ids)]

        to_review = Request.search(self.filter_domain("filter_to_review") + mine)
        self.assertEqual(to_review, pending)
        self.assertEqual(len(self.reviews(requests)), len(to_review), "one activity each")
        self.assertEqual(
            Request.search(self.filter_domain("filter_awaiting_proof") + mine), awaiting
        )

        # the menu opens both filters; the kanban's columns count what each filter counts
        context = literal_eval(self.env.ref("credit_wallet.credit_request_action").context)
        self.assertTrue(context["search_default_filter_to_review"])
        self.assertTrue(context["search_default_filter_awaiting_proof"])
        opened = ["|"] + self.filter_domain("filter_to_review")
        opened += self.filter_domain("filter_awaiting_proof")
        columns = {
            group["state"]: group["state_count"]
            for group in Request.read_group(opened + mine, ["state"], ["state"])
        }
        self.assertEqual(
            columns, {"awaiting_proof": 1, "pending": len(to_review), "accepted": 0, "rejected": 0}
        )

    def test_the_card_labels_the_money_paid_and_the_credits_it_adds(self):
        card = self.arch("credit.request", "kanban").xpath("//t[@t-name='card']")[0]

        labelled = {
            row.xpath("string(./span)").strip(): row.xpath("./field/@name")[0]
            for row in card.xpath(".//div[span and field]")
        }

        self.assertEqual(labelled, {"Paid": "amount", "Credits": "credit_amount"})

    def test_a_rejected_purchase_reads_rejected_as_in_the_portal(self):
        rejected = self.open_request()
        waiting = self.open_request()
        self.reject(rejected)
        cancelled = self.create_transfer_tx()
        cancelled._set_canceled()
        Tx = self.env["payment.transaction"]
        labels = dict(Tx._fields["credit_purchase_state"]._description_selection(self.env))

        for tx, state, label in (
            (rejected.payment_transaction_id, "cancel", "Rejected"),
            (waiting.payment_transaction_id, "pending", "Pending"),
            (cancelled, "cancel", "Canceled"),
        ):
            with self.subTest(label=label):
                self.assertEqual(tx.state, state, "Odoo's state is kept")
                self.assertEqual(labels[tx.with_user(self.manager).credit_purchase_state], label)
        self.assertEqual(rejected._get_portal_state(), "rejected")

        # the Purchases list shows that status and filters the rejected ones
        purchases = self.arch("payment.transaction", "list", "credit_wallet.credit_purchase_action")
        self.assertTrue(purchases.xpath("//field[@name='credit_purchase_state']"))
        search = self.arch("payment.transaction", "search")
        domain = literal_eval(
            search.xpath("//filter[@name='filter_credit_rejected']")[0].get("domain")
        )
        self.assertEqual(Tx.search(domain), rejected.payment_transaction_id)
