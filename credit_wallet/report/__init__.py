from . import credit_purchase_receipt, credit_reconciliation_report
