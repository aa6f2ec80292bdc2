from odoo import models


class AccountPaymentRegister(models.TransientModel):
    _inherit = "account.payment.register"

    def _get_batch_available_journals(self, batch_result):
        # credits are spent through the Credits provider, which debits the wallet with them
        journals = super()._get_batch_available_journals(batch_result)
        return journals - journals.company_id.credit_payment_journal_id
