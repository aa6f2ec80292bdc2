/** @odoo-module **/

/**
 * Steps several tours share: paying Odoo's payment form with the demo provider's card, and
 * with Credits.
 */

/** Pay the payment form with the demo provider, by a card whose payment succeeds. */
export function payByDemoCard() {
    return [
        {
            content: "Select the demo payment method",
            trigger: "input[name='o_payment_radio'][data-provider-code='demo']",
            run: "click",
        },
        {
            content: "Enter test card details",
            trigger: "input[name='customer_input']",
            run: "edit 4242424242424242",
        },
        {
            content: "A successful payment",
            trigger: "select#simulated_payment_state",
            run: "select done",
        },
        {
            content: "Pay",
            trigger: "button[name='o_payment_submit_button']:not(:disabled)",
            run: "click",
            expectUnloadPage: true,
        },
    ];
}

/** Pay the payment form inside ``scope`` (a selector, e.g. "#pay_with") with Credits. */
export function payWithCredits(scope) {
    return [
        {
            content: "Choose Credits",
            trigger: `${scope} input[name='o_payment_radio'][data-provider-code='credit']`,
            run: "click",
        },
        {
            content: "Pay",
            trigger: `${scope} button[name='o_payment_submit_button']:not(:disabled)`,
            run: "click",
            expectUnloadPage: true,
        },
    ];
}
