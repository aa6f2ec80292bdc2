/** @odoo-module **/

import paymentForm from "@payment/js/payment_form";

paymentForm.include({
    /**
     * Send what the order or invoice looked like when the page was shown, so that the server
     * refuses to spend credits on a document that changed since.
     *
     * @override method from @payment/js/payment_form
     * @private
     * @return {object} The extended transaction route params.
     */
    _prepareTransactionRouteParams() {
        const params = this._super(...arguments);
        if (this.paymentContext.providerCode !== "credit") {
            return params;
        }
        const checkedRadio = this.el.querySelector('input[name="o_payment_radio"]:checked');
        const option = checkedRadio
            ?.closest('[name="o_payment_option"]')
            ?.querySelector("[data-credit-fingerprint]");
        return { ...params, credit_fingerprint: option?.dataset.creditFingerprint || "" };
    },
});
