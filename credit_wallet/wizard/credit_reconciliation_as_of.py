from odoo import api, fields, models
from odoo.tools.misc import format_date

from ..report.credit_reconciliation_report import AS_OF_CONTEXT_KEY


class CreditReconciliationAsOf(models.TransientModel):
    _name = "credit.reconciliation.as.of"
    _description = "Credit Reconciliation as of a Date"

    date = fields.Date(
        string="As of",
        required=True,
        default=lambda self: self._default_date(),
        help="Wallet movements and Customer Credit journal items booked on or before this date.",
    )

    @api.model
    def _default_date(self):
        # the date shown, when the report already has one; else today
        as_of = self.env["credit.reconciliation.report"]._credit_as_of()
        return as_of or fields.Date.context_today(self)

    def action_open_report(self):
        self.ensure_one()
        return self.env["credit.reconciliation.report"]._credit_window_action(
            "credit_wallet.credit_reconciliation_report_action",
            self.env._("Reconciliation as of %(date)s", date=format_date(self.env, self.date)),
            context={AS_OF_CONTEXT_KEY: fields.Date.to_string(self.date)},
            # the report as of the new date replaces the one the date was chosen from
            target="main",
        )
