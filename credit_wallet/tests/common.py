import json
from contextlib import contextmanager
from unittest.mock import patch
from urllib.parse import urlencode

from lxml import html

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import HttpCase, new_test_user
from odoo.tools import mute_logger

from odoo.addons.account.tests.common import AccountTestInvoicingCommon
from odoo.addons.account_payment.tests.common import AccountPaymentCommon

# what a customer or an accountant would see move, in every company: {model: fields}
MONEY_FIELDS = {
    "credit.wallet": ["partner_id", "company_id", "balance"],
    "credit.ledger.entry": [
        "wallet_id",
        "partner_id",
        "amount",
        "running_balance",
        "description",
        "move_id",
        "payment_transaction_id",
    ],
    "account.move": ["state", "partner_id", "amount_total", "amount_residual", "payment_state"],
    "account.move.line": [
        "move_id",
        "account_id",
        "partner_id",
        "company_id",
        "currency_id",
        "debit",
        "credit",
        "amount_currency",
        "amount_residual",
        "parent_state",
    ],
    "account.payment": ["state", "partner_id", "amount", "journal_id", "move_id"],
    "payment.transaction": [
        "reference",
        "operation",
        "provider_id",
        "state",
        "amount",
        "currency_id",
        "partner_id",
        "invoice_ids",
        "sale_order_ids",
        "credit_wallet_id",
        "credit_amount",
        "credit_returned_amount",
        "credit_taken_back_amount",
        "credit_autopay",
    ],
    "credit.request": ["state", "proof_count", "message_ids", "activity_ids"],
    "sale.order": ["state", "amount_total", "amount_paid"],
}


class CreditRpcMixin:
    """ORM calls over JSON-RPC, as a browser or a script sends them (with HttpCase)."""

    def call_kw(self, model, method, args, kwargs=None):
        """The JSON-RPC answer, error included, of one ORM call by the signed-in user."""
        params = {"model": model, "method": method, "args": args, "kwargs": kwargs or {}}
        return self.jsonrpc(f"/web/dataset/call_kw/{model}/{method}", params)

    def call_route(self, url, params):
        """A JSON route's answer as (result, error message)."""
        answer = self.jsonrpc(url, params)
        return answer.get("result"), answer.get("error", {}).get("data", {}).get("message")

    def jsonrpc(self, url, params):
        response = self.url_open(
            url,
            data=json.dumps({"jsonrpc": "2.0", "method": "call", "id": 1, "params": params}),
            headers={"Content-Type": "application/json"},
        )
        self.assertEqual(response.status_code, 200, url)
        return response.json()


