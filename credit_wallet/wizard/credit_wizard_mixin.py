from odoo import api, models

from odoo.addons.payment.controllers.portal import PaymentPortal

from ..utils import check_company_access


class CreditWizardMixin(models.AbstractModel):
    """A wizard opened on one record (a wallet, an invoice, a request, a purchase).

    Before the wizard computes anything from that record (defaults, onchange, create, a new
    record written on it), the user must be allowed to read it in one of their current
    companies: the wizard's figures are read in sudo, and onchange, create and read are all
    reachable over JSON-RPC.
    """

    _name = "credit.wizard.mixin"
    _description = "Credit Wizard on a Record"

    # the many2one naming the record the wizard acts on
    _credit_record_field = None

    @api.model
    def default_get(self, fields_list):
        defaults = super().default_get(fields_list)
        self._credit_check_record_values(defaults)
        return defaults

    def onchange(self, values, field_names, fields_spec):
        self._credit_check_record_values(values)
        return super().onchange(values, field_names, fields_spec)

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._credit_check_record_values(vals)
        return super().create(vals_list)

    def write(self, vals):
        self._credit_check_record_values(vals)
        return super().write(vals)

    @api.model
    def _credit_check_record_values(self, values):
        """Refuse values naming a record the user may not read in their companies."""
        value = values.get(self._credit_record_field)
        # every form the ORM or a JSON-RPC client gives a many2one: record, {"id": ...},
        # (id, name), an id as a number or a string (PostgreSQL casts it)
        if isinstance(value, models.BaseModel):
            value = value.id
        elif isinstance(value, dict):
            value = value.get("id")
        elif isinstance(value, list | tuple):
            value = value[0] if value else None
        record_id = PaymentPortal._cast_as_int(value)
        if record_id:
            comodel = self._fields[self._credit_record_field].comodel_name
            check_company_access(self.env[comodel].browse(record_id))

    def _credit_record(self):
        """The wizard's record, once the user's access to it is checked: computes read it."""
        self.ensure_one()
        record = self[self._credit_record_field]
        check_company_access(record)
        return record
