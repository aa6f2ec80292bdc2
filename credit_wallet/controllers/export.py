import csv
import io
import tempfile

import pytz
from werkzeug.exceptions import NotFound
from werkzeug.wsgi import wrap_file

from odoo import fields, http
from odoo.http import content_disposition, request
from odoo.tools import float_repr
from odoo.tools.misc import xlsxwriter

from .portal import CreditWalletPortal

EXPORT_BATCH_SIZE = 1000
# the export stays in memory up to this size, then spills to a temporary file
EXPORT_SPOOL_BYTES = 1024 * 1024
EXPORT_MIMETYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
# spreadsheet applications run a text cell starting with one of these as a formula
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


class CreditWalletExport(CreditWalletPortal):
    """The customer's credit history as a CSV or XLSX file, filtered as the page is."""

    @http.route("/my/credits/export/<string:fmt>", type="http", auth="user", website=True)
    def portal_my_credits_export(self, fmt, date_from=None, date_to=None, **kwargs):
        if fmt not in EXPORT_MIMETYPES:
            raise NotFound()
        user = request.env.user
        if not user._credit_hub_available():
            return request.redirect("/my/credits")
        wallet_sudo = user._credit_wallet_sudo()
        date_start, date_end, _notices = self._credit_parse_date_range(date_from, date_to)
        rows = self._credit_export_rows(wallet_sudo, date_start, date_end)
        spool = tempfile.SpooledTemporaryFile(max_size=EXPORT_SPOOL_BYTES)
        try:
            if fmt == "csv":
                self._credit_write_csv(spool, rows)
            else:
                self._credit_write_xlsx(spool, rows)
            size = spool.tell()
            spool.seek(0)
        except Exception:
            spool.close()
            raise
        partner_slug = request.env["ir.http"]._slugify(
            user.partner_id.commercial_partner_id.name or ""
        )
        today = fields.Date.context_today(user).isoformat()
        filename = f"credits-{partner_slug or 'customer'}-{today}.{fmt}"
        # the WSGI server sends the spooled file by blocks and closes it at the end
        response = request.make_response(
            wrap_file(request.httprequest.environ, spool),
            headers=[
                ("Content-Type", EXPORT_MIMETYPES[fmt]),
                ("Content-Length", str(size)),
                ("Content-Disposition", content_disposition(filename)),
                ("Cache-Control", "no-store"),
                ("X-Content-Type-Options", "nosniff"),
            ],
        )
        response.direct_passthrough = True
        return response

    def _credit_export_header(self):
        return [
            request.env._("Date"),
            request.env._("Type"),
            request.env._("Reference"),
            request.env._("Description"),
            request.env._("Credits"),
            request.env._("Running Balance"),
        ]

    def _credit_export_rows(self, wallet_sudo, date_start, date_end):
        """Yield the rows of the history, newest first, reading entries by keyset batches.

        Each batch is the next EXPORT_BATCH_SIZE entries below the last id seen, then
        dropped from the cache: time and memory do not depend on where the batch lies.
        """
        if not wallet_sudo:
            return
        # sudo: restricted to the signed-in user's own wallet by the domain
        entries_sudo = request.env["credit.ledger.entry"].sudo()
        domain = self._credit_history_domain(wallet_sudo, date_start, date_end)
        type_labels = dict(entries_sudo._fields["entry_type"]._description_selection(request.env))
        timezone = self._credit_timezone()
        last_id = None
        while True:
            batch_domain = domain if last_id is None else [*domain, ("id", "<", last_id)]
            batch = entries_sudo.search(batch_domain, order="id desc", limit=EXPORT_BATCH_SIZE)
            for entry in batch:
                yield (
                    pytz.utc.localize(entry.date).astimezone(timezone).replace(tzinfo=None),
                    type_labels[entry.entry_type],
                    entry.reference_name or "",
                    entry.description or "",
                    entry.amount,
                    entry.running_balance,
                )
            if len(batch) < EXPORT_BATCH_SIZE:
                return
            last_id = batch[-1].id
            batch.invalidate_recordset()

    def _credit_write_csv(self, spool, rows):
        digits = request.env.user._credit_portal_company_sudo()._credit_digits()
        text = io.TextIOWrapper(spool, encoding="utf-8", newline="", write_through=True)
        try:
            writer = csv.writer(text)
            writer.writerow(self._credit_export_header())
            for date, entry_type, reference, description, amount, running_balance in rows:
                writer.writerow(
                    [
                        date.strftime("%Y-%m-%d %H:%M:%S"),
                        entry_type,
                        _neutralize_formula(reference),
                        _neutralize_formula(description),
                        float_repr(amount, digits),
                        float_repr(running_balance, digits),
                    ]
                )
        finally:
            text.detach()

    def _credit_write_xlsx(self, spool, rows):
        digits = request.env.user._credit_portal_company_sudo()._credit_digits()
        # constant_memory: rows go to a temporary file as written, not kept in memory
        workbook = xlsxwriter.Workbook(
            spool, {"constant_memory": True, "strings_to_formulas": False}
        )
        sheet = workbook.add_worksheet(request.env._("Credits"))
        bold = workbook.add_format({"bold": True})
        date_format = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
        amount_format = workbook.add_format(
            {"num_format": "#,##0" + ("." + "0" * digits if digits else "")}
        )
        for column, width in enumerate((20, 8, 24, 48, 14, 16)):
            sheet.set_column(column, column, width)
        sheet.write_row(0, 0, self._credit_export_header(), bold)
        for row, (date, entry_type, reference, description, amount, running_balance) in enumerate(
            rows, start=1
        ):
            sheet.write_datetime(row, 0, date, date_format)
            sheet.write_string(row, 1, entry_type)
            sheet.write_string(row, 2, reference)
            sheet.write_string(row, 3, description)
            sheet.write_number(row, 4, amount, amount_format)
            sheet.write_number(row, 5, running_balance, amount_format)
        workbook.close()


def _neutralize_formula(value):
    """Quote a text cell that a spreadsheet would otherwise evaluate as a formula."""
    return f"'{value}" if value.startswith(FORMULA_PREFIXES) else value
