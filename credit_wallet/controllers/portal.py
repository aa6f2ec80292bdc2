import os
from collections import defaultdict
from datetime import datetime, time, timedelta
from urllib.parse import urlencode

import pytz
from werkzeug.exceptions import NotFound

from odoo import http
from odoo.http import content_disposition, request
from odoo.tools.mimetypes import guess_mimetype
from odoo.tools.misc import (
    babel_locale_parse,
    format_datetime,
    get_lang,
    posix_to_ldml,
)

from odoo.addons.account_payment.controllers.portal import PortalAccount
from odoo.addons.payment.controllers.post_processing import PaymentPostProcessing
from odoo.addons.portal.controllers.portal import pager as portal_pager

HISTORY_PAGE_SIZE = 20
# pages portal.pager shows around the current one: counting entries further is wasted work
PAGER_SCOPE = 5
# a larger page number is nonsense, and its OFFSET would overflow PostgreSQL's bigint
MAX_PAGE = 10**6
REQUEST_PAGE_SIZE = 20
PROOF_MAX_BYTES = 5 * 1024 * 1024
# recognised from the file's content, never from its name or the browser's word
PROOF_MIMETYPES = {"application/pdf", "image/png", "image/jpeg", "image/gif", "image/webp"}
# the session's last purchase the Credits page has told about: it tells once
ANNOUNCED_TX_ID_KEY = "credit_wallet_announced_tx_id"
WAITING_STATES = ("pending", "awaiting_proof")


