/** @odoo-module **/

import paymentPostProcessing from "@payment/js/post_processing";

paymentPostProcessing.include({
    /**
     * Stay on the status page of a pending credit purchase: payment_custom leaves it at once
     * for the landing route, and with it what to send where and the way to the request.
     *
     * @override method from @payment/js/post_processing
     * @private
     * @param {string} providerCode - The code of the provider handling the transaction.
     * @return {Set} The states in which the status page leaves for the landing route.
     */
    _getFinalStates(providerCode) {
        const finalStates = this._super(...arguments);
        if (this.el.querySelector(".o_credit_request_link")) {
            finalStates.delete("pending");
        }
        return finalStates;
    },
});
