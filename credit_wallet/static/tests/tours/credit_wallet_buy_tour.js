/** @odoo-module **/

import { registry } from "@web/core/registry";
import { payByDemoCard } from "@credit_wallet/../tests/tours/utils/credit_wallet_tour_steps";

/**
 * A customer with 30.00 credits buys the Growth package (100.00 for 120.00 credits) with
 * the demo provider, then lands on the Credits page, which says what was added, and sees
 * 150.00 in the header and the In entry in the history.
 */
registry.category("web_tour.tours").add("credit_wallet_buy_tour", {
    url: "/my/credits",
    steps: () => [
        {
            content: "The header shows the balance before the purchase",
            trigger: "a.o_credit_wallet_header_link:contains(30.00)",
        },
        {
            content: "Open the Buy Credits page",
            trigger: "a.o_credit_wallet_buy",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "Choose the Growth package",
            trigger: ".o_credit_package:contains(Growth) a.o_credit_package_choose",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The package is selected and the payment form asks for its price",
            trigger: ".o_credit_package_selected:contains(Growth)",
        },
        ...payByDemoCard(),
        {
            content: "Back on the Credits page, it says what the purchase added, bonus included",
            trigger:
                ".o_credit_purchase_notice_added:contains(120.00 credits were added to your balance):contains(20.00 of them bonus)",
        },
        {
            content: "Back on the Credits page, the purchase is the newest In entry",
            trigger:
                ".o_credit_wallet_history tbody tr:first-child:contains(Growth) .o_credit_wallet_type_in",
        },
        {
            content: "The history gives the new running balance",
            trigger:
                ".o_credit_wallet_history tbody tr:first-child .o_credit_wallet_running_balance:contains(150.00)",
        },
        {
            content: "The header shows the new balance",
            trigger: "a.o_credit_wallet_header_link:contains(150.00)",
        },
    ],
});
