from . import (
    test_access,
    test_accounting_guards,
    test_company_setup,
    test_invariants,
    test_posting,
)
