from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestCreditDemo(TransactionCase):
    """The demo tells the truth: its history was made by the flows customers and the agency
    use, over months, and the books agree with it. The test database has the demo data: a
    missing record fails here rather than skipping."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.ref("base.main_company")
        cls.northwind = cls.env.ref("credit_wallet.demo_wallet_northwind")

    def test_northwind_history_is_months_of_real_movements(self):
        entries = self.northwind.entry_ids.sorted("id")
        months = {entry.date.strftime("%Y-%m") for entry in entries}
        self.assertGreaterEqual(len(months), 5, "the history spans several months")
        self.assertEqual(entries.mapped("date"), sorted(entries.mapped("date")), "oldest first")
        self.assertEqual(
            entries.mapped("date")[0].date(),
            entries[0].move_id.date,
            "the journal entry is dated as the movement",
        )
        kinds = entries.mapped("kind")
        self.assertLessEqual({"purchase", "bonus", "spend", "return"}, set(kinds))
        self.assertEqual(kinds.count("adjustment"), 1, "one goodwill adjustment, no more")
        accepted = self.env["credit.request"].search(
            [("partner_id", "=", self.northwind.partner_id.id), ("state", "=", "accepted")]
        )
        self.assertTrue(accepted)
        self.assertIn("purchase", accepted.payment_transaction_id.credit_entry_ids.mapped("kind"))
        card = entries.filtered(
            lambda entry: entry.kind == "purchase"
            and entry.payment_transaction_id.provider_code == "demo"
        )
        self.assertEqual(len(card), 2, "a package with bonus and one without, by card")
        returned = entries.filtered(lambda entry: entry.kind == "return")
        self.assertEqual(returned.payment_transaction_id.invoice_ids.move_type, "out_refund")
        self.assertGreaterEqual(self.northwind.balance, 300.0)

    def test_requests_in_each_decision(self):
        requests = self.env["credit.request"].search(
            [("partner_id", "=", self.northwind.partner_id.id)]
        )
        self.assertEqual(sorted(requests.mapped("state")), ["accepted", "pending", "rejected"])
        rejected = requests.filtered(lambda request: request.state == "rejected")
        self.assertTrue(rejected.rejection_reason)
        self.assertEqual(rejected.payment_transaction_id.state, "cancel")

    def test_the_open_documents_wait_for_credits(self):
        invoice = self.env.ref("credit_wallet.demo_invoice_seo")
        self.assertEqual(invoice.payment_state, "not_paid")
        self.assertEqual(self.env.ref("credit_wallet.demo_quotation_logo").state, "sent")
        self.assertGreater(self.northwind.balance, invoice.amount_residual)

    def test_euro_customer_spending_books_an_exchange_difference(self):
        euro_customer = self.env.ref("credit_wallet.demo_partner_lumen")
        spend = self.env["credit.ledger.entry"].search(
            [("partner_id", "=", euro_customer.id), ("kind", "=", "spend")]
        )
        self.assertEqual(spend.payment_transaction_id.currency_id, self.env.ref("base.EUR"))
        exchange_lines = spend.move_id.line_ids.filtered(
            lambda line: line.account_id == self.company.credit_exchange_account_id
        )
        self.assertTrue(exchange_lines)
        self.assertFalse(self.company.currency_id.is_zero(sum(exchange_lines.mapped("balance"))))
        self.assertTrue(
            self.env.ref("credit_wallet.demo_user_customer_eu").has_group("base.group_portal")
        )

    def test_books_agree(self):
        self.assertEqual(self.env["credit.audit.finding"]._run_audit(), [])
        for report in self.env["credit.reconciliation.report"].search([]):
            self.assertAlmostEqual(report.difference, 0.0, places=2, msg=report.company_id.name)
