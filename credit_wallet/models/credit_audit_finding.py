import logging
import time
from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import SQL
from odoo.tools.misc import format_amount

from ..const import CREDIT_CODE

_logger = logging.getLogger(__name__)

# Each check is one set-based query; every row it returns is one problem of one document:
# company_id, res_model, res_id, problem, amount, expected, other_model, other_id, detail.
# ``amount`` is what the books say, ``expected`` what they should say; ``other`` names the
# record the problem involves (journal entry, wallet, spending...); ``detail`` a state, a
# count or the currency of the money a problem counts (DOCUMENT_MONEY_PROBLEMS).
AUDIT_CHECKS = [
    ("entry_books", "Ledger vs Journal Entries"),
    ("wallet_ledger", "Wallet vs Ledger"),
    ("spend", "Payments with Credits"),
    ("return", "Returns to Credits"),
    ("credit_note", "Credit Notes of Returns"),
    ("invoice_overpaid", "Invoices Paid Beyond Their Total"),
    ("order_overpaid", "Orders Paid Beyond Their Total"),
    ("purchase", "Credit Purchases"),
]
# the columns every check returns, from its ``found`` rows
FOUND = SQL(
    "found.res_model, found.res_id, found.problem, found.amount, found.expected, "
    "found.other_model, found.other_id, found.detail"
)
FOUND_AS = SQL(
    "AS found(problem, failed, res_model, res_id, amount, expected, other_model, other_id, "
    "detail) WHERE found.failed"
)
# problems whose amounts are money in the document's currency (its id in ``detail``); the
# amounts of the entry_books problems are book values in the company currency; all others
# are credits
DOCUMENT_MONEY_PROBLEMS = {"payment_amount", "matched_elsewhere", "outstanding", "overpaid"}
BOOK_VALUE_PROBLEMS = {
    "move_not_posted",
    "move_company",
    "move_amount",
    "move_partner",
    "move_without_entry",
}
DOCUMENT_MODELS = [
    ("credit.ledger.entry", "Ledger Entry"),
    ("credit.wallet", "Wallet"),
    ("payment.transaction", "Payment Transaction"),
    ("account.move", "Journal Entry"),
    ("sale.order", "Sales Order"),
]


