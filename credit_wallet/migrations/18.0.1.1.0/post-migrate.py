"""18.0.1.1.0: link each return to the spending it gives back, keep each auto-pay choice."""

from odoo.tools import SQL, sql


def migrate(cr, version):
    if not version:
        return
    # a return's wallet and cap are its spending's ledger entry: the entry of the payment its
    # transaction refunds
    cr.execute(
        SQL(
            """
            UPDATE credit_ledger_entry returned
               SET source_entry_id = spend.id
              FROM payment_transaction tx, credit_ledger_entry spend
             WHERE returned.kind = 'return'
               AND returned.source_entry_id IS NULL
               AND tx.id = returned.payment_transaction_id
               AND spend.payment_transaction_id = tx.source_transaction_id
               AND spend.kind = 'spend'
            """
        )
    )
    # the journal an accepted request was received in is kept on its transaction
    cr.execute(
        SQL(
            """
            UPDATE payment_transaction tx
               SET credit_journal_id = request.journal_id
              FROM credit_request request
             WHERE request.payment_transaction_id = tx.id
               AND request.journal_id IS NOT NULL
            """
        )
    )
    if sql.column_exists(cr, "res_partner", "credit_autopay_v1"):
        # the choice applied to every agency company: it still does, company by company
        cr.execute(
            SQL(
                """
                UPDATE res_partner
                   SET credit_autopay = (
                           SELECT jsonb_object_agg(company.id::text, res_partner.credit_autopay_v1)
                             FROM res_company company
                       )
                 WHERE credit_autopay_v1 IN ('always', 'never')
                """
            )
        )
        cr.execute(SQL("ALTER TABLE res_partner DROP COLUMN credit_autopay_v1"))