class CreditWalletCommon(AccountTestInvoicingCommon):
    """A company with credits enabled, two customers with wallets, and users of each role."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.company.credit_payment_enabled = True
        cls.credit_account = cls.company.credit_account_id
        cls.adjustment_account = cls.company.credit_adjustment_account_id
        cls.credit_journal = cls.company.credit_journal_id
        cls.env.user.groups_id += cls.env.ref("credit_wallet.group_credit_manager")

        cls.customer = cls.env["res.partner"].create({"name": "Brightline Ltd", "is_company": True})
        cls.contact = cls.env["res.partner"].create(
            {"name": "Ada Brightline", "parent_id": cls.customer.id, "email": "ada@bright.test"}
        )
        cls.other_customer = cls.env["res.partner"].create(
            {"name": "Harbour & Co", "is_company": True}
        )
        cls.other_contact = cls.env["res.partner"].create(
            {"name": "Hugo Harbour", "parent_id": cls.other_customer.id, "email": "hugo@harb.test"}
        )
        cls.wallet = cls.env["credit.wallet"]._get_or_create_wallet(cls.customer)
        cls.other_wallet = cls.env["credit.wallet"]._get_or_create_wallet(cls.other_customer)
        # the portal shows the credits of the website's company: the default website's is this one
        cls.website = cls.env.ref("website.default_website")
        cls.website.company_id = cls.company

        cls.manager = cls.new_company_user("credit_manager", "credit_wallet.group_credit_manager")
        cls.credit_user = cls.new_company_user("credit_user", "credit_wallet.group_credit_user")
        cls.billing_user = cls.new_company_user("billing_bea", "account.group_account_invoice")
        cls.portal_user = new_test_user(
            cls.env,
            login="portal_ada",
            password="portal_ada",
            groups="base.group_portal",
            partner_id=cls.contact.id,
        )
        cls.other_portal_user = new_test_user(
            cls.env,
            login="portal_hugo",
            password="portal_hugo",
            groups="base.group_portal",
            partner_id=cls.other_contact.id,
        )

    @classmethod
    def new_company_user(cls, login, groups):
        """An employee of the test company only, with ``groups`` (password: the login)."""
        return new_test_user(
            cls.env,
            login=login,
            groups=f"base.group_user,{groups}",
            company_id=cls.company.id,
            company_ids=[cls.company.id],
        )

    @contextmanager
    def assertRefused(self, message):
        """A UserError saying ``message``; Odoo's assertRaises rolls back what was written."""
        with self.assertRaises(UserError) as refusal:
            yield
        self.assertIn(message, str(refusal.exception))

    def money_snapshot(self):
        """Every record of MONEY_FIELDS, in every company, as the database holds it (what an
        HTTP request wrote included): ``{(model, id): {field: value}}``."""
        self.env.invalidate_all()  # flushes first
        snapshot = {}
        for model, field_names in MONEY_FIELDS.items():
            Model = self.env[model].sudo().with_context(active_test=False)
            for record in Model.search_fetch([], field_names):
                snapshot[model, record.id] = {
                    name: record[name].ids if Model._fields[name].relational else record[name]
                    for name in field_names
                }
        return snapshot

    @contextmanager
    def assert_nothing_changed(self, msg=None):
        """The block creates, deletes and changes no record of money_snapshot(); a failure
        lists the records that differ as (before, after)."""
        before = self.money_snapshot()
        yield
        after = self.money_snapshot()
        changes = {
            key: (before.get(key), after.get(key))
            for key in sorted(before.keys() | after.keys())
            if before.get(key) != after.get(key)
        }
        self.assertEqual(changes, {}, msg)

    def new_colleague_portal_user(self, login="portal_bea"):
        """A portal account (password: the login) for Bea, another contact of Brightline."""
        colleague = self.env["res.partner"].create(
            {"name": "Bea Brightline", "parent_id": self.customer.id, "email": "bea@bright.test"}
        )
        return new_test_user(
            self.env,
            login=login,
            password=login,
            groups="base.group_portal",
            partner_id=colleague.id,
        )

    def adjust(self, wallet, amount, reason="Test adjustment", user=None):
        """Post ``amount`` (signed) through the manager's adjustment wizard."""
        wizard = (
            self.env["credit.wallet.adjustment"]
            .with_user(user or self.env.user)
            .create(
                {
                    "wallet_id": wallet.id,
                    "direction": "in" if amount > 0 else "out",
                    "amount": abs(amount),
                    "reason": reason,
                }
            )
        )
        wizard.action_apply()
        return self.env["credit.ledger.entry"].search([("wallet_id", "=", wallet.id)], limit=1)

    def credit_account_balance(self, company=None):
        """Balance (credit - debit) of the posted journal items on the Customer Credit account."""
        company = company or self.company
        groups = self.env["account.move.line"]._read_group(
            [
                ("account_id", "=", company.credit_account_id.id),
                ("company_id", "=", company.id),
                ("parent_state", "=", "posted"),
            ],
            aggregates=["debit:sum", "credit:sum"],
        )
        debit, credit = groups[0]
        return company.currency_id.round(credit - debit)

    def assert_invariants(self, company=None):
        """DESIGN.md invariants 1 to 3, checked from the database for every wallet, and the
        per-document audit (invariant 6), which finds nothing."""
        company = company or self.company
        self.env.flush_all()
        self.env.invalidate_all()
        wallets = self.env["credit.wallet"].search([("company_id", "=", company.id)])
        for wallet in wallets:
            entries = wallet.entry_ids  # newest first
            self.assertAlmostEqual(wallet.balance, sum(entries.mapped("amount")), places=2)
            self.assertAlmostEqual(wallet.balance, entries[:1].running_balance or 0.0, places=2)
            self.assertGreaterEqual(wallet.balance, 0.0)
            # every intermediate running balance is the sum of the entries up to it
            total = 0.0
            for entry in entries.sorted("id"):
                total += entry.amount
                self.assertAlmostEqual(entry.running_balance, total, places=2)
        # credits x a credit's value (1 / the company currency's rate) are on Customer Credit
        credits = sum(wallets.mapped("balance"))
        self.assertAlmostEqual(
            company._credit_book_value(credits), self.credit_account_balance(company), places=2
        )
        report = self.env["credit.reconciliation.report"].search([("company_id", "=", company.id)])
        self.assertAlmostEqual(report.difference, 0.0, places=2)
        self.assertAlmostEqual(report.wallet_credits, credits, places=2)
        self.assertAlmostEqual(report.wallet_total, company._credit_book_value(credits), places=2)
        self.assertEqual(self.env["credit.audit.finding"]._run_audit(company), [])


