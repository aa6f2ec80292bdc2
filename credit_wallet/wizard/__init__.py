# the mixin first: the wizards below inherit it
from . import credit_wizard_mixin
from . import (
    account_merge_wizard,
    account_payment_register,
    base_partner_merge,
    credit_invoice_payment,
    credit_note_return,
    credit_purchase_refund,
    credit_reconciliation_as_of,
    credit_request_decision,
    credit_wallet_adjustment,
)
