from . import controllers, models, report, wizard
from .models.account_move_line import drop_books_guard


def uninstall_hook(env):
    """Leave the Credits and Cryptocurrency providers as Odoo leaves a removed provider's, and
    the journal items free of the database's guard (it reads columns that go with the add-on).

    Odoo's reset_payment_provider would also delete the Credits payment method, which it
    refuses once a payment used it: the payments stay in the books, so the method stays too.
    """
    drop_books_guard(env.cr)
    Provider = env["payment.provider"].with_context(active_test=False)
    providers = Provider.search(["|", ("code", "=", "credit"), ("custom_mode", "=", "crypto")])
    providers.write(providers._get_removal_values())
