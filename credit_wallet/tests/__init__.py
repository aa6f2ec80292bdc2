from . import (
    test_access,
    test_accounting_guards,
    test_buy_tour,
    test_company_setup,
    test_invariants,
    test_package,
    test_portal,
    test_portal_tour,
    test_posting,
    test_topup,
    test_topup_paypal,
    test_topup_stripe,
)
