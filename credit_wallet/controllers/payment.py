from decimal import MAX_PREC, Decimal, InvalidOperation, localcontext

from werkzeug.exceptions import NotFound

from odoo import http
from odoo.exceptions import ValidationError
from odoo.http import request
from odoo.tools import float_repr, float_round
from odoo.tools.misc import format_amount

from odoo.addons.payment import utils as payment_utils
from odoo.addons.payment.controllers import portal as payment_portal
from odoo.addons.payment.controllers.post_processing import PaymentPostProcessing
from odoo.addons.website_payment.controllers import portal as website_payment_portal

from ..const import CREDIT_CODE, CREDIT_PROCESS_URL, CRYPTO_MODE

CUSTOM_AMOUNT = "custom"
# no payment comes near it: a float keeps every cent exact up to about 9e13, and Odoo's
# rounding overflows on 1e308
MAX_AMOUNT = Decimal(10**12)


class CreditWalletPayment(website_payment_portal.PaymentPortal):
    """Buy credits (packages page, payment form, transaction route) and spend them; check
    the amount of every payment route (Odoo's own included, donations too)."""

    @http.route(
        "/my/credits/buy", type="http", auth="user", methods=["GET"], website=True, sitemap=False
    )
    def portal_my_credits_buy(self, package_id=None, amount=None, **kwargs):
        """Show the published packages; with a package (or a custom amount), the payment form."""
        if not self._credit_buy_available():
            return request.redirect("/my")
        user = request.env.user
        company_sudo = user._credit_portal_company_sudo()
        currency = company_sudo._credit_website_currency(request.website)
        low, high = self._credit_custom_amount_bounds(company_sudo, currency)
        values = {
            "page_name": "credits_buy",
            "packages": self._credit_published_packages(company_sudo, currency),
            "company": company_sudo,
            "currency": currency,
            "custom_amount_allowed": company_sudo.credit_custom_amount_allowed,
            "custom_amount_min": low,
            "custom_amount_max": high,
            "selected_package": request.env["credit.package"],
            "custom_amount": None,
            "custom_credits": None,
            "buy_error": None,
        }
        try:
            if package_id:
                package = self._credit_check_package(company_sudo, currency, package_id)
                values["selected_package"] = package
                values.update(
                    self._credit_payment_form_values(user, package.price, currency, package)
                )
            elif amount is not None:
                custom_amount = self._credit_check_custom_amount(company_sudo, currency, amount)
                values["custom_amount"] = custom_amount
                values["custom_credits"] = company_sudo._credit_from_money(custom_amount, currency)
                values.update(self._credit_payment_form_values(user, custom_amount, currency))
        except ValidationError as error:
            values["buy_error"] = error.args[0]
        return request.render("credit_wallet.portal_my_credits_buy", values)

    @http.route(
        ["/my/credits/transaction/<int:package_id>", f"/my/credits/transaction/{CUSTOM_AMOUNT}"],
        type="json",
        auth="user",
        website=True,
    )
    def portal_my_credits_transaction(
        self, package_id=None, amount=None, access_token=None, **kwargs
    ):
        """Create the draft transaction buying a package (or a custom amount) of credits.

        Amount, currency and partner come from the server: the package's price, the currency of
        the website's company and the logged-in customer. A client-sent amount that differs, or
        any other value (currency, partner, reference), is refused before anything is created.
        """
        if not self._credit_buy_available():
            raise ValidationError(request.env._("Buying credits is not available."))
        user = request.env.user
        company_sudo = user._credit_portal_company_sudo()
        currency = company_sudo._credit_website_currency(request.website)
        partner = user.partner_id
        if package_id is not None:
            package = self._credit_check_package(company_sudo, currency, package_id)
            price, credits, bonus = package.price, package.credit_amount, package.bonus_amount
        else:
            package = request.env["credit.package"]
            price = self._credit_check_custom_amount(company_sudo, currency, amount)
            credits, bonus = company_sudo._credit_from_money(price, currency), 0.0
        # compared as exact decimals: 1e308, NaN or a list cannot overflow or round into a match
        sent_amount = self._credit_parse_amount(amount)
        if sent_amount is None or sent_amount != self._credit_decimal(currency, price):
            raise ValidationError(
                request.env._("The amount to pay does not match the credits you chose.")
            )
        # hmac refuses to compare a non-ASCII or non-string token: that is a wrong token too
        if not (
            isinstance(access_token, str)
            and access_token.isascii()
            and payment_utils.check_access_token(
                access_token, partner.id, price, currency.id, package.id or CUSTOM_AMOUNT
            )
        ):
            raise ValidationError(request.env._("The access token is invalid."))
        self._validate_transaction_kwargs(kwargs)
        if kwargs.get("is_validation"):
            raise ValidationError(request.env._("Buying credits is a payment, not a validation."))
        self._credit_check_payment_option(user, price, currency, kwargs)

        wallet = request.env["credit.wallet"]._get_or_create_wallet(partner, company_sudo)
        kwargs["landing_route"] = "/my/credits"
        # this route is the one place a credit purchase is created
        request.update_context(**request.env["payment.transaction"]._credit_flow().env.context)
        tx_sudo = self._create_transaction(
            amount=price,
            currency_id=currency.id,
            partner_id=partner.id,
            custom_create_values={
                "credit_wallet_id": wallet.id,
                "credit_package_id": package.id,
                "credit_amount": credits,
                "credit_bonus": bonus,
            },
            **kwargs,
        )
        return tx_sudo._get_processing_values()

    # -------------------------------------------------------------------------
    # Checks
    # -------------------------------------------------------------------------

    @staticmethod
    def _credit_buy_available():
        """Buy Credits follows the credit hub's one rule (credit payments enabled)."""
        return request.env.user._credit_hub_available()

    @staticmethod
    def _credit_published_packages(company, currency):
        """The packages on sale on the website of ``company``, in ``currency``, at today's
        rate."""
        # sudo: the company's published catalogue, on sale to every customer of its website
        packages_sudo = request.env["credit.package"].sudo()
        return packages_sudo.search(
            [*packages_sudo._get_published_domain(company), ("currency_id", "=", currency.id)]
        )._credit_sellable()

    def _credit_check_package(self, company, currency, package_id):
        package_id = self._cast_as_int(package_id)
        package = self._credit_published_packages(company, currency).filtered(
            lambda package: package.id == package_id
        )
        if not package_id or not package:
            raise ValidationError(request.env._("This credit package is not available."))
        return package

    @staticmethod
    def _credit_custom_amount_bounds(company, currency):
        """The money of ``currency`` that buys the company's fewest and most custom credits."""
        rate = company._credit_rate(currency).rate or 1.0
        low = float_round(
            company.credit_custom_amount_min / rate,
            precision_rounding=currency.rounding,
            rounding_method="UP",
        )
        high = float_round(
            company.credit_custom_amount_max / rate,
            precision_rounding=currency.rounding,
            rounding_method="DOWN",
        )
        return low, high

    def _credit_check_custom_amount(self, company, currency, amount):
        """The custom amount of ``currency`` the customer asked for, or a ValidationError
        saying what is wrong.

        The amount must buy credits within the company's bounds and be an exact amount of the
        currency: 20.125 is refused rather than rounded, so that the customer pays what they
        typed.
        """
        env = request.env
        if not company.credit_custom_amount_allowed:
            raise ValidationError(env._("Credits are sold in packages only."))
        value = self._credit_parse_amount(amount)
        if value is None:
            raise ValidationError(env._("Enter the number of credits as a number."))
        low, high = self._credit_custom_amount_bounds(company, currency)
        if value < self._credit_decimal(currency, low) or value > self._credit_decimal(
            currency, high
        ):
            raise ValidationError(
                env._(
                    "Choose an amount between %(minimum)s and %(maximum)s.",
                    minimum=format_amount(env, low, currency),
                    maximum=format_amount(env, high, currency),
                )
            )
        if not self._credit_is_exact(value, currency):
            raise ValidationError(
                env._(
                    "Enter an amount in steps of %(step)s.",
                    step=format_amount(env, currency.rounding, currency),
                )
            )
        return currency.round(float(value))

    @staticmethod
    def _credit_parse_amount(amount):
        """``amount`` as sent by the browser as an exact finite Decimal, or None.

        Never a float: 1e308 would overflow when rounded, and 20 decimals would round
        silently into another amount.
        """
        try:
            value = Decimal(str(amount).strip())
        except (InvalidOperation, ValueError):
            return None
        return value if value.is_finite() else None

    @staticmethod
    def _credit_decimal(currency, value):
        """A server-side amount (price, bound, rounding) as the Decimal the customer sees."""
        return Decimal(float_repr(value, currency.decimal_places))

    @staticmethod
    def _credit_is_exact(value, currency):
        """Whether the Decimal ``value`` is a whole number of ``currency``'s smallest unit."""
        # exact remainder however many decimals were sent (the default precision would round)
        with localcontext(prec=MAX_PREC):
            return value % CreditWalletPayment._credit_decimal(currency, currency.rounding) == 0

    # -------------------------------------------------------------------------
    # The amount of every payment route
    # -------------------------------------------------------------------------

    @staticmethod
    def _credit_check_transaction_amount(amount, currency=None):
        """``amount`` as sent to a transaction route, as a float, or a ValidationError.

        A positive number below MAX_AMOUNT that a float holds exactly and, once the currency is
        known, a whole number of its smallest unit: 1e308 or NaN would crash Odoo's rounding,
        1e-9 or 20 decimals would round into another amount than the one sent.
        """
        env = request.env
        value = CreditWalletPayment._credit_parse_amount(amount)
        number = float(value) if value is not None and 0 < value < MAX_AMOUNT else None
        # repr() is the shortest decimal a float reads back from: any other means lost digits
        if number is None or Decimal(repr(number)) != value:
            raise ValidationError(env._("The amount to pay is not a valid amount."))
        if currency and not CreditWalletPayment._credit_is_exact(value, currency):
            raise ValidationError(
                env._(
                    "The amount to pay must be in steps of %(step)s.",
                    step=format_amount(env, currency.rounding, currency),
                )
            )
        return number

    @staticmethod
    def _cast_as_float(str_value):
        """Odoo's reading of an amount in a URL (payment links, donations): void, as for
        "abc", what Odoo could not round either (1e308, NaN, infinity)."""
        value = CreditWalletPayment._credit_parse_amount(str_value)
        return float(value) if value is not None and abs(value) < MAX_AMOUNT else None

    @http.route()
    def payment_transaction(self, amount, currency_id, partner_id, access_token, **kwargs):
        # Odoo reads the amount before anything else; a validation sends none
        if amount is not None:
            amount = self._credit_check_transaction_amount(amount)
        return super().payment_transaction(amount, currency_id, partner_id, access_token, **kwargs)

    @http.route()
    def donation_transaction(
        self, amount, currency_id, partner_id, access_token, minimum_amount=0, **kwargs
    ):
        # Odoo compares both amounts before anything else
        amount = self._credit_check_transaction_amount(amount)
        minimum_amount = self._cast_as_float(minimum_amount)
        if minimum_amount is None:
            raise ValidationError(request.env._("The minimum donation is not a valid amount."))
        return super().donation_transaction(
            amount, currency_id, partner_id, access_token, minimum_amount=minimum_amount, **kwargs
        )

    def _credit_check_payment_option(self, user, amount, currency, kwargs):
        """Refuse a provider, payment method or token the payment form did not offer."""
        providers_sudo, payment_methods_sudo, tokens_sudo = self._credit_payment_options(
            user, amount, currency
        )
        if kwargs.get("flow") == "token":
            valid = self._cast_as_int(kwargs.get("token_id")) in tokens_sudo.ids
        else:
            valid = (
                self._cast_as_int(kwargs.get("provider_id")) in providers_sudo.ids
                and self._cast_as_int(kwargs.get("payment_method_id")) in payment_methods_sudo.ids
            )
        if not valid:
            raise ValidationError(request.env._("This payment method is not available."))

    # -------------------------------------------------------------------------
    # Payment form
    # -------------------------------------------------------------------------

    @staticmethod
    def _credit_payment_options(user, amount, currency, report=None):
        company_sudo, partner = user._credit_portal_company_sudo(), user.partner_id
        # sudo: providers, methods and tokens are read for this customer's payment form only
        providers_sudo = (
            request.env["payment.provider"]
            .sudo()
            ._get_compatible_providers(
                company_sudo.id,
                partner.id,
                amount,
                currency_id=currency.id,
                website_id=request.website.id,
                report=report,
                # cryptocurrency is offered for buying credits only
                credit_purchase=True,
            )
            # credits cannot buy credits
            .filtered(lambda provider: provider.code != "credit")
        )
        payment_methods_sudo = (
            request.env["payment.method"]
            .sudo()
            ._get_compatible_payment_methods(
                providers_sudo.ids, partner.id, currency_id=currency.id, report=report
            )
        )
        tokens_sudo = (
            request.env["payment.token"]
            .sudo()
            ._get_available_tokens(providers_sudo.ids, partner.id)
        )
        return providers_sudo, payment_methods_sudo, tokens_sudo

    def _credit_payment_form_values(self, user, amount, currency, package=None):
        """Rendering values of ``payment.form`` for buying ``amount`` of ``currency`` worth of
        credits."""
        availability_report = {}
        providers_sudo, payment_methods_sudo, tokens_sudo = self._credit_payment_options(
            user, amount, currency, report=availability_report
        )
        partner = user.partner_id
        route_key = package.id if package else CUSTOM_AMOUNT
        return {
            "amount": amount,
            "currency": currency,
            "partner_id": partner.id,
            "providers_sudo": providers_sudo,
            "payment_methods_sudo": payment_methods_sudo,
            "tokens_sudo": tokens_sudo,
            "availability_report": availability_report,
            "show_tokenize_input_mapping": self._compute_show_tokenize_input_mapping(
                providers_sudo
            ),
            "transaction_route": f"/my/credits/transaction/{route_key}",
            "landing_route": "/my/credits",
            "access_token": payment_utils.generate_access_token(
                partner.id, amount, currency.id, route_key
            ),
            "submit_button_label": request.env._("Buy Credits"),
        }

    # -------------------------------------------------------------------------
    # Paying orders and invoices with credits
    # -------------------------------------------------------------------------

    @staticmethod
    def _validate_transaction_kwargs(kwargs, additional_allowed_keys=()):
        # the payment form sends what the document looked like when it was shown
        payment_portal.PaymentPortal._validate_transaction_kwargs(
            kwargs, additional_allowed_keys=(*additional_allowed_keys, "credit_fingerprint")
        )
        # the routes of documents call this before they compare or round the amount (none
        # sent: the checkout pays the order's total)
        if kwargs.get("amount") is not None:
            kwargs["amount"] = CreditWalletPayment._credit_check_transaction_amount(
                kwargs["amount"]
            )

    def _create_transaction(
        self, *args, custom_create_values=None, credit_fingerprint=None, **kwargs
    ):
        """Every transaction route ends here: check a payment with credits before it exists.

        The routes of orders and invoices take the amount from the client and do not check
        which providers were offered: the whole rule is checked again here, and once more
        when the wallet is debited. The amount of any provider's payment is checked against
        its currency here too.
        """
        if not kwargs.get("is_validation"):  # a validation's amount is the provider's
            currency = (
                request.env["res.currency"]
                .browse(self._cast_as_int(kwargs.get("currency_id")) or [])
                .exists()
            )
            kwargs["amount"] = self._credit_check_transaction_amount(kwargs.get("amount"), currency)
        if kwargs.get("flow") == "token":
            # a token pays with its own provider, whatever provider_id says
            provider_sudo = (
                request.env["payment.token"]
                .sudo()
                .browse(self._cast_as_int(kwargs.get("token_id")) or [])
                .exists()
                .provider_id
            )
        else:
            provider_sudo = (
                request.env["payment.provider"]
                .sudo()
                .browse(self._cast_as_int(kwargs.get("provider_id")) or [])
                .exists()
            )
        if provider_sudo.code == CREDIT_CODE:
            custom_create_values = self._credit_check_spend_request(
                provider_sudo, custom_create_values or {}, credit_fingerprint, kwargs
            )
            # checked: the payment flow creates this payment with credits
            request.update_context(**request.env["payment.transaction"]._credit_flow().env.context)
        elif provider_sudo.custom_mode == CRYPTO_MODE and not (custom_create_values or {}).get(
            "credit_wallet_id"
        ):
            raise ValidationError(request.env._("Cryptocurrency buys credits only."))
        return super()._create_transaction(
            *args, custom_create_values=custom_create_values, **kwargs
        )

    def _credit_check_spend_request(self, provider_sudo, custom_create_values, fingerprint, kwargs):
        """Refuse a payment with credits the payment form could not have offered.

        :return: the transaction's create values, with the document's fingerprint
        """
        env = request.env
        user = env.user
        document = self._credit_requested_document(custom_create_values)
        paying_partner = env["res.partner"].browse(
            self._cast_as_int(kwargs.get("partner_id")) or []
        )
        if kwargs.get("flow") != "redirect" or kwargs.get("is_validation"):
            refusal = env._("Credits are spent from the payment form of an order or an invoice.")
        elif (
            self._cast_as_int(kwargs.get("payment_method_id"))
            not in provider_sudo.payment_method_ids.ids
        ):
            refusal = env._("This payment method is not available.")
        else:
            refusal = document._credit_spend_refusal(
                user.partner_id, self._cast_as_float(kwargs.get("amount"))
            )
        if not refusal and (
            provider_sudo.company_id != document.company_id
            or paying_partner.commercial_partner_id != user.partner_id.commercial_partner_id
        ):
            refusal = env._("This payment method is not available.")
        if not refusal:
            refusal = document._credit_changed_refusal(fingerprint)
        if refusal:
            raise ValidationError(refusal)
        credits = document.company_id._credit_from_money(
            self._cast_as_float(kwargs.get("amount")), document.currency_id
        )
        return {
            **custom_create_values,
            "credit_document_fingerprint": fingerprint,
            "credit_amount": credits,
        }

    @staticmethod
    def _credit_requested_document(custom_create_values):
        """The one order or invoice a transaction route is about to pay (an empty recordset when
        it is not exactly one)."""
        # sudo: the route checked the customer's access to its document
        transactions_sudo = request.env["payment.transaction"].sudo()
        documents = []
        for field_name in ("sale_order_ids", "invoice_ids"):
            if custom_create_values.get(field_name):
                field = transactions_sudo._fields[field_name]
                record_ids = field.convert_to_cache(
                    custom_create_values[field_name], transactions_sudo
                )
                documents.append(transactions_sudo[field_name].browse(record_ids).exists())
        if len(documents) == 1 and len(documents[0]) == 1:
            return documents[0]
        return request.env["sale.order"]

    @http.route(CREDIT_PROCESS_URL, type="http", auth="user", methods=["POST"], sitemap=False)
    def credit_process(self, reference=None, **kwargs):
        """Settle the credit payment this session just started, then show its status.

        A refusal found now (the balance spent meanwhile, the document changed or paid) leaves
        nothing debited and nothing confirmed, and the status page says why.
        """
        notification_data = {
            "reference": str(reference or ""),
            # only the transaction this session created, for its customer
            "session_transaction_id": request.session.get(
                PaymentPostProcessing.MONITORED_TX_ID_KEY
            ),
            "customer_id": request.env.user.partner_id.commercial_partner_id.id,
        }
        try:
            # sudo: the notification is matched with this session's own transaction only
            tx_sudo = (
                request.env["payment.transaction"]
                .sudo()
                ._handle_notification_data(CREDIT_CODE, notification_data)
            )
        except ValidationError as error:
            raise NotFound() from error
        # the purchase completes at once: order confirmed, invoiced, as a card's poll would
        if tx_sudo.state == "done":
            tx_sudo._credit_post_process()
        return request.redirect("/payment/status")

    def _get_extra_payment_form_values(self, **kwargs):
        values = super()._get_extra_payment_form_values(**kwargs)
        # payment links name their document: show the Credits balance (or why not) for it; a
        # donation pays no document, whatever its URL names
        # sudo: the link's document, which the payment page itself checked access to
        providers_sudo = request.env["payment.provider"].sudo()
        document = providers_sudo._credit_document_from_kwargs(**kwargs)
        if document and not kwargs.get("is_donation"):
            values["credit_document"] = document
        return values
