"""18.0.1.2.0: credits become a unit of their own.

Every existing figure keeps its value: each company gets its currency at 1 credit per unit
(the company setup, run at upgrade, creates it), rounding 0.01, and what transactions moved
is recorded in credits, which equal their money at that rate.
"""

from odoo.tools import SQL


def migrate(cr, version):
    if not version:
        return
    # packages are sold in a currency of their own: their company's, as before
    cr.execute(
        SQL(
            """
            UPDATE credit_package package
               SET currency_id = company.currency_id
              FROM res_company company
             WHERE company.id = package.company_id
            """
        )
    )
    # a purchase's bonus: the credits above its money
    cr.execute(
        SQL(
            """
            UPDATE payment_transaction
               SET credit_bonus = GREATEST(credit_amount - amount, 0)
             WHERE credit_wallet_id IS NOT NULL AND credit_bonus IS NULL
            """
        )
    )
    # payments with credits and their returns: the credits they moved, their money at 1:1
    cr.execute(
        SQL(
            """
            UPDATE payment_transaction tx
               SET credit_amount = ABS(tx.amount)
              FROM payment_provider provider
             WHERE provider.id = tx.provider_id
               AND provider.code = 'credit'
               AND tx.credit_amount IS NULL
            """
        )
    )
    cr.execute(
        SQL(
            """
            UPDATE res_company SET credit_rounding = '0.01' WHERE credit_rounding IS NULL
            """
        )
    )
