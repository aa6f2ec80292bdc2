from odoo import api, fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    credit_wallet_ids = fields.One2many(
        "credit.wallet", "partner_id", string="Credit Wallets", readonly=True
    )
    credit_balance = fields.Monetary(
        compute="_compute_credit_balance",
        currency_field="credit_currency_id",
        help="Credits available to this customer (shared by all contacts of its company) "
        "in the current company.",
    )
    credit_currency_id = fields.Many2one("res.currency", compute="_compute_credit_balance")

    @api.depends_context("company")
    @api.depends("commercial_partner_id.credit_wallet_ids.balance")
    def _compute_credit_balance(self):
        wallets = self.env["credit.wallet"].search(
            [
                ("partner_id", "in", self.commercial_partner_id.ids),
                ("company_id", "=", self.env.company.id),
            ]
        )
        balances = {wallet.partner_id: wallet.balance for wallet in wallets}
        for partner in self:
            partner.credit_balance = balances.get(partner.commercial_partner_id, 0.0)
            partner.credit_currency_id = self.env.company.currency_id

    def action_open_credit_wallet(self):
        self.ensure_one()
        wallet = self.env["credit.wallet"]._get_wallet(self, create=False)
        if wallet:
            return {
                "type": "ir.actions.act_window",
                "res_model": "credit.wallet",
                "res_id": wallet.id,
                "view_mode": "form",
            }
        action = self.env["ir.actions.act_window"]._for_xml_id("credit_wallet.credit_wallet_action")
        action["context"] = {
            "default_partner_id": self.commercial_partner_id.id,
            "search_default_partner_id": self.commercial_partner_id.id,
        }
        return action