class CreditAuditFinding(models.Model):
    _name = "credit.audit.finding"
    _description = "Credit Audit Finding"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "state, last_seen desc, id desc"
    _rec_name = "document_name"

    company_id = fields.Many2one("res.company", required=True, index=True, readonly=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    check = fields.Selection(AUDIT_CHECKS, required=True, readonly=True)
    res_model = fields.Char(string="Document Model", required=True, readonly=True)
    res_id = fields.Many2oneReference(
        string="Document ID", model_field="res_model", required=True, readonly=True
    )
    document = fields.Reference(
        selection=DOCUMENT_MODELS, compute="_compute_document", string="Open Document"
    )
    document_name = fields.Char(string="Document", required=True, readonly=True)
    message = fields.Text(required=True, readonly=True)
    amount = fields.Float(
        string="Found",
        digits=(16, 2),
        readonly=True,
        help="What the books say, for the first problem found: in credits or in money, as the "
        "message says.",
    )
    expected_amount = fields.Float(
        string="Expected",
        digits=(16, 2),
        readonly=True,
        help="What they should say, for the first problem found: in credits or in money, as the "
        "message says.",
    )
    first_seen = fields.Datetime(required=True, readonly=True)
    last_seen = fields.Datetime(required=True, readonly=True)
    resolved_date = fields.Datetime(readonly=True)
    state = fields.Selection(
        [("open", "Open"), ("resolved", "Resolved")],
        required=True,
        default="open",
        readonly=True,
        tracking=True,
        help="Resolved once an audit no longer finds the problem.",
    )

    _sql_constraints = [
        (
            "document_check_uniq",
            'UNIQUE(company_id, "check", res_model, res_id)',
            "A document has one finding per check.",
        ),
    ]

    @api.depends("res_model", "res_id")
    def _compute_document(self):
        for finding in self:
            finding.document = (
                f"{finding.res_model},{finding.res_id}"
                if finding.res_model in dict(DOCUMENT_MODELS)
                else False
            )

    # -------------------------------------------------------------------------
    # Actions
    # -------------------------------------------------------------------------

    def action_run_audit(self):
        """Run Audit Now: refresh the findings of the user's companies and list them."""
        if not self.env.user.has_group("credit_wallet.group_credit_manager"):
            raise AccessError(self.env._("Only credit managers run the credit audit."))
        self._refresh_findings(self.env.companies)
        return self.env["ir.actions.act_window"]._for_xml_id(
            "credit_wallet.credit_audit_finding_action"
        )

    @api.model
    def _cron_refresh_findings(self):
        self._refresh_findings()

    # -------------------------------------------------------------------------
    # Findings: stored, resolved, told to the managers
    # -------------------------------------------------------------------------

    @api.model
    def _refresh_findings(self, companies=None):
        """Store what the audit finds now: new findings open with an activity for each credit
        manager of their company, findings no longer found are resolved.

        :return: the open findings of ``companies``
        """
        companies = self._audit_companies(companies)
        timings = {}
        found = self._run_audit(companies, timings)
        _logger.info(
            "Credit audit of %s companies: %s findings in %.2f s (%s)",
            len(companies),
            len(found),
            sum(timings.values()),
            ", ".join(f"{check} {seconds:.2f} s" for check, seconds in timings.items()),
        )
        # sudo: the audit writes its own findings for the companies it audited
        findings_sudo = (
            self.sudo()
            .with_context(mail_create_nolog=True, mail_create_nosubscribe=True)
            .search([("company_id", "in", companies.ids)])
        )
        known = {finding._audit_key(): finding for finding in findings_sudo}
        now = fields.Datetime.now()
        to_create, reopened, seen = [], findings_sudo.browse(), set()
        for values in found:
            key = (values["company_id"], values["check"], values["res_model"], values["res_id"])
            seen.add(key)
            finding = known.get(key)
            if not finding:
                to_create.append({**values, "first_seen": now, "last_seen": now})
                continue
            if finding.state == "resolved":
                reopened |= finding
            finding.write(
                {
                    "document_name": values["document_name"],
                    "message": values["message"],
                    "amount": values["amount"],
                    "expected_amount": values["expected_amount"],
                    "last_seen": now,
                    "state": "open",
                    "resolved_date": False,
                }
            )
        created = findings_sudo.create(to_create)
        gone = findings_sudo.filtered(
            lambda finding: finding.state == "open" and finding._audit_key() not in seen
        )
        gone.write({"state": "resolved", "resolved_date": now})
        gone.activity_unlink(["mail.mail_activity_data_todo"])
        (created | reopened)._notify_credit_managers()
        return findings_sudo.search(
            [("company_id", "in", companies.ids), ("state", "=", "open")]
        ).with_env(self.env)

    def _audit_key(self):
        self.ensure_one()
        return (self.company_id.id, self.check, self.res_model, self.res_id)

    def _notify_credit_managers(self):
        """One activity per credit manager of the finding's company."""
        checks = dict(self._fields["check"]._description_selection(self.env))
        for finding in self:
            for manager in self.env["res.users"]._credit_managers(finding.company_id):
                finding.activity_schedule(
                    "mail.mail_activity_data_todo",
                    user_id=manager.id,
                    summary=self.env._(
                        "Credit audit: %(check)s", check=checks.get(finding.check, finding.check)
                    ),
                    note=finding.message,
                )

    # -------------------------------------------------------------------------
    # The audit: one query per check, whatever the number of documents
    # -------------------------------------------------------------------------

    @api.model
    def _audit_companies(self, companies=None):
        # sudo: the audit reads every company's settings, whoever asked for the run
        if companies is None:
            return self.env["res.company"].sudo().search([("credit_account_id", "!=", False)])
        return companies.sudo().filtered("credit_account_id")

    @api.model
    def _run_audit(self, companies=None, timings=None):
        """Check each document of ``companies`` (all companies with credits by default).

        Stores nothing.

        :param timings: a dict receiving the seconds each check took, by check

        :return: one dict per document found wrong: company_id, check, res_model, res_id,
            document_name, message (naming the document and the amounts), amount and
            expected_amount (of its first problem)
        """
        companies = self._audit_companies(companies)
        if not companies:
            return []
        self.env.flush_all()
        params = {
            "companies": tuple(companies.ids),
            # amounts are stored rounded: half the finest rounding tells a difference from noise
            "tolerance": min(companies.currency_id.mapped("rounding")) / 2,
            # credits are whole or hundredths (``credit_rounding``)
            "credit_tolerance": 0.005,
            "credit_code": CREDIT_CODE,
            "found": FOUND,
            "found_as": FOUND_AS,
        }
        params["counted"] = SQL(self._audit_sql_counted_transactions(), **params)
        params["credit_values"] = SQL(
            "credit_values AS (%s)", self.env["res.company"]._credit_sql_values()
        )
        problems = defaultdict(list)
        for check, _label in AUDIT_CHECKS:
            query = SQL(getattr(self, f"_audit_sql_{check}")(), **params)
            started = time.perf_counter()
            self.env.cr.execute(query)
            if timings is not None:
                timings[check] = time.perf_counter() - started
            for row in self.env.cr.dictfetchall():
                key = (row["company_id"], check, row["res_model"], row["res_id"])
                problems[key].append(row)
        names = self._audit_names(
            [(key[2], key[3]) for key in problems]
            + [(row["other_model"], row["other_id"]) for rows in problems.values() for row in rows]
        )
        states = self._audit_state_labels()
        templates = self._audit_templates()
        findings = []
        for (company_id, check, res_model, res_id), rows in sorted(problems.items()):
            company = companies.browse(company_id)
            findings.append(
                {
                    "company_id": company_id,
                    "check": check,
                    "res_model": res_model,
                    "res_id": res_id,
                    "document_name": names[res_model, res_id],
                    "message": " ".join(
                        self._audit_message(row, names, company, states, templates) for row in rows
                    ),
                    "amount": rows[0]["amount"] or 0.0,
                    "expected_amount": rows[0]["expected"] or 0.0,
                }
            )
        return findings

    @api.model
    def _audit_names(self, documents):
        """Display names of ``(model, id)`` pairs, read in one batch per model."""
        ids_by_model = defaultdict(set)
        for model, res_id in documents:
            if model and res_id:
                ids_by_model[model].add(res_id)
        names = {}
        for model, ids in ids_by_model.items():
            # sudo: the names of the documents the audit found, for the findings it stores
            for record in self.env[model].sudo().browse(sorted(ids)):
                if model == "credit.ledger.entry":
                    name = self.env._(
                        "Ledger entry %(number)s (%(description)s)",
                        number=record.id,
                        description=record.description,
                    )
                else:
                    name = record.display_name
                names[model, record.id] = name
        return names

    @api.model
    def _audit_state_labels(self):
        """Labels of the transaction and journal entry states a finding may name."""
        labels = {}
        for model in ("payment.transaction", "account.move"):
            labels.update(self.env[model]._fields["state"]._description_selection(self.env))
        return labels

    @api.model
    def _audit_message(self, row, names, company, states, templates):
        """One sentence for one problem of a document, its amounts in credits, in the books'
        currency or in the document's, as the problem counts them."""
        problem, detail = row["problem"], row["detail"]
        currency = None  # credits
        if problem in DOCUMENT_MONEY_PROBLEMS:
            currency, detail = self.env["res.currency"].browse(int(detail)), None
        elif problem in BOOK_VALUE_PROBLEMS:
            currency = company.currency_id

        def amount_text(amount):
            if currency:
                return format_amount(self.env, amount, currency)
            return company._credit_format(amount)

        return templates[problem] % {
            "document": names[row["res_model"], row["res_id"]],
            "other": names.get((row["other_model"], row["other_id"]), ""),
            "amount": amount_text(row["amount"] or 0.0),
            "expected": amount_text(row["expected"] or 0.0),
            "detail": states.get(detail, detail or ""),
        }

    @api.model
    def _audit_templates(self):
        """The sentence of each problem, in the user's language, by problem code."""
        env = self.env
        return {
            # entry_books
            "move_not_posted": env._(
                "%(document)s moves %(amount)s but has no posted journal entry (%(other)s: "
                "%(detail)s)."
            ),
            "move_company": env._(
                "%(other)s, the journal entry of %(document)s, belongs to another company."
            ),
            "move_amount": env._(
                "%(document)s moves %(amount)s, its journal entry %(other)s moves %(expected)s on "
                "the Customer Credit account."
            ),
            "move_partner": env._(
                "%(document)s moves %(amount)s, its journal entry %(other)s books %(expected)s of "
                "it on the Customer Credit account for the wallet's customer."
            ),
            "move_without_entry": env._(
                "%(document)s moves %(amount)s on the Customer Credit account, but no ledger entry"
                " records it."
            ),
            # wallet_ledger
            "balance": env._(
                "The wallet of %(document)s holds %(amount)s, its entries sum to %(expected)s."
            ),
            "latest_running_balance": env._(
                "The wallet of %(document)s holds %(amount)s, the running balance of its latest "
                "entry is %(expected)s."
            ),
            "running_balance": env._(
                "%(other)s of the wallet of %(document)s has a running balance of %(amount)s, the "
                "entries up to it sum to %(expected)s."
            ),
            # spend
            "spend_without_payment": env._(
                "%(document)s takes %(amount)s from a wallet for no payment with credits."
            ),
            "done_without_debit": env._(
                "%(document)s is done, but none of its %(expected)s was taken from a wallet."
            ),
            "spend_not_done": env._("%(document)s took %(amount)s but is %(detail)s."),
            "debit_amount": env._(
                "%(document)s took %(amount)s, its transaction records %(expected)s."
            ),
            "payment_missing": env._("%(document)s took %(amount)s but has no posted payment."),
            "payment_amount": env._(
                "%(document)s is a payment of %(expected)s, its payment %(other)s is of "
                "%(amount)s."
            ),
            "payment_move": env._(
                "The payment %(other)s of %(document)s is not the journal entry of its wallet "
                "debit."
            ),
            "documents": env._(
                "%(document)s pays %(detail)s documents; a payment with credits pays one."
            ),
            "matched_elsewhere": env._(
                "The payment of %(document)s is matched for %(amount)s with documents it did not "
                "pay."
            ),
            "outstanding": env._(
                "The payment of %(document)s (%(expected)s) is matched for %(amount)s only with "
                "%(other)s: the rest is left outstanding."
            ),
            # return
            "return_without_spend": env._(
                "%(document)s gave back %(amount)s without naming the spending it " "returns."
            ),
            "return_of_other_kind": env._(
                "%(document)s gave back %(amount)s of %(other)s, which is no spending."
            ),
            "return_other_wallet": env._(
                "%(document)s gave back %(amount)s to %(other)s, not to the wallet that"
                " spent them."
            ),
            "return_not_done": env._("%(document)s gave back %(amount)s but is %(detail)s."),
            "return_amount": env._(
                "%(document)s gave back %(amount)s, its refund records %(expected)s."
            ),
            "return_source": env._(
                "%(document)s gave back %(amount)s spent by %(other)s, which it does " "not refund."
            ),
            "done_without_return": env._(
                "%(document)s is done, but none of its %(expected)s was given back to a wallet."
            ),
            "returned_beyond_spend": env._(
                "The returns of %(document)s gave back %(amount)s, more than the "
                "%(expected)s it took."
            ),
            "returned_recorded": env._(
                "The returns of %(document)s gave back %(amount)s, it records "
                "%(expected)s returned."
            ),
            # credit_note
            "credit_note_not_posted": env._(
                "%(document)s is %(detail)s, but the %(amount)s returned for it stay in"
                " the wallet of %(other)s."
            ),
            # invoice_overpaid, order_overpaid
            "overpaid": env._(
                "The payments of %(document)s amount to %(amount)s, beyond its total of "
                "%(expected)s."
            ),
            # purchase
            "credited_beyond_price": env._(
                "%(document)s credited %(amount)s, more than the %(expected)s its price buys."
            ),
            "credited_beyond_money": env._(
                "%(document)s credited %(amount)s, but the money its posted payment received buys "
                "%(expected)s."
            ),
            "bonus_beyond_package": env._(
                "%(document)s gave %(amount)s of bonus, its credits include %(expected)s "
                "of bonus."
            ),
            "bonus_without_purchase": env._(
                "%(document)s gave %(amount)s of bonus but credited no purchase."
            ),
            "purchase_other_wallet": env._(
                "%(document)s credited %(amount)s to %(other)s, not to the wallet it was bought "
                "for."
            ),
            "purchase_not_done": env._("%(document)s credited %(amount)s but is %(detail)s."),
            "void_not_taken_back": env._(
                "%(document)s was voided, but none of the %(amount)s it credited was taken back."
            ),
            "captures_beyond_purchase": env._(
                "The partial captures of %(document)s grant %(amount)s, more than the "
                "%(expected)s bought."
            ),
            "captures_credited_beyond_price": env._(
                "%(document)s and its partial captures credited %(amount)s, more than the "
                "%(expected)s its price buys."
            ),
            "taken_back_beyond_credited": env._(
                "The refunds of %(document)s took back %(amount)s, more than the "
                "%(expected)s it credited."
            ),
        }

    # -------------------------------------------------------------------------
    # The checks: each ends with the problems of its documents as ``found`` rows
    # -------------------------------------------------------------------------

    @api.model
    def _audit_sql_entry_books(self):
        """Each ledger entry has a posted journal entry of its company moving the Customer
        Credit account by its credits' book value (credits x a credit's value), for the
        wallet's customer; every posted journal entry on that account is a ledger entry's (the
        balance the reconciliation compares)."""
        return """
            WITH %(credit_values)s, books AS (
                SELECT line.company_id, line.move_id, line.partner_id,
                       SUM(line.credit - line.debit) AS amount,
                       BOOL_OR(line.parent_state = 'posted') AS posted
                  FROM account_move_line line
                  JOIN res_company company ON company.id = line.company_id
                                          AND company.credit_account_id = line.account_id
                 WHERE line.company_id IN %(companies)s AND line.parent_state != 'cancel'
                 GROUP BY line.company_id, line.move_id, line.partner_id
            ), move_books AS (
                SELECT company_id, move_id, SUM(amount) AS amount, BOOL_OR(posted) AS posted
                  FROM books GROUP BY company_id, move_id
            ), entry AS (
                SELECT entry.id, entry.company_id, entry.move_id,
                       ROUND((entry.amount / credit_values.rate)::numeric,
                             credit_values.decimal_places) AS amount,
                       move.state AS move_state, move.company_id AS move_company_id,
                       COALESCE(move_books.amount, 0) AS books,
                       COALESCE(partner_books.amount, 0) AS partner_books
                  FROM credit_ledger_entry entry
                  JOIN credit_wallet wallet ON wallet.id = entry.wallet_id
                  JOIN credit_values ON credit_values.company_id = entry.company_id
             LEFT JOIN account_move move ON move.id = entry.move_id
             LEFT JOIN move_books ON move_books.move_id = entry.move_id
             LEFT JOIN books partner_books ON partner_books.move_id = entry.move_id
                                          AND partner_books.partner_id = wallet.partner_id
                 WHERE entry.company_id IN %(companies)s
            )
            SELECT entry.company_id, %(found)s
              FROM entry
        CROSS JOIN LATERAL (VALUES
                   ('move_not_posted', entry.move_state IS DISTINCT FROM 'posted',
                    'credit.ledger.entry', entry.id, entry.amount, entry.books,
                    'account.move', entry.move_id, entry.move_state::varchar),
                   ('move_company', entry.move_company_id != entry.company_id,
                    'credit.ledger.entry', entry.id, entry.amount, entry.books,
                    'account.move', entry.move_id, NULL),
                   ('move_amount', ABS(entry.books - entry.amount) >= %(tolerance)s,
                    'credit.ledger.entry', entry.id, entry.amount, entry.books,
                    'account.move', entry.move_id, NULL),
                   ('move_partner', ABS(entry.books - entry.amount) < %(tolerance)s
                                    AND ABS(entry.partner_books - entry.amount) >= %(tolerance)s,
                    'credit.ledger.entry', entry.id, entry.amount, entry.partner_books,
                    'account.move', entry.move_id, NULL)
                   ) %(found_as)s
         UNION ALL
            SELECT move_books.company_id, 'account.move', move_books.move_id,
                   'move_without_entry', move_books.amount, 0, NULL, NULL, NULL
              FROM move_books
             WHERE move_books.posted
               AND NOT EXISTS (SELECT 1 FROM credit_ledger_entry entry
                                WHERE entry.move_id = move_books.move_id)
            """

    @api.model
    def _audit_sql_wallet_ledger(self):
        """Each wallet's balance = sum of its entries = running balance of its latest entry,
        and each running balance = sum of the entries up to it."""
        return """
            WITH running AS (
                SELECT entry.wallet_id, entry.id, entry.running_balance,
                       SUM(entry.amount) OVER (PARTITION BY entry.wallet_id ORDER BY entry.id)
                           AS total
                  FROM credit_ledger_entry entry
                 WHERE entry.company_id IN %(companies)s
            ), wallet_entries AS (
                SELECT wallet_id, MAX(id) AS last_id,
                       MIN(id) FILTER (WHERE ABS(running_balance - total) >= %(credit_tolerance)s)
                           AS broken_id
                  FROM running GROUP BY wallet_id
            ), wallet AS (
                SELECT wallet.id, wallet.company_id, wallet.balance,
                       COALESCE(last.total, 0) AS total,
                       COALESCE(last.running_balance, 0) AS last_running_balance,
                       broken.id AS broken_id, broken.running_balance AS broken_running_balance,
                       broken.total AS broken_total
                  FROM credit_wallet wallet
             LEFT JOIN wallet_entries ON wallet_entries.wallet_id = wallet.id
             LEFT JOIN running last ON last.id = wallet_entries.last_id
             LEFT JOIN running broken ON broken.id = wallet_entries.broken_id
                 WHERE wallet.company_id IN %(companies)s
            )
            SELECT wallet.company_id, %(found)s
              FROM wallet
        CROSS JOIN LATERAL (VALUES
                   ('balance', ABS(wallet.balance - wallet.total) >= %(credit_tolerance)s,
                    'credit.wallet', wallet.id, wallet.balance, wallet.total,
                    NULL, NULL::integer, NULL),
                   ('latest_running_balance',
                    ABS(wallet.balance - wallet.last_running_balance) >= %(credit_tolerance)s,
                    'credit.wallet', wallet.id, wallet.balance, wallet.last_running_balance,
                    NULL, NULL, NULL),
                   ('running_balance', wallet.broken_id IS NOT NULL,
                    'credit.wallet', wallet.id, wallet.broken_running_balance,
                    wallet.broken_total, 'credit.ledger.entry', wallet.broken_id, NULL)
                   ) %(found_as)s
            """

    @api.model
    def _audit_sql_spend(self):
        """Each payment with credits is done exactly when it debited a wallet, by its amount;
        its posted payment is that debit's journal entry, for the same amount; it pays one
        document, and its receivable is matched with that document or its returns (an order
        not invoiced yet, or invoiced for less, may leave the rest outstanding)."""
        return """
            WITH spend_tx AS (
                SELECT tx.id, tx.company_id, tx.amount, tx.credit_amount, tx.currency_id,
                       tx.state, tx.payment_id
                  FROM payment_transaction tx
                  JOIN payment_provider provider ON provider.id = tx.provider_id
                 WHERE provider.code = %(credit_code)s
                   AND tx.operation NOT IN ('refund', 'validation')
                   AND tx.company_id IN %(companies)s
            ), spend_entry AS (
                SELECT entry.id, entry.company_id, entry.payment_transaction_id AS tx_id,
                       -entry.amount AS debit, entry.move_id
                  FROM credit_ledger_entry entry
                 WHERE entry.kind = 'spend' AND entry.company_id IN %(companies)s
            ), tx_invoice AS (
                SELECT rel.transaction_id AS tx_id, rel.invoice_id AS move_id
                  FROM account_invoice_transaction_rel rel
                  JOIN spend_tx ON spend_tx.id = rel.transaction_id
            ), tx_order AS (
                SELECT rel.transaction_id AS tx_id, rel.sale_order_id AS order_id
                  FROM sale_order_transaction_rel rel
                  JOIN spend_tx ON spend_tx.id = rel.transaction_id
            ), order_invoice AS (
                SELECT DISTINCT tx_order.tx_id, line.move_id
                  FROM tx_order
                  JOIN sale_order_line order_line ON order_line.order_id = tx_order.order_id
                  JOIN sale_order_line_invoice_rel rel ON rel.order_line_id = order_line.id
                  JOIN account_move_line line ON line.id = rel.invoice_line_id
            ), tx_document AS (
                -- Odoo links an order's transactions to its invoices: those are not more
                SELECT tx_id, COUNT(*) AS documents, MIN(move_id) AS invoice_id,
                       MIN(order_id) AS order_id
                  FROM (SELECT tx_invoice.tx_id, tx_invoice.move_id, NULL::integer AS order_id
                          FROM tx_invoice
                         WHERE NOT EXISTS (SELECT 1 FROM order_invoice
                                            WHERE order_invoice.tx_id = tx_invoice.tx_id
                                              AND order_invoice.move_id = tx_invoice.move_id)
                         UNION ALL
                        SELECT tx_id, NULL, order_id FROM tx_order) document
                 GROUP BY tx_id
            ), invoiced AS (
                SELECT order_invoice.tx_id, SUM(move.amount_total) AS amount
                  FROM order_invoice
                  JOIN account_move move ON move.id = order_invoice.move_id
                 WHERE move.move_type = 'out_invoice' AND move.state = 'posted'
                 GROUP BY order_invoice.tx_id
            ), return_move AS (
                SELECT refund.source_transaction_id AS tx_id, payment.move_id
                  FROM payment_transaction refund
                  JOIN spend_tx ON spend_tx.id = refund.source_transaction_id
                  JOIN account_payment payment ON payment.id = refund.payment_id
                 WHERE refund.operation = 'refund'
            ), own_move AS (
                SELECT tx_id, move_id FROM tx_invoice
                 UNION SELECT tx_id, move_id FROM order_invoice
                 UNION SELECT tx_id, move_id FROM return_move
            ), matched AS (
                -- in the payment's currency, the document's
                SELECT spend_tx.id AS tx_id, SUM(partial.credit_amount_currency) AS amount,
                       COALESCE(SUM(partial.credit_amount_currency)
                                    FILTER (WHERE own_move.move_id IS NULL), 0) AS elsewhere
                  FROM spend_tx
                  JOIN account_payment payment ON payment.id = spend_tx.payment_id
                  JOIN res_company company ON company.id = spend_tx.company_id
                  JOIN account_move_line line ON line.move_id = payment.move_id
                                             AND line.account_id != company.credit_account_id
                  JOIN account_partial_reconcile partial ON partial.credit_move_id = line.id
                  JOIN account_move_line counterpart ON counterpart.id = partial.debit_move_id
             LEFT JOIN own_move ON own_move.tx_id = spend_tx.id
                               AND own_move.move_id = counterpart.move_id
                 GROUP BY spend_tx.id
            ), spend AS (
                SELECT COALESCE(spend_tx.company_id, spend_entry.company_id) AS company_id,
                       spend_tx.id AS tx_id, spend_tx.amount, spend_tx.credit_amount,
                       spend_tx.currency_id::varchar AS currency, spend_tx.state::varchar AS state,
                       spend_entry.id AS entry_id, spend_entry.debit, spend_entry.move_id,
                       payment.amount AS payment_amount, payment.move_id AS payment_move_id,
                       payment_move.state AS payment_state,
                       COALESCE(tx_document.documents, 0) AS documents,
                       tx_document.invoice_id, tx_document.order_id,
                       COALESCE(matched.amount, 0) AS matched,
                       COALESCE(matched.elsewhere, 0) AS elsewhere,
                       COALESCE(invoiced.amount, 0) AS invoiced
                  FROM spend_tx
             FULL JOIN spend_entry ON spend_entry.tx_id = spend_tx.id
             LEFT JOIN account_payment payment ON payment.id = spend_tx.payment_id
             LEFT JOIN account_move payment_move ON payment_move.id = payment.move_id
             LEFT JOIN tx_document ON tx_document.tx_id = spend_tx.id
             LEFT JOIN matched ON matched.tx_id = spend_tx.id
             LEFT JOIN invoiced ON invoiced.tx_id = spend_tx.id
                 WHERE spend_entry.id IS NOT NULL OR spend_tx.state = 'done'
            )
            SELECT spend.company_id, %(found)s
              FROM spend
        CROSS JOIN LATERAL (VALUES
                   ('spend_without_payment', spend.tx_id IS NULL,
                    'credit.ledger.entry', spend.entry_id, spend.debit, 0::numeric,
                    NULL, NULL::integer, NULL),
                   ('done_without_debit', spend.tx_id IS NOT NULL AND spend.entry_id IS NULL,
                    'payment.transaction', spend.tx_id, 0, spend.credit_amount, NULL, NULL, NULL),
                   ('spend_not_done', spend.entry_id IS NOT NULL AND spend.state != 'done',
                    'payment.transaction', spend.tx_id, spend.debit, 0, NULL, NULL, spend.state),
                   ('debit_amount', ABS(spend.debit - spend.credit_amount) >= %(credit_tolerance)s,
                    'payment.transaction', spend.tx_id, spend.debit, spend.credit_amount,
                    NULL, NULL, NULL),
                   ('payment_missing', spend.tx_id IS NOT NULL AND spend.entry_id IS NOT NULL
                                       AND spend.payment_state IS DISTINCT FROM 'posted',
                    'payment.transaction', spend.tx_id, spend.debit, 0,
                    'account.move', spend.payment_move_id, NULL),
                   ('payment_amount', ABS(spend.payment_amount - spend.amount) >= %(tolerance)s,
                    'payment.transaction', spend.tx_id, spend.payment_amount, spend.amount,
                    'account.move', spend.payment_move_id, spend.currency),
                   ('payment_move', spend.payment_move_id != spend.move_id,
                    'payment.transaction', spend.tx_id, spend.debit, spend.payment_amount,
                    'account.move', spend.payment_move_id, NULL),
                   ('documents', spend.tx_id IS NOT NULL AND spend.documents != 1,
                    'payment.transaction', spend.tx_id, spend.amount, spend.amount,
                    NULL, NULL, spend.documents::varchar),
                   ('matched_elsewhere', spend.elsewhere >= %(tolerance)s,
                    'payment.transaction', spend.tx_id, spend.elsewhere, 0, NULL, NULL,
                    spend.currency),
                   ('outstanding',
                    spend.payment_state = 'posted' AND spend.documents = 1
                    AND spend.amount - spend.matched
                        - CASE WHEN spend.invoice_id IS NOT NULL THEN 0
                               ELSE GREATEST(spend.amount - spend.invoiced, 0) END
                        >= %(tolerance)s,
                    'payment.transaction', spend.tx_id, spend.matched, spend.amount,
                    CASE WHEN spend.invoice_id IS NOT NULL THEN 'account.move'
                         ELSE 'sale.order' END,
                    COALESCE(spend.invoice_id, spend.order_id), spend.currency)
                   ) %(found_as)s
            """

    @api.model
    def _audit_sql_return(self):
        """Each return gives credits of a spending back to the wallet that spent them, as its
        done refund of that spending says; the returns of a spending never exceed what it
        took, and its transaction records them; a done return gave credits back."""
        return """
            WITH return_entry AS (
                SELECT entry.id, entry.company_id, entry.amount, entry.wallet_id,
                       entry.source_entry_id,
                       CASE WHEN tx.id IS NULL THEN 'credit.ledger.entry'
                            ELSE 'payment.transaction' END AS res_model,
                       COALESCE(tx.id, entry.id) AS res_id,
                       source.kind AS source_kind, source.wallet_id AS source_wallet_id,
                       source.payment_transaction_id AS source_tx_id,
                       tx.id AS tx_id, tx.credit_amount AS tx_credits,
                       tx.state::varchar AS tx_state,
                       tx.operation, tx.source_transaction_id AS tx_source_id
                  FROM credit_ledger_entry entry
             LEFT JOIN credit_ledger_entry source ON source.id = entry.source_entry_id
             LEFT JOIN payment_transaction tx ON tx.id = entry.payment_transaction_id
                 WHERE entry.kind = 'return' AND entry.company_id IN %(companies)s
            ), returned AS (
                SELECT spend.company_id,
                       CASE WHEN spend.payment_transaction_id IS NULL THEN 'credit.ledger.entry'
                            ELSE 'payment.transaction' END AS res_model,
                       COALESCE(spend.payment_transaction_id, spend.id) AS res_id,
                       -spend.amount AS debit,
                       COALESCE(spend_tx.credit_returned_amount, 0) AS recorded,
                       COALESCE(SUM(given.amount), 0) AS returned
                  FROM credit_ledger_entry spend
             LEFT JOIN payment_transaction spend_tx ON spend_tx.id = spend.payment_transaction_id
             LEFT JOIN credit_ledger_entry given ON given.source_entry_id = spend.id
                                                AND given.kind = 'return'
                 WHERE spend.kind = 'spend' AND spend.company_id IN %(companies)s
                 GROUP BY spend.id, spend_tx.credit_returned_amount
            )
            SELECT return_entry.company_id, %(found)s
              FROM return_entry
        CROSS JOIN LATERAL (VALUES
                   ('return_without_spend', return_entry.source_entry_id IS NULL,
                    return_entry.res_model, return_entry.res_id, return_entry.amount, 0::numeric,
                    NULL, NULL::integer, NULL),
                   ('return_of_other_kind', return_entry.source_kind != 'spend',
                    return_entry.res_model, return_entry.res_id, return_entry.amount, 0,
                    'credit.ledger.entry', return_entry.source_entry_id, NULL),
                   ('return_other_wallet', return_entry.source_wallet_id != return_entry.wallet_id,
                    return_entry.res_model, return_entry.res_id, return_entry.amount, 0,
                    'credit.wallet', return_entry.wallet_id, NULL),
                   ('return_not_done', return_entry.tx_state IS DISTINCT FROM 'done'
                                       OR return_entry.operation IS DISTINCT FROM 'refund',
                    return_entry.res_model, return_entry.res_id, return_entry.amount, 0,
                    NULL, NULL, COALESCE(return_entry.tx_state, 'missing')),
                   ('return_amount',
                    ABS(return_entry.amount - return_entry.tx_credits) >= %(credit_tolerance)s,
                    return_entry.res_model, return_entry.res_id, return_entry.amount,
                    return_entry.tx_credits, NULL, NULL, NULL),
                   ('return_source', return_entry.tx_id IS NOT NULL
                                     AND return_entry.source_kind = 'spend'
                                     AND return_entry.tx_source_id
                                         IS DISTINCT FROM return_entry.source_tx_id,
                    return_entry.res_model, return_entry.res_id, return_entry.amount, 0,
                    'payment.transaction', return_entry.source_tx_id, NULL)
                   ) %(found_as)s
         UNION ALL
            SELECT returned.company_id, %(found)s
              FROM returned
        CROSS JOIN LATERAL (VALUES
                   ('returned_beyond_spend',
                    returned.returned - returned.debit >= %(credit_tolerance)s,
                    returned.res_model, returned.res_id, returned.returned, returned.debit,
                    NULL, NULL::integer, NULL),
                   ('returned_recorded',
                    ABS(returned.returned - returned.recorded) >= %(credit_tolerance)s,
                    returned.res_model, returned.res_id, returned.returned, returned.recorded,
                    NULL, NULL, NULL)
                   ) %(found_as)s
         UNION ALL
            SELECT tx.company_id, 'payment.transaction', tx.id, 'done_without_return',
                   0, tx.credit_amount, NULL, NULL, NULL
              FROM payment_transaction tx
              JOIN payment_provider provider ON provider.id = tx.provider_id
             WHERE provider.code = %(credit_code)s AND tx.operation = 'refund'
               AND tx.state = 'done' AND tx.company_id IN %(companies)s
               AND NOT EXISTS (SELECT 1 FROM credit_ledger_entry entry
                                WHERE entry.payment_transaction_id = tx.id
                                  AND entry.kind = 'return')
            """

    @api.model
    def _audit_sql_credit_note(self):
        """A credit note whose credits went back to a wallet stays posted."""
        return """
            SELECT note.company_id, 'account.move' AS res_model, note.id AS res_id,
                   'credit_note_not_posted' AS problem, SUM(entry.amount) AS amount,
                   0 AS expected, 'credit.wallet' AS other_model,
                   MIN(entry.wallet_id) AS other_id, note.state::varchar AS detail
              FROM credit_ledger_entry entry
              JOIN account_invoice_transaction_rel rel
                ON rel.transaction_id = entry.payment_transaction_id
              JOIN account_move note ON note.id = rel.invoice_id
             WHERE entry.kind = 'return' AND entry.company_id IN %(companies)s
               AND note.state != 'posted'
             GROUP BY note.company_id, note.id, note.state
            HAVING SUM(entry.amount) >= %(credit_tolerance)s
            """

    @api.model
    def _audit_sql_counted_transactions(self):
        """``counted``: the money of each payment transaction (every provider) that counts for
        the documents it is linked to: done or authorized, net of its done refunds; a
        transaction captured in parts counts its captures."""
        return """
            refunded AS (
                SELECT refund.source_transaction_id AS tx_id, SUM(refund.amount) AS amount
                  FROM payment_transaction refund
                 WHERE refund.operation = 'refund' AND refund.state = 'done'
                   AND refund.source_transaction_id IS NOT NULL
                   AND refund.company_id IN %(companies)s
                 GROUP BY refund.source_transaction_id
            ), received AS (
                SELECT tx.id, tx.currency_id, tx.source_transaction_id,
                       COALESCE(parent.operation = tx.operation, FALSE) AS is_capture,
                       CASE WHEN tx.state IN ('done', 'authorized') THEN tx.amount ELSE 0 END
                           AS own,
                       COALESCE(refunded.amount, 0) AS refunded
                  FROM payment_transaction tx
             LEFT JOIN payment_transaction parent ON parent.id = tx.source_transaction_id
             LEFT JOIN refunded ON refunded.tx_id = tx.id
                 WHERE tx.operation NOT IN ('refund', 'validation')
                   AND tx.company_id IN %(companies)s
            ), captured AS (
                SELECT source_transaction_id AS tx_id, SUM(own + refunded) AS amount
                  FROM received WHERE is_capture GROUP BY source_transaction_id
            ), counted AS (
                SELECT received.id, received.currency_id,
                       COALESCE(captured.amount, received.own) + received.refunded AS amount
                  FROM received
             LEFT JOIN captured ON captured.tx_id = received.id
                 WHERE NOT received.is_capture
            )
            """

    @api.model
    def _audit_sql_invoice_overpaid(self):
        """No customer invoice is paid beyond its total: by its own payment transactions (of
        every provider, credits included), plus what payments of its orders' transactions
        were matched with it."""
        return """
            WITH %(counted)s,
            order_tx AS (
                SELECT DISTINCT transaction_id AS tx_id FROM sale_order_transaction_rel
            ), invoice_paid AS (
                SELECT rel.invoice_id, counted.amount
                  FROM account_invoice_transaction_rel rel
                  JOIN counted ON counted.id = rel.transaction_id
                  JOIN account_move move ON move.id = rel.invoice_id
                                        AND move.currency_id = counted.currency_id
                 WHERE rel.transaction_id NOT IN (SELECT tx_id FROM order_tx)
            ), order_payment AS (
                SELECT rel.invoice_id, tx.payment_id
                  FROM account_invoice_transaction_rel rel
                  JOIN order_tx ON order_tx.tx_id = rel.transaction_id
                  JOIN payment_transaction tx ON tx.id = rel.transaction_id
                 WHERE tx.payment_id IS NOT NULL
                 UNION
                SELECT rel.invoice_id, capture.payment_id
                  FROM account_invoice_transaction_rel rel
                  JOIN order_tx ON order_tx.tx_id = rel.transaction_id
                  JOIN payment_transaction capture
                    ON capture.source_transaction_id = rel.transaction_id
                 WHERE capture.payment_id IS NOT NULL
                   AND capture.operation NOT IN ('refund', 'validation')
            ), order_matched AS (
                SELECT order_payment.invoice_id, partial.debit_amount_currency AS amount
                  FROM order_payment
                  JOIN account_payment payment ON payment.id = order_payment.payment_id
                  JOIN account_move_line line ON line.move_id = payment.move_id
                  JOIN account_partial_reconcile partial ON partial.credit_move_id = line.id
                  JOIN account_move_line invoice_line
                    ON invoice_line.id = partial.debit_move_id
                   AND invoice_line.move_id = order_payment.invoice_id
            ), paid AS (
                SELECT invoice_id, SUM(amount) AS amount
                  FROM (SELECT * FROM invoice_paid UNION ALL SELECT * FROM order_matched) paid
                 GROUP BY invoice_id
            )
            SELECT move.company_id, 'account.move' AS res_model, move.id AS res_id,
                   'overpaid' AS problem, paid.amount, move.amount_total AS expected,
                   NULL AS other_model, NULL::integer AS other_id,
                   move.currency_id::varchar AS detail
              FROM paid
              JOIN account_move move ON move.id = paid.invoice_id
             WHERE move.move_type = 'out_invoice' AND move.company_id IN %(companies)s
               AND paid.amount - move.amount_total >= %(tolerance)s
            """

    @api.model
    def _audit_sql_order_overpaid(self):
        """No sales order is paid beyond its total by its payment transactions (of every
        provider, credits included)."""
        return """
            WITH %(counted)s
            SELECT sale_order.company_id, 'sale.order' AS res_model, sale_order.id AS res_id,
                   'overpaid' AS problem, SUM(counted.amount) AS amount,
                   sale_order.amount_total AS expected, NULL AS other_model,
                   NULL::integer AS other_id, sale_order.currency_id::varchar AS detail
              FROM sale_order_transaction_rel rel
              JOIN counted ON counted.id = rel.transaction_id
              JOIN sale_order ON sale_order.id = rel.sale_order_id
                             AND sale_order.currency_id = counted.currency_id
             WHERE sale_order.company_id IN %(companies)s
             GROUP BY sale_order.company_id, sale_order.id, sale_order.amount_total,
                      sale_order.currency_id
            HAVING SUM(counted.amount) - sale_order.amount_total >= %(tolerance)s
            """

    @api.model
    def _audit_sql_purchase(self):
        """Each credit purchase is credited once, to its wallet, when done, for at most its
        price and the money its posted payment received, with at most its bonus; its partial
        captures grant at most its credits; its refunds take back at most what it credited; a
        voided purchase had its credits taken back."""
        return """
            WITH purchase_tx AS (
                SELECT tx.id, tx.company_id, tx.amount, tx.credit_amount,
                       tx.credit_amount - COALESCE(tx.credit_bonus, 0) AS bought,
                       COALESCE(tx.credit_bonus, 0) AS credit_bonus, tx.credit_wallet_id,
                       tx.state::varchar AS state, tx.payment_id,
                       CASE WHEN parent.operation = tx.operation THEN parent.id ELSE tx.id END
                           AS root_id
                  FROM payment_transaction tx
             LEFT JOIN payment_transaction parent ON parent.id = tx.source_transaction_id
                 WHERE tx.credit_wallet_id IS NOT NULL
                   AND tx.operation NOT IN ('refund', 'validation')
                   AND tx.company_id IN %(companies)s
            ), entry AS (
                SELECT entry.id, entry.kind, entry.wallet_id,
                       entry.payment_transaction_id AS tx_id, entry.amount,
                       entry.amount + COALESCE(reversal.amount, 0) AS net
                  FROM credit_ledger_entry entry
             LEFT JOIN credit_ledger_entry reversal ON reversal.reversed_entry_id = entry.id
                 WHERE entry.kind IN ('purchase', 'bonus', 'purchase_refund', 'bonus_refund')
                   AND entry.company_id IN %(companies)s
            ), credited AS (
                SELECT purchase_tx.id,
                       COALESCE(SUM(entry.amount) FILTER (WHERE entry.kind = 'purchase'), 0)
                           AS purchase,
                       COUNT(entry.id) FILTER (WHERE entry.kind = 'purchase') AS purchases,
                       COALESCE(SUM(entry.amount) FILTER (WHERE entry.kind = 'bonus'), 0)
                           AS bonus,
                       COALESCE(SUM(entry.net) FILTER (WHERE entry.kind IN ('purchase', 'bonus')),
                                0) AS net,
                       COUNT(entry.id) FILTER (
                           WHERE entry.kind IN ('purchase_refund', 'bonus_refund')) AS take_backs,
                       MIN(entry.wallet_id) FILTER (
                           WHERE entry.kind IN ('purchase', 'bonus')
                             AND entry.wallet_id != purchase_tx.credit_wallet_id) AS other_wallet_id
                  FROM purchase_tx
             LEFT JOIN entry ON entry.tx_id = purchase_tx.id
                 GROUP BY purchase_tx.id
            ), taken AS (
                SELECT purchase_tx.root_id, entry.net
                  FROM purchase_tx
                  JOIN entry ON entry.tx_id = purchase_tx.id
                 WHERE entry.kind IN ('purchase_refund', 'bonus_refund')
             UNION ALL
                SELECT purchase_tx.root_id, entry.net
                  FROM purchase_tx
                  JOIN payment_transaction refund ON refund.source_transaction_id = purchase_tx.id
                                                 AND refund.operation = 'refund'
                  JOIN entry ON entry.tx_id = refund.id
                 WHERE entry.kind IN ('purchase_refund', 'bonus_refund')
            ), purchase AS (
                SELECT purchase_tx.*, credited.purchase, credited.purchases, credited.bonus,
                       credited.take_backs, credited.other_wallet_id,
                       CASE WHEN payment_move.state = 'posted' THEN payment.amount ELSE 0 END
                           AS money
                  FROM purchase_tx
                  JOIN credited ON credited.id = purchase_tx.id
             LEFT JOIN account_payment payment ON payment.id = purchase_tx.payment_id
             LEFT JOIN account_move payment_move ON payment_move.id = payment.move_id
            ), root AS (
                SELECT root.id, root.company_id, root.amount, root.credit_amount, root.bought,
                       COUNT(member.id) - 1 AS captures,
                       COALESCE(SUM(member.credit_amount) FILTER (WHERE member.id != root.id), 0)
                           AS captures_credit_amount,
                       SUM(credited.purchase) AS purchase, SUM(credited.net) AS net,
                       COALESCE((SELECT -SUM(taken.net) FROM taken
                                  WHERE taken.root_id = root.id), 0) AS taken
                  FROM purchase_tx root
                  JOIN purchase_tx member ON member.root_id = root.id
                  JOIN credited ON credited.id = member.id
                 WHERE root.root_id = root.id
                 GROUP BY root.id, root.company_id, root.amount, root.credit_amount, root.bought
            )
            SELECT purchase.company_id, %(found)s
              FROM purchase
        CROSS JOIN LATERAL (VALUES
                   ('credited_beyond_price',
                    purchase.purchase - purchase.bought >= %(credit_tolerance)s,
                    'payment.transaction', purchase.id, purchase.purchase, purchase.bought,
                    NULL, NULL::integer, NULL),
                   -- the credits the money received buys, in proportion of the price
                   ('credited_beyond_money', purchase.purchases > 0
                        AND purchase.purchase - purchase.bought * purchase.money
                            / NULLIF(purchase.amount, 0) >= %(credit_tolerance)s,
                    'payment.transaction', purchase.id, purchase.purchase,
                    ROUND((purchase.bought * purchase.money / NULLIF(purchase.amount, 0))::numeric,
                          2), NULL, NULL, NULL),
                   ('bonus_beyond_package',
                    purchase.bonus - purchase.credit_bonus >= %(credit_tolerance)s,
                    'payment.transaction', purchase.id, purchase.bonus, purchase.credit_bonus,
                    NULL, NULL, NULL),
                   ('bonus_without_purchase', purchase.purchases = 0
                                              AND purchase.bonus >= %(credit_tolerance)s,
                    'payment.transaction', purchase.id, purchase.bonus, 0, NULL, NULL, NULL),
                   ('purchase_other_wallet', purchase.other_wallet_id IS NOT NULL,
                    'payment.transaction', purchase.id, purchase.purchase + purchase.bonus, 0,
                    'credit.wallet', purchase.other_wallet_id, NULL),
                   ('purchase_not_done', purchase.purchases > 0
                                         AND purchase.state NOT IN ('done', 'cancel'),
                    'payment.transaction', purchase.id, purchase.purchase, 0,
                    NULL, NULL, purchase.state),
                   ('void_not_taken_back', purchase.purchases > 0 AND purchase.state = 'cancel'
                                           AND purchase.take_backs = 0,
                    'payment.transaction', purchase.id, purchase.purchase + purchase.bonus, 0,
                    NULL, NULL, NULL)
                   ) %(found_as)s
         UNION ALL
            SELECT root.company_id, %(found)s
              FROM root
        CROSS JOIN LATERAL (VALUES
                   ('captures_beyond_purchase', root.captures > 0
                        AND root.captures_credit_amount - root.credit_amount
                            >= %(credit_tolerance)s,
                    'payment.transaction', root.id, root.captures_credit_amount,
                    root.credit_amount, NULL, NULL::integer, NULL),
                   ('captures_credited_beyond_price', root.captures > 0
                        AND root.purchase - root.bought >= %(credit_tolerance)s,
                    'payment.transaction', root.id, root.purchase, root.bought, NULL, NULL, NULL),
                   ('taken_back_beyond_credited', root.taken - root.net >= %(credit_tolerance)s,
                    'payment.transaction', root.id, root.taken, root.net, NULL, NULL, NULL)
                   ) %(found_as)s
            """
