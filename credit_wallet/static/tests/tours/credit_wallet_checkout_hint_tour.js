/** @odoo-module **/

import { registry } from "@web/core/registry";
import * as tourUtils from "@website_sale/js/tours/tour_utils";

const NO_CREDITS_OPTION = "#o_payment_methods:not(:has(input[data-provider-code='credit']))";

/**
 * Open a product's page from the shop's search, check whether it says credits can pay the
 * product, and add it to the cart.
 */
function addToCart(productName, payableWithCredits) {
    const page = `#product_details:has(h1:contains(${productName}))`;
    return [
        ...tourUtils.searchProduct(productName, { select: true }),
        payableWithCredits
            ? {
                  content: `The page of ${productName} says credits can pay it`,
                  trigger: `${page} .o_credit_eligible:contains(Can be paid with credits)`,
              }
            : {
                  content: `The page of ${productName} says nothing of credits`,
                  trigger: `${page}:not(:has(.o_credit_eligible))`,
              },
        {
            content: `Add ${productName} to the cart`,
            trigger: `${page} #add_to_cart`,
            run: "click",
        },
    ];
}

/**
 * A customer with 250.00 credits puts the Design Sprint service (payable with credits) and the
 * Onsite Workshop (not payable with credits) in the cart: the product pages and the cart say
 * which is which, and the payment step says why Credits is not offered. Once the workshop is
 * removed, Credits is offered.
 */
registry.category("web_tour.tours").add("credit_wallet_checkout_ineligible_tour", {
    url: "/shop",
    steps: () => [
        ...addToCart("Design Sprint", true),
        {
            content: "The cart holds it",
            trigger: "sup.my_cart_quantity:contains(/^1$/)",
        },
        ...addToCart("Onsite Workshop", false),
        tourUtils.goToCart({ quantity: 2 }),
        {
            content: "The cart says credits can pay the service",
            trigger:
                ".o_cart_product:has(h6:contains(Design Sprint)) .o_credit_eligible:contains(Can be paid with credits)",
        },
        {
            content: "and not the workshop",
            trigger:
                ".o_cart_product:has(h6:contains(Onsite Workshop)) .o_credit_not_eligible:contains(Not payable with credits)",
        },
        tourUtils.goToCheckout(),
        {
            content: "Where Credits would be, the payment step names the workshop",
            trigger:
                "#o_payment_methods .o_credit_payment_hint:contains(Onsite Workshop cannot be paid with credits.)",
        },
        {
            content: "and offers no Credits",
            trigger: NO_CREDITS_OPTION,
        },
        {
            content: "Back to the cart",
            trigger: "body",
            run: "goToUrl /shop/cart",
            expectUnloadPage: true,
        },
        {
            content: "Remove the workshop",
            trigger: ".o_cart_product:has(h6:contains(Onsite Workshop)) a.js_delete_product",
            run: "click",
        },
        {
            content: "The cart holds the service only",
            trigger: ".js_cart_lines:not(:has(h6:contains(Onsite Workshop)))",
        },
        tourUtils.goToCheckout(),
        {
            content: "Credits is offered now, with the balance",
            trigger: ".o_credit_payment_option .o_credit_payment_balance:contains(250.00)",
        },
        {
            content: "and no hint",
            trigger: "#o_payment_methods:not(:has(.o_credit_payment_hint))",
        },
    ],
});

/**
 * A customer with 64.00 credits buys the Design Sprint service (100.00): the payment step says
 * that 36.00 credits more are needed, and its Buy Credits link opens the credit packages.
 */
registry.category("web_tour.tours").add("credit_wallet_checkout_short_balance_tour", {
    url: "/shop",
    steps: () => [
        ...addToCart("Design Sprint", true),
        tourUtils.goToCart(),
        {
            content: "The cart says credits can pay it",
            trigger: ".o_cart_product .o_credit_eligible:contains(Can be paid with credits)",
        },
        tourUtils.goToCheckout(),
        {
            content: "Where Credits would be, the payment step says what is missing",
            trigger: "#o_payment_methods .o_credit_payment_hint:contains(36.00 credits more.)",
        },
        {
            content: "and offers no Credits",
            trigger: NO_CREDITS_OPTION,
        },
        {
            content: "Buy Credits",
            trigger: ".o_credit_payment_hint a.o_credit_payment_hint_buy:contains(Buy Credits)",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The credit packages are on sale",
            trigger: ".o_credit_package .o_credit_package_name:contains(Starter)",
        },
    ],
});