class CreditWalletPortal(PortalAccount):
    """The customer's credit hub: the /my tile, the history page, credit requests and proofs,
    and Credits on the invoice page. The history's export is in export.py."""

    # -------------------------------------------------------------------------
    # /my tile
    # -------------------------------------------------------------------------

    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        user = request.env.user
        if "credit_balance" in counters and user._credit_hub_available():
            values["credit_balance"] = user._credit_portal_company_sudo()._credit_format(
                user._credit_balance()
            )
        return values

    # -------------------------------------------------------------------------
    # Pay with Credit on the invoice page
    # -------------------------------------------------------------------------

    def _invoice_get_page_view_values(self, invoice, access_token, **kwargs):
        # Odoo reads a custom amount from the URL with float(): void what is no amount
        if "amount" in kwargs:
            kwargs["amount"] = self._cast_as_float(kwargs["amount"])
        values = super()._invoice_get_page_view_values(invoice, access_token, **kwargs)
        if "providers_sudo" in values:  # the invoice is to be paid online
            values.update(self._credit_invoice_payment_values(invoice, values))
        return values

    def _credit_invoice_payment_values(self, invoice, values):
        """Add Credits to the invoice's payment form when the customer can pay it all.

        Odoo's invoice page names no document when it looks for providers, and the provider
        whitelist offers Credits only for a known document: it is asked again here, for this
        invoice, by the rule of every other payment form (Odoo's filters, such as state and
        currencies, then the whitelist).
        """
        provider_sudo = request.env["payment.provider"]._credit_get_provider(invoice.company_id)
        # sudo: providers are read for this customer's payment form, as Odoo's page does
        compatible_sudo = (
            request.env["payment.provider"]
            .sudo()
            ._get_compatible_providers(
                invoice.company_id.id,
                request.env.user.partner_id.id,
                values.get("amount_due"),
                currency_id=invoice.currency_id.id,
                invoice_id=invoice.id,
            )
        )
        if not provider_sudo or provider_sudo not in compatible_sudo:
            return {}
        return {
            "providers_sudo": values["providers_sudo"] | provider_sudo,
            "payment_methods_sudo": provider_sudo.payment_method_ids.filtered("active")
            | values["payment_methods_sudo"],
            "show_tokenize_input_mapping": {
                **values.get("show_tokenize_input_mapping", {}),
                provider_sudo.id: False,
            },
        }

    # -------------------------------------------------------------------------
    # /my/credits
    # -------------------------------------------------------------------------

    @http.route(
        ["/my/credits", "/my/credits/page/<int:page>"], type="http", auth="user", website=True
    )
    def portal_my_credits(self, page=1, date_from=None, date_to=None, **kwargs):
        values = self._prepare_portal_layout_values()
        user = request.env.user
        values.update(page_name="credits", credit_hub_available=user._credit_hub_available())
        if values["credit_hub_available"]:
            values.update(
                self._credit_prepare_history_values(
                    user, self._credit_page_number(page), date_from, date_to
                ),
                purchase_notice=self._credit_purchase_notice(user._credit_wallet_sudo()),
            )
        return request.render("credit_wallet.portal_my_credits", values)

    def _credit_purchase_notice(self, wallet_sudo):
        """What the session's last credit purchase did, said once, on the Credits page Buy
        Credits lands on: the credits added (bonus included) or the request that waits.

        The purchase is the one Odoo's status page follows for this session, and its credits are
        read from the ledger: nothing the browser sends says what was bought.
        """
        tx_id = request.session.get(PaymentPostProcessing.MONITORED_TX_ID_KEY)
        if not wallet_sudo or not tx_id or request.session.get(ANNOUNCED_TX_ID_KEY) == tx_id:
            return None
        # sudo: the session's own transaction, told about only when it bought for this wallet
        tx_sudo = request.env["payment.transaction"].sudo().browse(tx_id).exists()
        if not tx_sudo or tx_sudo.credit_wallet_id != wallet_sudo:
            return None
        env, company_sudo = request.env, wallet_sudo.company_id
        # partial captures hold the credits of a purchase captured in parts
        entries_sudo = (tx_sudo | tx_sudo.child_transaction_ids).credit_entry_ids.filtered(
            lambda entry: entry.kind in ("purchase", "bonus")
        )
        if entries_sudo:
            bonus = sum(entries_sudo.filtered(lambda entry: entry.kind == "bonus").mapped("amount"))
            added = company_sudo._credit_format(sum(entries_sudo.mapped("amount")))
            notice = {
                "state": "added",
                "message": env._(
                    "Thank you: %(credits)s were added to your balance, %(bonus)s of them bonus.",
                    credits=added,
                    bonus=company_sudo._credit_format_number(bonus),
                )
                if bonus
                else env._("Thank you: %(credits)s were added to your balance.", credits=added),
            }
        elif tx_sudo.state == "pending" and tx_sudo.credit_request_ids:
            notice = {
                "state": "waiting",
                "message": env._(
                    "Your purchase %(reference)s of %(credits)s waits for us: the credits are "
                    "added once we have received your payment.",
                    reference=tx_sudo.reference,
                    credits=company_sudo._credit_format(tx_sudo.credit_amount),
                ),
            }
        elif tx_sudo.state == "done":
            notice = {
                "state": "delayed",
                "message": env._(
                    "Your payment %(reference)s was received, but its credits are not added yet: "
                    "we have been told and add them shortly.",
                    reference=tx_sudo.reference,
                ),
            }
        else:
            # not paid: Odoo's status page said so
            return None
        request.session[ANNOUNCED_TX_ID_KEY] = tx_id
        return notice

    def _credit_page_number(self, page):
        """The requested page as a positive number; a non-numeric one is the first page."""
        try:
            number = int(page)
        except (TypeError, ValueError):
            return 1
        if number > MAX_PAGE:
            raise NotFound()
        return max(number, 1)

    def _credit_prepare_history_values(self, user, page, date_from, date_to):
        company_sudo = user._credit_portal_company_sudo()
        wallet_sudo = user._credit_wallet_sudo()
        date_start, date_end, notices = self._credit_parse_date_range(date_from, date_to)
        url_args = self._credit_date_url_args(date_start, date_end)
        # sudo: the search is restricted to the signed-in user's own wallet below
        entries_sudo = request.env["credit.ledger.entry"].sudo()
        domain = self._credit_history_domain(wallet_sudo, date_start, date_end)
        total = 0
        if wallet_sudo:
            # the pager only shows PAGER_SCOPE pages: a capped count keeps page 1 constant-time
            total = entries_sudo.search_count(
                domain, limit=(page + PAGER_SCOPE) * HISTORY_PAGE_SIZE
            )
        pager = portal_pager(
            url="/my/credits",
            total=total,
            page=page,
            step=HISTORY_PAGE_SIZE,
            scope=PAGER_SCOPE,
            url_args=url_args,
        )
        past_end = page > max(pager["page_count"], 1)
        if total and not past_end:
            entries_sudo = entries_sudo.search(
                domain,
                order="id desc",
                limit=HISTORY_PAGE_SIZE,
                offset=(page - 1) * HISTORY_PAGE_SIZE,
            )
        query = f"?{urlencode(url_args)}" if url_args else ""
        balance = wallet_sudo.balance or 0.0
        return {
            "balance_text": company_sudo._credit_format(balance),
            "balance_value": company_sudo._credit_format_value(
                balance, company_sudo._credit_website_currency(request.website)
            ),
            # sudo: the signed-in customer's own preference, set by the agency
            "credit_autopay": user.partner_id.sudo()._credit_autopay_enabled(company_sudo),
            "entries": entries_sudo,
            "history_rows": self._credit_history_rows(entries_sudo, company_sudo),
            "reference_urls": self._credit_reference_urls(entries_sudo),
            "receipt_urls": self._credit_receipt_urls(entries_sudo),
            "pager": pager,
            "past_end": past_end,
            "date_from": date_start and date_start.isoformat(),
            "date_to": date_end and date_end.isoformat(),
            "notices": notices,
            "export_csv_url": f"/my/credits/export/csv{query}",
            "export_xlsx_url": f"/my/credits/export/xlsx{query}",
        }

    def _credit_history_domain(self, wallet_sudo, date_start, date_end):
        domain = [
            ("wallet_id", "=", wallet_sudo.id),
            ("partner_id", "=", request.env.user.partner_id.commercial_partner_id.id),
        ]
        if date_start:
            domain.append(("date", ">=", self._credit_utc_datetime(date_start)))
        if date_end:
            domain.append(("date", "<", self._credit_utc_datetime(date_end + timedelta(days=1))))
        return domain

    def _credit_history_rows(self, entries_sudo, company):
        """The history's rows as the page shows them: the date (no seconds) in the customer's
        time zone and language, the credits in their language and to the company's precision,
        the reference and a description that does not say it again."""
        env = request.env
        type_labels = dict(entries_sudo._fields["entry_type"]._description_selection(env))
        references = self._credit_entry_references(entries_sudo)
        rows = []
        for entry in entries_sudo:
            reference = references.get(entry.id, "")
            rows.append(
                {
                    "entry": entry,
                    "date": self._credit_format_datetime(entry.date),
                    "type_label": type_labels[entry.entry_type],
                    "reference": reference,
                    "description": self._credit_entry_description(entry, reference),
                    "amount": company._credit_format_number(entry.amount),
                    "running_balance": company._credit_format_number(entry.running_balance),
                }
            )
        return rows

    def _credit_format_datetime(self, value):
        """``value`` in the customer's time zone, as their language writes dates and times
        without seconds: the day and the time, which a narrow screen shows on two lines."""
        lang = get_lang(request.env)
        locale = babel_locale_parse(lang.code)
        return tuple(
            format_datetime(
                request.env,
                value,
                tz=self._credit_timezone().zone,
                dt_format=posix_to_ldml(posix_format, locale),
            )
            for posix_format in (lang.date_format, lang.short_time_format)
        )

    def _credit_entry_references(self, entries_sudo):
        """The reference each entry shows, by entry id: a purchase's payment reference (the one
        its credit request and emails give), else the label stored with the entry."""
        purchases_sudo = entries_sudo.filtered(
            lambda entry: entry.reference and entry.reference._name == "payment.transaction"
        )
        # sudo: the payments of the customer's own entries, their references read in one query
        txs_sudo = (
            request.env["payment.transaction"]
            .sudo()
            .browse({entry.reference.id for entry in purchases_sudo})
            .exists()
        )
        tx_references = dict(zip(txs_sudo.ids, txs_sudo.mapped("reference"), strict=True))
        references = {entry.id: entry.reference_name or "" for entry in entries_sudo}
        for entry in purchases_sudo:
            references[entry.id] = tx_references.get(entry.reference.id) or references[entry.id]
        return references

    def _credit_entry_description(self, entry, reference):
        """The entry's description, or what kind of movement it is when the description only
        repeats the reference beside it ("Payment of INV/2026/00001")."""
        if not reference or reference not in entry.description:
            return entry.description
        env = request.env
        labels = {
            "spend": env._("Paid with credits"),
            "return": env._("Credits returned"),
        }
        return labels.get(entry.kind) or dict(
            entry._fields["kind"]._description_selection(env)
        ).get(entry.kind, entry.description)

    def _credit_reference_urls(self, entries_sudo):
        """Portal URL of each entry's reference the signed-in user may open, by entry id.

        One access check per referenced model, whatever the number of entries.
        """
        ids_by_model = defaultdict(set)
        for entry in entries_sudo:
            if entry.reference:
                ids_by_model[entry.reference._name].add(entry.reference.id)
        urls = {}
        for model_name, ids in ids_by_model.items():
            # the user's own rights decide which references become links
            records = request.env[model_name].browse(ids)
            if "access_url" not in records._fields:
                continue
            for record in records.exists()._filtered_access("read"):
                if record.access_url and record.access_url != "#":
                    urls[model_name, record.id] = record.access_url
        return {
            entry.id: urls.get((entry.reference._name, entry.reference.id))
            for entry in entries_sudo
            if entry.reference
        }

    def _credit_receipt_urls(self, entries_sudo):
        """Receipt URL of each purchase entry of the history, by entry id: one per purchase,
        on the entry of its bought credits."""
        return {
            entry.id: f"/my/credits/receipt/{entry.payment_transaction_id.id}"
            for entry in entries_sudo
            if entry.kind == "purchase"
            and not entry.payment_transaction_id._credit_receipt_refusal()
        }

    # -------------------------------------------------------------------------
    # /my/credits/receipt
    # -------------------------------------------------------------------------

    @http.route("/my/credits/receipt/<int:transaction_id>", type="http", auth="user", website=True)
    def portal_my_credit_receipt(self, transaction_id, **kwargs):
        """The receipt of one of the customer's credit purchases (PDF; the printable page
        where Odoo cannot print PDFs). Anything else is not found."""
        user = request.env.user
        wallet_sudo = user._credit_hub_available() and user._credit_wallet_sudo()
        if not wallet_sudo:
            raise NotFound()
        # sudo: the purchases of the signed-in customer's own wallet only (the domain)
        purchase_sudo = (
            request.env["payment.transaction"]
            .sudo()
            .search(
                [
                    ("id", "=", transaction_id),
                    ("credit_wallet_id", "=", wallet_sudo.id),
                    (
                        "credit_wallet_id.partner_id",
                        "=",
                        user.partner_id.commercial_partner_id.id,
                    ),
                ]
            )
        )
        if not purchase_sudo or purchase_sudo._credit_receipt_refusal():
            raise NotFound()
        filename, content, file_format = purchase_sudo._credit_render_receipt(html_fallback=True)
        headers = [("Content-Length", len(content))]
        if file_format == "pdf":
            headers += [
                ("Content-Type", "application/pdf"),
                ("Content-Disposition", content_disposition(filename)),
            ]
        else:
            headers.append(("Content-Type", "text/html; charset=utf-8"))
        return request.make_response(content, headers=headers)

    # -------------------------------------------------------------------------
    # /my/credits/requests
    # -------------------------------------------------------------------------

    @http.route(
        ["/my/credits/requests", "/my/credits/requests/page/<int:page>"],
        type="http",
        auth="user",
        website=True,
    )
    def portal_my_credit_requests(
        self, page=1, proof_added=None, proof_removed=None, proof_error=None, **kwargs
    ):
        values = self._prepare_portal_layout_values()
        user = request.env.user
        values.update(
            page_name="credits_requests", credit_hub_available=user._credit_hub_available()
        )
        if values["credit_hub_available"]:
            # sudo: the customer's own requests (the domain) in the website's company, which
            # may not be one of the companies the customer's account works in
            requests_sudo = request.env["credit.request"].sudo()
            domain = self._credit_request_domain(user)
            pager = portal_pager(
                url="/my/credits/requests",
                total=requests_sudo.search_count(domain),
                page=self._credit_page_number(page),
                step=REQUEST_PAGE_SIZE,
            )
            requests_sudo = requests_sudo.search(
                domain, order="id desc", limit=REQUEST_PAGE_SIZE, offset=pager["offset"]
            )
            proofs_sudo = requests_sudo._get_customer_proofs()
            values.update(
                credit_requests=requests_sudo,
                proofs_by_request={
                    request_sudo.id: proofs_sudo.filtered(
                        lambda proof, request_sudo=request_sudo: proof.res_id == request_sudo.id
                    )
                    for request_sudo in requests_sudo
                },
                pager=pager,
                proof_max_mb=PROOF_MAX_BYTES // (1024 * 1024),
                proof_added=str(proof_added or "").isdigit() and int(proof_added),
                proof_removed=str(proof_removed or "").isdigit() and int(proof_removed),
                proof_error=self._credit_proof_error_message(proof_error),
            )
        return request.render("credit_wallet.portal_my_credit_requests", values)

    def _credit_request_domain(self, user):
        """The user's own requests in the website's company."""
        return [
            ("partner_id", "=", user.partner_id.commercial_partner_id.id),
            ("company_id", "=", user._credit_portal_company_sudo().id),
        ]

    @http.route(
        "/my/credits/requests/<int:request_id>/proof",
        type="http",
        auth="user",
        methods=["POST"],
        website=True,
    )
    def portal_my_credit_request_proof(self, request_id, proof=None, **kwargs):
        """Attach a proof of payment (image or PDF) to one of the customer's open requests."""
        request_sudo = self._credit_own_request_sudo(request_id)
        error = None
        content = proof.read(PROOF_MAX_BYTES + 1) if hasattr(proof, "read") else b""
        mimetype = guess_mimetype(content, default="") if content else ""
        if request_sudo.state not in WAITING_STATES:
            error = "decided"
        elif not content:
            error = "missing"
        elif len(content) > PROOF_MAX_BYTES:
            error = "too_large"
        elif mimetype not in PROOF_MIMETYPES:
            error = "file_type"
        if error:
            return request.redirect(f"/my/credits/requests?proof_error={error}")
        filename = os.path.basename(proof.filename or "")[:100] or request.env._("Proof of payment")
        request_sudo._add_proof(filename, content, mimetype)
        return request.redirect(f"/my/credits/requests?proof_added={request_sudo.id}")

    @http.route(
        "/my/credits/requests/<int:request_id>/proofs/<int:attachment_id>",
        type="http",
        auth="user",
        methods=["GET"],
        website=True,
        sitemap=False,
    )
    def portal_my_credit_request_proof_open(self, request_id, attachment_id, **kwargs):
        """Open a proof of payment the customer attached to one of their requests."""
        request_sudo = self._credit_own_request_sudo(request_id)
        proof_sudo = self._credit_own_proof_sudo(request_sudo, attachment_id)
        stream = request.env["ir.binary"]._get_stream_from(proof_sudo)
        # shown in the browser: its type was checked from its content when it was attached
        return stream.get_response(as_attachment=False)

    @http.route(
        "/my/credits/requests/<int:request_id>/proofs/<int:attachment_id>/remove",
        type="http",
        auth="user",
        methods=["POST"],
        website=True,
    )
    def portal_my_credit_request_proof_remove(self, request_id, attachment_id, **kwargs):
        """Remove a proof of payment the customer attached, while the request waits."""
        request_sudo = self._credit_own_request_sudo(request_id)
        proof_sudo = self._credit_own_proof_sudo(request_sudo, attachment_id)
        if request_sudo.state not in WAITING_STATES:
            return request.redirect("/my/credits/requests?proof_error=decided")
        request_sudo._remove_proof(proof_sudo)
        return request.redirect(f"/my/credits/requests?proof_removed={request_sudo.id}")

    def _credit_own_request_sudo(self, request_id):
        """The signed-in customer's request ``request_id`` in the website's company, in sudo;
        not found when it is another's or the credit hub is off."""
        user = request.env.user
        # sudo: restricted to the signed-in customer's own requests by the domain
        request_sudo = (
            request.env["credit.request"]
            .sudo()
            .search([*self._credit_request_domain(user), ("id", "=", request_id)])
        )
        if not request_sudo or not user._credit_hub_available():
            raise NotFound()
        return request_sudo

    def _credit_own_proof_sudo(self, request_sudo, attachment_id):
        """The proof ``attachment_id`` the customer attached to ``request_sudo``; not found when
        it is another file (the agency's, another request's)."""
        proof_sudo = request_sudo._get_customer_proofs().filtered(
            lambda proof: proof.id == attachment_id
        )
        if not proof_sudo:
            raise NotFound()
        return proof_sudo

    def _credit_proof_error_message(self, code):
        env = request.env
        return {
            "decided": env._("This request is already decided: no proof is needed any more."),
            "missing": env._("Choose the file of your proof of payment."),
            "too_large": env._(
                "The file is larger than %(size)s MB: send a smaller scan or a PDF.",
                size=PROOF_MAX_BYTES // (1024 * 1024),
            ),
            "file_type": env._("A proof of payment is an image (PNG, JPEG, GIF, WebP) or a PDF."),
        }.get(code)

    # -------------------------------------------------------------------------
    # Date range filter
    # -------------------------------------------------------------------------

    def _credit_parse_date_range(self, date_from, date_to):
        """Return ``(start, end, notices)``: valid dates or None, and what was corrected."""
        notices = []
        date_start = self._credit_parse_date(date_from, notices)
        date_end = self._credit_parse_date(date_to, notices)
        if date_start and date_end and date_start > date_end:
            date_start, date_end = date_end, date_start
            notices.append(
                request.env._("The start date was after the end date: the dates were swapped.")
            )
        return date_start, date_end, notices

    def _credit_parse_date(self, value, notices):
        if not value:
            return None
        try:
            day = datetime.strptime(str(value), "%Y-%m-%d").date()
            # the whole day must map to a UTC timestamp, which fails at the calendar's ends
            self._credit_utc_datetime(day)
            self._credit_utc_datetime(day + timedelta(days=1))
        except (ValueError, OverflowError):
            notices.append(
                request.env._(
                    "“%(value)s” is not a date (expected YYYY-MM-DD): it was ignored.",
                    value=str(value)[:40],
                )
            )
            return None
        return day

    def _credit_date_url_args(self, date_start, date_end):
        url_args = {}
        if date_start:
            url_args["date_from"] = date_start.isoformat()
        if date_end:
            url_args["date_to"] = date_end.isoformat()
        return url_args

    def _credit_timezone(self):
        try:
            return pytz.timezone(request.env.context.get("tz") or request.env.user.tz or "UTC")
        except pytz.UnknownTimeZoneError:
            return pytz.utc

    def _credit_utc_datetime(self, day):
        """Naive UTC datetime of midnight of ``day`` in the user's time zone."""
        local = self._credit_timezone().localize(datetime.combine(day, time.min))
        return local.astimezone(pytz.utc).replace(tzinfo=None)