class CreditTopupCommon(CreditWalletCommon, AccountPaymentCommon):
    """Published credit packages and payment_demo's instant provider in the test company, on
    Odoo's payment fixtures (``_prepare_provider``, ``_create_transaction``, ``_create_token``)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.require_module("payment_demo")
        # the payment forms offer the providers the tests set up, not Odoo's dummy one
        cls.dummy_provider.state = "disabled"
        Package = cls.env["credit.package"]
        cls.package = Package.create(
            {"name": "Starter", "credit_amount": 100.0, "price": 100.0, "is_published": True}
        )
        cls.bonus_package = Package.create(
            {"name": "Growth", "credit_amount": 120.0, "price": 100.0, "is_published": True}
        )
        cls.provider = cls.prepare_credit_provider("demo")
        # the providers of the tests are in test mode; one test checks the setting off
        cls.company.credit_test_payments_allowed = True
        cls.payment_method = cls.env.ref("payment_demo.payment_method_demo")
        # Odoo's _create_transaction and _create_token: Ada pays by demo card, in dollars
        cls.payment_method_id = cls.payment_method.id
        cls.partner = cls.contact
        cls.currency = cls.company.currency_id
        cls.outstanding_account = cls.provider.journal_id.inbound_payment_method_line_ids.filtered(
            lambda line: line.payment_provider_id == cls.provider
        ).payment_account_id

    def buy_transaction_params(self, form, **overrides):
        """What payment_form.js posts to a Buy Credits transaction route (demo provider)."""
        return {
            "provider_id": self.provider.id,
            "payment_method_id": self.payment_method.id,
            "token_id": None,
            "amount": float(form["amount"]),
            "flow": "direct",
            "tokenization_requested": False,
            "landing_route": "/my/credits",
            "is_validation": False,
            "access_token": form["access_token"],
            **overrides,
        }

    @classmethod
    def allow_custom_amounts(cls, minimum=20.0, maximum=500.0):
        cls.company.write(
            {
                "credit_custom_amount_allowed": True,
                "credit_custom_amount_min": minimum,
                "credit_custom_amount_max": maximum,
            }
        )

    @classmethod
    def require_module(cls, name):
        """Fail, not skip: a skipped provider test would pass for what it never checked."""
        if cls.env["ir.module.module"]._get(name).state != "installed":
            raise AssertionError(
                f"{name} must be installed in the test database (scripts/test.sh installs it)"
            )

    @classmethod
    def prepare_credit_provider(cls, code, company=None, **values):
        """The ``code`` provider of ``company`` in test mode and published, copied there when
        missing."""
        return cls._prepare_provider(code, company, {"is_published": True, **values})

    def create_credit_tx(self, package=None, amount=None, partner=None, provider=None, **values):
        """A draft transaction buying ``package`` (or a custom ``amount``) for ``partner``."""
        partner = partner or self.contact
        provider = provider or self.provider
        if package is None and amount is None:
            package = self.package
        price = package.price if package else amount
        wallet = self.env["credit.wallet"]._get_or_create_wallet(partner, provider.company_id)
        return (
            self.env["payment.transaction"]
            .sudo()
            ._credit_create_purchase(
                {
                    "provider_id": provider.id,
                    "payment_method_id": values.pop(
                        "payment_method_id", provider.payment_method_ids[:1].id
                    ),
                    "amount": price,
                    "currency_id": (package or provider.company_id).currency_id.id,
                    "partner_id": partner.id,
                    "operation": "online_direct",
                    "credit_wallet_id": wallet.id,
                    "credit_package_id": package.id if package else False,
                    "credit_amount": package.credit_amount if package else amount,
                    **values,
                }
            )
        )

    def notify_demo(self, tx, state="done"):
        """What payment_demo's simulation route does when the provider answers."""
        self.env["payment.transaction"].sudo()._handle_notification_data(
            "demo", {"reference": tx.reference, "simulated_state": state}
        )

    def credit_entries(self, tx):
        return self.env["credit.ledger.entry"].search([("payment_transaction_id", "in", tx.ids)])


