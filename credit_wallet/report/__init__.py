from . import credit_reconciliation_report
