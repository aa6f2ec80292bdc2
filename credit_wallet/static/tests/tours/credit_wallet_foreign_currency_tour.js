/** @odoo-module **/

import { registry } from "@web/core/registry";
import { payByDemoCard, payWithCredits } from "@credit_wallet/../tests/tours/utils/credit_wallet_tour_steps";

/**
 * A dollar customer of a euro agency (10 credits per EUR, 9 per USD, whole credits) with 100
 * credits buys the Dollar Pack (450 credits for 45.00 USD, 45 of them bonus), then pays an
 * invoice of 3.51 USD, which takes 32 credits. Balances and history speak credits.
 */
registry.category("web_tour.tours").add("credit_wallet_foreign_currency_tour", {
    url: "/my/credits",
    steps: () => [
        {
            content: "The balance is in credits, its value in dollars beside it",
            trigger: ".o_credit_wallet_balance:contains(100 credits)",
        },
        {
            content: "worth 11.11 USD",
            trigger: ".o_credit_wallet_balance_value:contains(11.11)",
        },
        {
            content: "The header says the number of credits",
            trigger: "a.o_credit_wallet_header_link .o_credit_wallet_header_amount:contains(100)",
        },
        {
            content: "Open the Buy Credits page",
            trigger: "a.o_credit_wallet_buy",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The dollar package is offered in dollars; choose it",
            trigger: ".o_credit_package:contains(Dollar Pack):contains(45.00) a.o_credit_package_choose",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The package is selected",
            trigger: ".o_credit_package_selected:contains(Dollar Pack)",
        },
        ...payByDemoCard(),
        {
            content: "Back on the Credits page: 450 credits added, 45 of them bonus",
            trigger:
                ".o_credit_purchase_notice_added:contains(450 credits were added to your balance):contains(45 of them bonus)",
        },
        {
            content: "The history's newest row leaves 550 credits",
            trigger:
                ".o_credit_wallet_history tbody tr:first-child .o_credit_wallet_running_balance:contains(550)",
        },
        {
            content: "Go to the invoices",
            trigger: "a.o_credit_wallet_header_link",
            run: () => {
                window.location.href = "/my/invoices";
            },
            expectUnloadPage: true,
        },
        {
            content: "Open the dollar invoice",
            trigger: "a[href^='/my/invoices/'][title]",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "Pay it now",
            trigger: "a[data-bs-target='#pay_with']:contains(Pay Now)",
            run: "click",
        },
        {
            content: "Credits say what the payment takes",
            trigger: "#pay_with .o_credit_payment_option .o_credit_payment_credits:contains(32 credits)",
        },
        {
            content: "and what is left",
            trigger: "#pay_with .o_credit_payment_option .o_credit_payment_balance_after:contains(518)",
        },
        ...payWithCredits("#pay_with"),
        {
            content: "Back on the invoice, it is paid",
            trigger: "#sidebar_content .badge.text-bg-success:contains(Paid)",
        },
        {
            content: "The header shows 518; open the Credits page",
            trigger: "a.o_credit_wallet_header_link:contains(518)",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The payment is the newest Out entry, of 32 credits",
            trigger:
                ".o_credit_wallet_history tbody tr:first-child:has(.o_credit_wallet_type_out) .o_credit_wallet_amount:contains(32)",
        },
        {
            content: "It leaves 518 credits",
            trigger:
                ".o_credit_wallet_history tbody tr:first-child .o_credit_wallet_running_balance:contains(518)",
        },
    ],
});
