/** @odoo-module **/

import { registry } from "@web/core/registry";
import { payWithCredits } from "@credit_wallet/../tests/tours/utils/credit_wallet_tour_steps";

/**
 * A customer with 250.00 credits opens an invoice of 100.00 from the portal, pays it with
 * Credits, sees it paid, then finds the payment in the Credits history.
 */
registry.category("web_tour.tours").add("credit_wallet_invoice_tour", {
    url: "/my/invoices",
    steps: () => [
        {
            content: "Open the invoice",
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
            content: "Credits show the balance",
            trigger: "#pay_with .o_credit_payment_option .o_credit_payment_balance:contains(250.00)",
        },
        {
            content: "and the balance after paying the invoice",
            trigger:
                "#pay_with .o_credit_payment_option .o_credit_payment_balance_after:contains(150.00)",
        },
        ...payWithCredits("#pay_with"),
        {
            content: "Back on the invoice, it is paid",
            trigger: "#sidebar_content .badge.text-bg-success:contains(Paid)",
        },
        {
            content: "The header shows the new balance; open the Credits page",
            trigger: "a.o_credit_wallet_header_link:contains(150.00)",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The payment is the newest Out entry, linking to the invoice",
            trigger:
                ".o_credit_wallet_history tbody tr:first-child:has(.o_credit_wallet_type_out) a[href^='/my/invoices/']",
        },
        {
            content: "It leaves 150.00",
            trigger:
                ".o_credit_wallet_history tbody tr:first-child .o_credit_wallet_running_balance:contains(150.00)",
        },
    ],
});