class CreditBuyPageCase(CreditRpcMixin, CreditTopupCommon, HttpCase):
    """The Buy Credits page as Ada, a portal customer, sees it (custom amounts allowed)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.allow_custom_amounts()

    def setUp(self):
        super().setUp()
        self.authenticate("portal_ada", "portal_ada")

    def open_buy_page(self, **params):
        response = self.url_open(f"/my/credits/buy?{urlencode(params)}")
        self.assertEqual(response.status_code, 200, params)
        return html.fromstring(response.content)

    def payment_form(self, **params):
        """The payment context of the Buy Credits page, as the payment form's JS reads it."""
        forms = self.open_buy_page(**params).xpath("//form[@id='o_payment_form']")
        self.assertEqual(len(forms), 1, f"the page shows one payment form: {params}")
        return {
            key: forms[0].get(f"data-{key.replace('_', '-')}")
            for key in ("amount", "currency_id", "transaction_route", "access_token")
        }


class CreditWebhookCase(CreditTopupCommon, HttpCase):
    """Deliver a provider's webhook notifications over HTTP, as Stripe or PayPal would."""

    @classmethod
    def prepare_stripe(cls):
        """Stripe in test mode, with the keys of Odoo's own Stripe tests."""
        cls.require_module("payment_stripe")
        return cls.prepare_credit_provider(
            "stripe",
            stripe_secret_key="sk_test_KJtHgNwt2KS3xM7QJPr4O5E8",
            stripe_publishable_key="pk_test_QSPnimmb4ZhtkEy3Uhdm4S6J",
            stripe_webhook_secret="whsec_vG1fL6CMUouQ7cObF2VJprLVXT5jBLxB",
        )

    webhook_url = None
    # the provider controller's authenticity check, patched as Odoo's own provider tests do
    webhook_check = None
    webhook_logger = None

    def deliver(self, event, times=1):
        with (
            patch(self.webhook_check) as authenticity_check,
            mute_logger(self.webhook_logger, "odoo.addons.payment.models.payment_transaction"),
        ):
            for _delivery in range(times):
                response = self.opener.post(f"{self.base_url()}{self.webhook_url}", json=event)
                self.assertEqual(response.status_code, 200)
        self.assertEqual(authenticity_check.call_count, times)
        self.env.invalidate_all()


