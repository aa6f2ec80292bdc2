from . import (
    account_payment_register,
    credit_invoice_payment,
    credit_request_decision,
    credit_wallet_adjustment,
)
