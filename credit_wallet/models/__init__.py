from . import (
    account_chart_template,
    account_move,
    account_move_line,
    credit_ledger_entry,
    credit_reconciliation_report,
    credit_wallet,
    product_template,
    res_company,
    res_config_settings,
    res_partner,
)
