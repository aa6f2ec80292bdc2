from . import controllers, models, wizard


def uninstall_hook(env):
    """Leave the Credits and Cryptocurrency providers as Odoo leaves a removed provider's.

    Odoo's reset_payment_provider would also delete the Credits payment method, which it
    refuses once a payment used it: the payments stay in the books, so the method stays too.
    """
    Provider = env["payment.provider"].with_context(active_test=False)
    providers = Provider.search(["|", ("code", "=", "credit"), ("custom_mode", "=", "crypto")])
    providers.write(providers._get_removal_values())
