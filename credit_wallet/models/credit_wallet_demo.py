from contextlib import contextmanager

from odoo import Command, api, fields, models
from odoo.tools import SQL

# Demo data only. The rows a step of the demo history creates, with their date columns, and
# the columns a step sets on rows created earlier (a request decided, an order confirmed).
DEMO_NEW_ROW_DATES = {
    "credit_ledger_entry": ["date", "create_date", "write_date"],
    "credit_request": ["create_date", "write_date"],
    "payment_transaction": ["create_date", "write_date", "last_state_change"],
    "account_move": ["date", "invoice_date", "invoice_date_due", "create_date", "write_date"],
    "account_move_line": ["date", "invoice_date", "date_maturity", "create_date", "write_date"],
    "account_payment": ["date", "create_date", "write_date"],
    "account_partial_reconcile": ["max_date", "create_date", "write_date"],
    "sale_order": ["date_order", "create_date", "write_date"],
    "sale_order_line": ["create_date", "write_date"],
    "mail_message": ["date", "create_date", "write_date"],
}
DEMO_DECISION_DATES = {
    "credit_request": ["decided_date"],
    "payment_transaction": ["last_state_change"],
}


class CreditWallet(models.Model):
    """Demo data only: the customers' credit history, made through the add-on's own flows."""

    # one file per concern, on purpose (README, "Code layout")
    _inherit = "credit.wallet"  # pylint: disable=consider-merging-classes-inherited

    @api.model
    def _credit_demo_build_history(self):
        """Demo data only (demo/credit_wallet_history_demo.xml): six months of Northwind
        Studio's, Lumen Atelier's and Harbor Retail's credits, each movement made as a customer
        or an employee makes it (card purchases, bank transfers accepted and crypto rejected,
        orders and invoices paid with credits, a credit note returned to credits, one goodwill
        adjustment), then dated back to when it happened, oldest first."""
        ref = self.env.ref
        admin = self.with_user(ref("base.user_admin")).env
        nora = ref("credit_wallet.demo_partner_nora")
        elise = ref("credit_wallet.demo_partner_elise")
        iris = ref("credit_wallet.demo_partner_harbor_iris")
        growth = ref("credit_wallet.demo_package_growth")
        transfer = ref("payment.payment_provider_transfer")
        seo = ref("credit_wallet.demo_product_seo_report")
        logo = ref("credit_wallet.demo_product_logo_refresh")
        banners = ref("credit_wallet.demo_product_banner_set")

        with self._credit_demo_dated(176):
            self._credit_demo_buy_by_card(nora, growth)
        with self._credit_demo_dated(168):
            self._credit_demo_pay_in_portal(nora, self._credit_demo_invoice(nora, seo))
        with self._credit_demo_dated(161):
            order = self._credit_demo_order(nora, logo | banners, "Autumn campaign kick-off")
            self._credit_demo_pay_in_portal(nora, order.invoice_ids)
        with self._credit_demo_dated(152):
            self._credit_demo_buy_by_card(elise, ref("credit_wallet.demo_package_growth_eur"))
        with self._credit_demo_dated(138):
            invoice = self._credit_demo_invoice(nora, seo)
            admin["credit.invoice.payment"].create({"invoice_id": invoice.id}).action_pay()
        with self._credit_demo_dated(124):
            request = self._credit_demo_request(nora, growth, transfer)
        with self._credit_demo_dated(121):
            admin["credit.request.accept"].create({"request_id": request.id}).action_accept()
        with self._credit_demo_dated(107):
            self._credit_demo_pay_in_portal(nora, self._credit_demo_invoice(nora, seo))
        with self._credit_demo_dated(96):
            banners_invoice = self._credit_demo_invoice(nora, banners, quantity=2)
            self._credit_demo_pay_in_portal(nora, banners_invoice)
        with self._credit_demo_dated(92):
            # the campaign was called off before the banners were made
            self._credit_demo_return_credit_note(banners_invoice, "Campaign called off")
        with self._credit_demo_dated(84):
            crypto_request = self._credit_demo_request(
                nora,
                ref("credit_wallet.demo_package_starter"),
                ref("credit_wallet.payment_provider_crypto"),
            )
        with self._credit_demo_dated(76):
            self._credit_demo_pay_in_portal(nora, self._credit_demo_invoice(nora, seo))
        with self._credit_demo_dated(70):
            admin["credit.request.reject"].create(
                {
                    "request_id": crypto_request.id,
                    "reason": "No payment with this reference reached our wallet within 14 days.",
                }
            ).action_reject()
        with self._credit_demo_dated(66):
            self._credit_demo_buy_by_card(nora, ref("credit_wallet.demo_package_starter"))
        with self._credit_demo_dated(61):
            invoice = self._credit_demo_invoice(elise, logo | seo, currency=ref("base.EUR"))
            self._credit_demo_pay_in_portal(elise, invoice)
        with self._credit_demo_dated(53):
            order = self._credit_demo_order(nora, banners, "Holiday banners")
            self._credit_demo_pay_in_portal(nora, order.invoice_ids)
        with self._credit_demo_dated(47):
            admin["credit.wallet.adjustment"].create(
                {
                    "wallet_id": self._get_or_create_wallet(nora).id,
                    "direction": "in",
                    "amount": 25,
                    "reason": "Goodwill: the holiday banners were delivered a week late",
                }
            ).action_apply()
        with self._credit_demo_dated(45):
            self._credit_demo_pay_in_portal(nora, self._credit_demo_invoice(nora, seo))
        with self._credit_demo_dated(43):
            harbor_request = self._credit_demo_request(
                iris, ref("credit_wallet.demo_package_agency"), transfer
            )
        with self._credit_demo_dated(40):
            admin["credit.request.accept"].create({"request_id": harbor_request.id}).action_accept()
        with self._credit_demo_dated(15):
            self._credit_demo_pay_in_portal(nora, self._credit_demo_invoice(nora, seo))
        with self._credit_demo_dated(9):
            # Harbor Retail asked for auto-pay: its invoice is paid from credits once posted
            invoice = self._credit_demo_invoice(iris, ref("credit_wallet.demo_product_retainer"))
            invoice._credit_autopay()
        with self._credit_demo_dated(3):
            self._credit_demo_request(nora, growth, transfer)
        self._credit_demo_date_rates(180)

    # -------------------------------------------------------------------------
    # Demo data only: the flows, as the portal and the backend run them
    # -------------------------------------------------------------------------

    @api.model
    def _credit_demo_purchase(self, contact, package, provider):
        """A draft purchase of ``package``, as the Buy Credits route creates it."""
        return (
            self.env["payment.transaction"]
            .sudo()
            ._credit_create_purchase(
                {
                    "provider_id": provider.id,
                    "payment_method_id": provider.payment_method_ids[:1].id,
                    "amount": package.price,
                    "currency_id": package.currency_id.id,
                    "partner_id": contact.id,
                    "operation": "online_redirect",
                    "credit_wallet_id": self._get_or_create_wallet(contact).id,
                    "credit_package_id": package.id,
                    "credit_amount": package.credit_amount,
                }
            )
        )

    @api.model
    def _credit_demo_buy_by_card(self, contact, package):
        """The customer pays ``package`` with payment_demo's card: the provider confirms, the
        status page post-processes."""
        provider = self.env.ref("payment.payment_provider_demo")
        tx = self._credit_demo_purchase(contact, package, provider)
        tx._handle_notification_data("demo", {"reference": tx.reference, "simulated_state": "done"})
        tx._post_process()

    @api.model
    def _credit_demo_request(self, contact, package, provider):
        """The customer buys ``package`` by transfer or crypto: the purchase waits, its credit
        request opens."""
        tx = self._credit_demo_purchase(contact, package, provider)
        tx._set_pending()
        return tx.credit_request_ids

    @api.model
    def _credit_demo_invoice(self, customer, products, quantity=1, currency=None):
        """A posted invoice of the agency's services to ``customer``'s company."""
        values = {"currency_id": currency.id} if currency else {}
        invoice = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": customer.commercial_partner_id.id,
                "invoice_line_ids": [
                    Command.create({"product_id": product.id, "quantity": quantity})
                    for product in products
                ],
                **values,
            }
        )
        invoice.action_post()
        return invoice

    @api.model
    def _credit_demo_order(self, contact, products, reference):
        """An order of ``contact``'s, confirmed by the salesperson and invoiced.

        Not paid online as a quotation: Odoo then emails the order confirmation with its PDF,
        which cannot be printed while the module installs.
        """
        order = self.env["sale.order"].create(
            {
                "partner_id": contact.id,
                "client_order_ref": reference,
                "order_line": [
                    Command.create({"product_id": product.id, "product_uom_qty": 1})
                    for product in products
                ],
            }
        )
        order.action_confirm()
        order._create_invoices().action_post()
        return order

    @api.model
    def _credit_demo_pay_in_portal(self, contact, invoice):
        """``contact`` pays ``invoice`` with Credits on its portal page: the transaction the
        Credits option creates, settled and post-processed as its route does."""
        tx = (
            self.env["payment.transaction"]
            .sudo()
            ._credit_create(
                invoice._credit_transaction_values(
                    invoice._credit_amount_due(),
                    contact,
                    operation="online_redirect",
                    credit_document_fingerprint=invoice._credit_fingerprint(),
                )
            )
        )
        tx._credit_process()
        return tx

    @api.model
    def _credit_demo_return_credit_note(self, invoice, reason):
        """An accountant issues the credit note of ``invoice`` and returns it to credits."""
        env = self.with_user(self.env.ref("base.user_admin")).env
        reversal = (
            env["account.move.reversal"]
            .with_context(active_model="account.move", active_ids=invoice.ids)
            .create({"reason": reason, "journal_id": invoice.journal_id.id})
        )
        credit_note = env["account.move"].browse(reversal.refund_moves()["res_id"])
        credit_note.action_post()
        env["credit.note.return"].create({"credit_note_id": credit_note.id}).action_return()

    # -------------------------------------------------------------------------
    # Demo data only: dating what a step made
    # -------------------------------------------------------------------------

    @contextmanager
    def _credit_demo_dated(self, days_ago):
        """What the block creates (and the decisions it takes) is dated ``days_ago`` days
        back; journal entries moved to another period get that period's next number."""
        env, cr = self.env, self.env.cr
        env.flush_all()
        last_ids = {}
        for table in DEMO_NEW_ROW_DATES:
            cr.execute(SQL("SELECT COALESCE(MAX(id), 0) FROM %s", SQL.identifier(table)))
            last_ids[table] = cr.fetchone()[0]
        started = fields.Datetime.now()
        yield
        env.flush_all()
        back = SQL("%s * INTERVAL '1 day'", days_ago)
        for table, columns in DEMO_NEW_ROW_DATES.items():
            cr.execute(
                SQL(
                    "UPDATE %s SET %s WHERE id > %s",
                    SQL.identifier(table),
                    SQL(", ").join(
                        SQL("%s = %s - %s", SQL.identifier(column), SQL.identifier(column), back)
                        for column in columns
                    ),
                    last_ids[table],
                )
            )
        for table, columns in DEMO_DECISION_DATES.items():
            for column in columns:
                cr.execute(
                    SQL(
                        "UPDATE %s SET %s = %s - %s WHERE id <= %s AND %s >= %s",
                        SQL.identifier(table),
                        SQL.identifier(column),
                        SQL.identifier(column),
                        back,
                        last_ids[table],
                        SQL.identifier(column),
                        started,
                    )
                )
        env.invalidate_all()
        moves = env["account.move"].search(
            [("id", ">", last_ids["account_move"]), ("state", "=", "posted")], order="id"
        )
        for move in moves.filtered(lambda move: not move._sequence_matches_date()):
            move._set_next_sequence()
        env.flush_all()

    @api.model
    def _credit_demo_date_rates(self, days_ago):
        """The companies' conversion rates were set before the history began."""
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "UPDATE credit_conversion_rate SET date_start = date_start - %s * INTERVAL '1 day'",
                days_ago,
            )
        )
        self.env.invalidate_all()
