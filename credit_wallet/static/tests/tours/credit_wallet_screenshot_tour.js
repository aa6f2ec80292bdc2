/** @odoo-module **/

import { registry } from "@web/core/registry";

/**
 * The pages of the Odoo Apps screenshots (static/description), on the demo data. Each tour
 * checks what the page shows and ends on the state to capture (tests/test_screenshots.py).
 */

/** The number in a monetary text such as "$ 1,180.00". */
function amountOf(element) {
    return parseFloat(element.textContent.replace(/[^\d.-]/g, ""));
}

/** Last step: web fonts and transitions (a modal fading in) are done before the capture. */
const settled = {
    content: "The page is settled",
    trigger: "body",
    async run() {
        await document.fonts.ready;
        const ending = document
            .getAnimations()
            .filter(
                (animation) =>
                    animation.playState === "running" &&
                    animation.effect?.getComputedTiming().endTime !== Infinity
            );
        // a transition replaced by another one is cancelled: its promise rejects
        await Promise.allSettled(ending.map((animation) => animation.finished));
    },
};

registry.category("web_tour.tours").add("credit_wallet_screenshot_credits", {
    steps: () => [
        {
            content: "The history lists movements in and out",
            trigger:
                ".o_credit_wallet_history:has(.o_credit_wallet_type_in):has(.o_credit_wallet_type_out)",
        },
        {
            content: "The balance of the page, of the header and of the newest movement agree",
            trigger: ".o_credit_wallet_history tbody tr:first-child .o_credit_wallet_running_balance",
            run() {
                const balance = amountOf(document.querySelector(".o_credit_wallet_balance"));
                const header = amountOf(document.querySelector(".o_credit_wallet_header_amount"));
                const running = amountOf(this.anchor);
                if (!(balance > 0 && balance === header && balance === running)) {
                    throw new Error(`Balance ${balance}, header ${header}, running ${running}`);
                }
            },
        },
        settled,
    ],
});

registry.category("web_tour.tours").add("credit_wallet_screenshot_buy", {
    steps: () => [
        {
            content: "Choose a package with bonus credits",
            trigger: ".o_credit_package:has(.o_credit_package_bonus) a.o_credit_package_choose",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The package is selected, with its bonus",
            trigger: ".o_credit_package_selected .o_credit_package_bonus",
        },
        {
            content: "The payment form offers card payments (the demo provider)",
            trigger: "#o_credit_buy_payment input[name='o_payment_radio'][data-provider-code='demo']",
        },
        {
            content: "but not Credits: credits do not buy credits",
            trigger:
                "#o_credit_buy_payment:not(:has(input[name='o_payment_radio'][data-provider-code='credit']))",
        },
        {
            content: "Pay by bank transfer",
            trigger:
                "#o_credit_buy_payment input[name='o_payment_radio'][data-payment-method-code='wire_transfer']",
            run: "click",
        },
        {
            content: "Show the page from its title: the packages, then the payment form",
            trigger: "#o_credit_buy_payment button[name='o_payment_submit_button']:not(:disabled)",
            run() {
                document.querySelector(".o_credit_buy h3").scrollIntoView({ block: "start" });
                window.scrollBy(0, -24);
            },
        },
        settled,
    ],
});

registry.category("web_tour.tours").add("credit_wallet_screenshot_invoice", {
    steps: () => [
        {
            content: "Pay the invoice now",
            trigger: "a[data-bs-target='#pay_with']:contains(Pay Now)",
            run: "click",
        },
        {
            content: "Choose Credits",
            trigger: "#pay_with input[name='o_payment_radio'][data-provider-code='credit']",
            run: "click",
        },
        {
            content: "and what is left after paying, which is less",
            trigger: "#pay_with .o_credit_payment_option .o_credit_payment_balance_after",
            run() {
                const option = this.anchor.closest(".o_credit_payment_option");
                const before = amountOf(option.querySelector(".o_credit_payment_balance"));
                const after = amountOf(this.anchor);
                if (!(after >= 0 && after < before)) {
                    throw new Error(`Balance ${before}, after the payment ${after}`);
                }
            },
        },
        {
            content: "The payment can be submitted",
            trigger: "#pay_with button[name='o_payment_submit_button']:not(:disabled)",
        },
        settled,
    ],
});

registry.category("web_tour.tours").add("credit_wallet_screenshot_ledger", {
    steps: () => [
        {
            content: "The ledger lists movements in and out with their running balance",
            trigger:
                ".o_list_view:has(.o_data_row td[name='entry_type'] .text-bg-success):has(td[name='entry_type'] .text-bg-300) td[name='running_balance']",
        },
        {
            content: "and the journal entry of the newest",
            trigger: ".o_list_view .o_data_row:first-child td[name='move_id']:not(:empty)",
        },
        settled,
    ],
});

registry.category("web_tour.tours").add("credit_wallet_screenshot_requests", {
    steps: () => [
        {
            content: "The queue opens on the requests to review",
            trigger: ".o_searchview_facet:contains(To Review) .o_facet_remove",
            run: "click",
        },
        {
            content: "Without the filter, the decided requests show too, one column a status",
            trigger:
                ".o_kanban_renderer:has(.o_kanban_group:contains(Awaiting Proof) .o_kanban_record):has(.o_kanban_group:contains(Accepted) .o_kanban_record):has(.o_kanban_group:contains(Rejected) .o_kanban_record)",
        },
        settled,
    ],
});

registry.category("web_tour.tours").add("credit_wallet_screenshot_reconciliation", {
    steps: () => [
        {
            content: "The wallets match the Customer Credit account: no difference",
            trigger: ".o_list_view .o_data_row.text-success td[name='difference']",
        },
        settled,
    ],
});
