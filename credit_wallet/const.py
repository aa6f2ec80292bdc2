"""Codes and context keys of the add-on, as Odoo's payment_* modules keep theirs."""

CREDIT_CODE = "credit"
# a second manual provider next to wire transfer, for buying credits only
CRYPTO_MODE = "crypto"
CRYPTO_FIELDS = ("credit_crypto_coin", "credit_crypto_network", "credit_crypto_address")
CREDIT_PROCESS_URL = "/payment/credit/process"

# What stands in the way of paying a document with credits, as the spend rule tells the payment
# form's hint: the customer is told only of products not payable with credits and of a short
# balance; every other refusal is the agency's, another customer's or the document's affair.
CREDIT_OBSTACLE_INELIGIBLE = "ineligible"
CREDIT_OBSTACLE_BALANCE = "balance"
CREDIT_OBSTACLE_OTHER = "other"

# Context keys that open a gate only when their value is GATE_TOKEN itself: JSON-RPC clients
# set context keys and values, never a Python object, so only the add-on's code opens them.
GATE_TOKEN = object()
# the posting service: wallets, ledger entries and Customer Credit journal items
POSTING_GATE = "credit_wallet_posting"
# the payment flow: payments with credits and credit purchases, created and moved
PAYMENT_FLOW_GATE = "credit_wallet_payment_flow"
# a credit manager's decision on a credit request
DECIDING_GATE = "credit_wallet_deciding"
# the transaction-local PostgreSQL setting the posting service turns on ('1') while it writes:
# the database refuses journal items on a Customer Credit account otherwise
POSTING_SETTING = "credit_wallet.posting"

# Credits as a unit: how many credits one unit of a currency may buy, at most (a larger rate
# is a typing error, and its products would overflow the books' precision)
MAX_CREDIT_RATE = 1e6
# decimals a conversion rate may have
CREDIT_RATE_DIGITS = 6
# whole credits, or hundredths (the first versions' behaviour)
CREDIT_ROUNDINGS = [("1", "Whole Credits"), ("0.01", "Hundredths of a Credit")]
