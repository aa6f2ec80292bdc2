"""18.0.1.2.0: credits become a unit of their own (rate 1 for the company currency)."""

from odoo.tools import SQL


def migrate(cr, version):
    if not version:
        return
    # a package granted at least its price in credits; the rule is now "at least what the price
    # buys at its currency's rate", checked by the model
    cr.execute(
        SQL(
            "ALTER TABLE credit_package "
            "DROP CONSTRAINT IF EXISTS credit_package_credit_amount_covers_price"
        )
    )
    # what a payment with credits returned was money at 1 credit per unit; it is credits now,
    # bounded by the credits the payment took
    cr.execute(
        SQL(
            "ALTER TABLE payment_transaction "
            "DROP CONSTRAINT IF EXISTS payment_transaction_credit_returned_within_amount"
        )
    )
