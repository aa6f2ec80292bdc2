from odoo import api, fields, models
from odoo.exceptions import UserError


class ResPartner(models.Model):
    _inherit = "res.partner"

    credit_wallet_ids = fields.One2many(
        "credit.wallet", "partner_id", string="Credit Wallets", readonly=True
    )
    credit_balance = fields.Float(
        compute="_compute_credit_balance",
        digits=(16, 2),
        help="Credits available to this customer (shared by all contacts of its company) "
        "in the current company.",
    )
    credit_autopay = fields.Selection(
        [
            ("company", "As the Company Does"),
            ("always", "Pay Automatically"),
            ("never", "Do Not Pay Automatically"),
        ],
        string="Pay Invoices from Credits",
        company_dependent=True,
        default="company",
        help="Pay this customer's invoices of this company from their credits as soon as they "
        "are posted, when the balance covers them. 'As the Company Does' follows the company's "
        "setting. Each agency company decides for itself.",
    )

    credit_autopay_effective = fields.Char(
        string="Auto-Pay Here",
        compute="_compute_credit_autopay_effective",
        help="Whether this customer's invoices of the current company are paid from credits "
        "now, when the choice leaves it to the company or credit payments are off.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        # a new contact restricted to a company shares its customer's wallets too
        for vals in vals_list:
            if vals.get("company_id") and vals.get("parent_id"):
                self.browse(vals["parent_id"])._check_credit_wallet_companies(
                    self.env["res.company"].browse(vals["company_id"])
                )
        return super().create(vals_list)

    def write(self, vals):
        if vals.get("company_id"):
            self._check_credit_wallet_companies(self.env["res.company"].browse(vals["company_id"]))
        return super().write(vals)

    def _check_credit_wallet_companies(self, company):
        """Refuse to restrict these partners to ``company`` when their customer holds a wallet
        in another company: every action on it there would fail ('Incompatible companies')."""
        # sudo: wallets of every company count, whatever the user may read
        wallets_sudo = (
            self.env["credit.wallet"]
            .sudo()
            .search([("partner_id", "in", self.commercial_partner_id.ids)])
        )
        # a wallet of a branch serves customers of its parent company too
        stranded_sudo = wallets_sudo.filtered(
            lambda wallet: company not in wallet.company_id.parent_ids
        )
        if stranded_sudo:
            raise UserError(
                self.env._(
                    "%(customer)s holds credits in %(companies)s: restricted to %(company)s, "
                    "they would be out of its reach. Leave the company empty.",
                    customer=stranded_sudo[0].partner_id.display_name,
                    companies=", ".join(stranded_sudo.company_id.mapped("name")),
                    company=company.sudo().name,
                )
            )

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

    @api.depends_context("company")
    @api.depends("credit_autopay", "commercial_partner_id.credit_autopay")
    def _compute_credit_autopay_effective(self):
        company = self.env.company
        for partner in self:
            choice = partner.commercial_partner_id.credit_autopay
            enabled = company.credit_payment_enabled and _credit_autopay_on(choice, company)
            if choice == "company":
                label = self.env._("(on)") if enabled else self.env._("(off)")
            elif choice == "always" and not enabled:
                label = self.env._(
                    "(off: credit payments are off in %(company)s)", company=company.name
                )
            else:
                label = ""
            partner.credit_autopay_effective = label

    def action_credit_open_wallet(self):
        self.ensure_one()
        wallet = self.env["credit.wallet"]._get_wallet(self)
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

    def _credit_notify_managers(self, summary, note, company=None):
        """An activity on this customer for each credit manager: something needs a person."""
        self.ensure_one()
        managers = self.env["res.users"]._credit_managers(company or self.env.company)
        for manager in managers:
            # sudo: notifications arrive as the public user; activities are the agency's
            self.sudo().activity_schedule(
                "mail.mail_activity_data_todo", user_id=manager.id, summary=summary, note=note
            )

    def _credit_autopay_enabled(self, company):
        """Whether this customer's invoices of ``company`` are paid from credits at once."""
        self.ensure_one()
        return _credit_autopay_on(
            self.commercial_partner_id.with_company(company).credit_autopay, company
        )


def _credit_autopay_on(choice, company):
    """Whether a customer's auto-pay ``choice`` pays their invoices of ``company``."""
    if choice in ("always", "never"):
        return choice == "always"
    return company.credit_autopay_default
