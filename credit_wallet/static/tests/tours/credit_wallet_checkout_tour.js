/** @odoo-module **/

import { registry } from "@web/core/registry";
import * as tourUtils from "@website_sale/js/tours/tour_utils";

/**
 * A customer with 250.00 credits buys the Design Sprint service (100.00) on /shop and pays
 * it with Credits: the payment step shows the balance and what is left after paying.
 */
registry.category("web_tour.tours").add("credit_wallet_checkout_tour", {
    url: "/shop",
    steps: () => [
        ...tourUtils.searchProduct("Design Sprint", { select: true }),
        {
            content: "Add the service to the cart",
            trigger: "#product_detail #add_to_cart",
            run: "click",
        },
        tourUtils.goToCart(),
        // the address is complete and a service needs no delivery: straight to the payment
        tourUtils.goToCheckout(),
        {
            content: "Credits show the balance",
            trigger: ".o_credit_payment_option .o_credit_payment_balance:contains(250.00)",
        },
        {
            content: "and the balance after paying the order",
            trigger: ".o_credit_payment_option .o_credit_payment_balance_after:contains(150.00)",
        },
        {
            content: "Choose Credits",
            trigger: "input[name='o_payment_radio'][data-provider-code='credit']",
            run: "click",
        },
        ...tourUtils.pay({ expectUnloadPage: true }),
        {
            content: "The order is confirmed and paid",
            trigger: "h3:contains(Thank you for your order)",
        },
        {
            content: "The payment succeeded",
            trigger: ".oe_website_sale_tx_status .card.alert-success",
        },
        {
            content: "The header shows the new balance",
            trigger: "a.o_credit_wallet_header_link:contains(150.00)",
        },
    ],
});