class CreditSpendCommon(CreditWalletCommon):
    """The Credits provider, an eligible service, and helpers to pay orders and invoices."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        config = cls.env["ir.config_parameter"].sudo()
        config.set_param("account_payment.enable_portal_payment", True)
        # the demo database invoices paid orders at once; tests that want it say so
        config.set_param("sale.automatic_invoice", False)
        cls.credit_provider = cls.env["payment.provider"]._credit_get_provider(cls.company)
        cls.credit_method = cls.env.ref("credit_wallet.payment_method_credit")
        cls.credit_payment_journal = cls.company.credit_payment_journal_id
        cls.receivable = cls.company_data["default_account_receivable"]
        for partner in cls.customer | cls.other_customer:
            partner.property_account_receivable_id = cls.receivable
        cls.service = cls.env["product.product"].create(
            {
                "name": "Design Sprint",
                "type": "service",
                "list_price": 100.0,
                "invoice_policy": "order",
                "credit_eligible": True,
                "is_published": True,
                "taxes_id": [Command.clear()],
            }
        )
        cls.flyers = cls.env["product.product"].create(
            {
                "name": "Printed Flyers",
                "type": "consu",
                "list_price": 40.0,
                "is_published": True,
                "taxes_id": [Command.clear()],
            }
        )

    @classmethod
    def sell_on_the_website(cls):
        """The default website (the test company's) sells to customers whose addresses are
        complete (the checkout then goes straight to the payment step)."""
        for customer in cls.customer | cls.other_customer:
            customer.write(
                {
                    "street": "1 Harbour Street",
                    "city": "Springfield",
                    "zip": "62701",
                    "country_id": cls.env.ref("base.us").id,
                    "state_id": cls.env.ref("base.state_us_13").id,
                }
            )
        (cls.contact | cls.other_contact).phone = "+1 555 0100"

    def create_invoice(self, amount=100.0, partner=None, post=True, **values):
        invoice = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": (partner or self.customer).id,
                "invoice_line_ids": [
                    Command.create(
                        {
                            "product_id": self.service.id,
                            "price_unit": amount,
                            "tax_ids": [Command.clear()],
                        }
                    )
                ],
                **values,
            }
        )
        if post:
            invoice.action_post()
        return invoice

    def create_vendor_bill(self, amount=10.0, partner=None):
        bill = self.env["account.move"].create(
            {
                "move_type": "in_invoice",
                "partner_id": (partner or self.customer).id,
                "invoice_date": "2026-01-01",
                "invoice_line_ids": [
                    Command.create({"name": "Hosting", "price_unit": amount, "tax_ids": []})
                ],
            }
        )
        bill.action_post()
        return bill

    def create_quotation(self, products=None, partner=None, **values):
        """A sent quotation asking for full payment online, one unit of each product."""
        order = self.env["sale.order"].create(
            {
                "partner_id": (partner or self.contact).id,
                "require_payment": True,
                "prepayment_percent": 1.0,
                "order_line": [
                    Command.create({"product_id": product.id, "product_uom_qty": 1})
                    for product in (products or self.service)
                ],
                **values,
            }
        )
        order.action_quotation_sent()
        return order

    def create_spend_tx(self, document, amount=None, partner=None, **values):
        """The draft transaction a transaction route creates when the customer picks Credits."""
        field_name = "sale_order_ids" if document._name == "sale.order" else "invoice_ids"
        amount = document._credit_amount_due() if amount is None else amount
        return (
            self.env["payment.transaction"]
            .sudo()
            ._credit_create(
                {
                    "provider_id": self.credit_provider.id,
                    "payment_method_id": self.credit_method.id,
                    "amount": amount,
                    "currency_id": document.currency_id.id,
                    "credit_amount": document.company_id._credit_from_money(
                        amount, document.currency_id
                    ),
                    "partner_id": (partner or self.contact).id,
                    "operation": "online_redirect",
                    field_name: [Command.set(document.ids)],
                    "credit_document_fingerprint": document._credit_fingerprint(),
                    **values,
                }
            )
        )

    def pay_with_credits(self, document, **kwargs):
        tx = self.create_spend_tx(document, **kwargs)
        tx._credit_process()
        return tx

    def spend_entries(self, wallet=None):
        return (wallet or self.wallet).entry_ids.filtered(lambda e: e.kind == "spend")

    def credit_lines(self, move):
        return move.line_ids.filtered(lambda line: line.account_id == self.credit_account)

    def assert_paid_with_credits(self, document, balance, amount=100.0):
        """The wallet paid ``document`` once: one Out entry, one payment on the credit account.

        :return: the transaction that paid it
        """
        self.env.invalidate_all()
        self.assertEqual(self.wallet.balance, balance)
        entry = self.spend_entries()
        self.assertRecordValues(
            entry, [{"amount": -amount, "entry_type": "out", "reference": document}]
        )
        self.assertRecordValues(
            entry.move_id.line_ids.filtered("balance").sorted("balance"),
            [
                {"account_id": self.receivable.id, "balance": -amount},
                {"account_id": self.credit_account.id, "balance": amount},
            ],
        )
        tx = entry.payment_transaction_id
        self.assertRecordValues(
            tx, [{"state": "done", "amount": amount, "provider_id": self.credit_provider.id}]
        )
        self.assertEqual(tx.payment_id.move_id, entry.move_id)
        self.assert_invariants()
        return tx


class CreditTwoCompaniesCommon(CreditTopupCommon):
    """Two agency companies selling credits to one customer, Brightline.

    A is the test company (dollars), whose website is the default one (any host but
    localhost); B sells in euros on its own website, which answers on localhost. Brightline
    has a wallet in each, funded through the adjustment wizard; Ada, its portal contact, may
    work in A and B (A first). A's credit manager and accountant work in A only.
    """

    # figures of B that A's users must never read: no traceback line number looks like them
    WALLET_A_FUNDS = 61.25
    WALLET_B_FUNDS = 947.31
    PACKAGE_B_PRICE = 833.17
    PACKAGE_B_CREDITS = 871.43

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.euro = cls.setup_other_currency("EUR")
        cls.company_b_data = cls.setup_other_company(name="Agency B", currency_id=cls.euro.id)
        cls.company_b = cls.company_b_data["company"]
        cls.company_b.write({"credit_payment_enabled": True, "credit_test_payments_allowed": True})
        cls.website_b = cls.env["website"].create(
            {"name": "Agency B Shop", "company_id": cls.company_b.id, "domain": "localhost"}
        )
        cls.package_b = cls.env["credit.package"].create(
            {
                "name": "Agency B Pack",
                "credit_amount": cls.PACKAGE_B_CREDITS,
                "price": cls.PACKAGE_B_PRICE,
                "is_published": True,
                "company_id": cls.company_b.id,
            }
        )
        cls.provider_b = cls.prepare_credit_provider("demo", company=cls.company_b)
        cls.transfer_method = cls.env.ref("payment_custom.payment_method_wire_transfer")
        cls.transfer_b = (
            cls.env.ref("payment.payment_provider_transfer")
            .sudo()
            .copy({"company_id": cls.company_b.id})
        )
        cls.transfer_b.write({"state": "enabled", "is_published": True})
        cls.wallet_b = cls.env["credit.wallet"]._get_or_create_wallet(cls.customer, cls.company_b)
        cls.adjust(cls, cls.wallet, cls.WALLET_A_FUNDS, "Agency A opening")
        cls.adjust(cls, cls.wallet_b, cls.WALLET_B_FUNDS, "Agency B opening")
        cls.portal_user.company_ids = [Command.set((cls.company | cls.company_b).ids)]
        cls.accountant = cls.new_company_user("accountant_a", "account.group_account_manager")

    def site_b(self, path="/"):
        """``path`` on B's website: Odoo picks the website by the request's host."""
        return f"http://localhost:{self.http_port()}{path}"

    def create_customer_invoice(self, company, amount):
        """A posted invoice of ``company`` to Brightline for ``amount``, untaxed."""
        invoice = (
            self.env["account.move"]
            .with_company(company)
            .create(
                {
                    "move_type": "out_invoice",
                    "partner_id": self.customer.id,
                    "invoice_line_ids": [
                        Command.create({"name": "Design work", "price_unit": amount, "tax_ids": []})
                    ],
                }
            )
        )
        invoice.action_post()
        return invoice
