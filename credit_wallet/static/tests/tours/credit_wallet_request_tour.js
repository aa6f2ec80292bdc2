/** @odoo-module **/

import { registry } from "@web/core/registry";

/**
 * A customer buys the Growth package (100.00 for 120.00 credits) by wire transfer: the
 * status page says where to send the money (the agency's bank account, the amount, the
 * reference to quote), its link opens the credit requests, where the Pending request says
 * it again and the customer attaches a PDF receipt, which the request then lists.
 */
registry.category("web_tour.tours").add("credit_wallet_request_tour", {
    url: "/my/credits",
    steps: () => [
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
            content: "Select the wire transfer",
            trigger: "input[name='o_payment_radio'][data-payment-method-code='wire_transfer']",
            run: "click",
        },
        {
            content: "Confirm the purchase",
            trigger: "button[name='o_payment_submit_button']:not(:disabled)",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The status page stays on the waiting payment once its status poll answered",
            trigger: "div[name='o_payment_status'] a.o_credit_request_link",
            async run() {
                // the first poll answers within milliseconds; the next one comes after 3 s
                await new Promise((resolve) => setTimeout(resolve, 1500));
                if (!document.querySelector("a.o_credit_request_link")) {
                    throw new Error("The status page of the waiting payment was left");
                }
            },
        },
        {
            content: "The status page gives the agency's bank and account",
            trigger:
                "div[name='o_payment_status'] .o_credit_instructions:has(.o_credit_instructions_bank:contains(First Harbor Bank)) .o_credit_instructions_account:contains(4021 7788 1290 3355)",
        },
        {
            content: "the amount to send and the reference to quote",
            trigger:
                "div[name='o_payment_status'] .o_credit_instructions:has(.o_credit_instructions_amount:contains(100.00)) .o_credit_instructions_reference:contains(CREDIT-)",
        },
        {
            content: "and no longer asks the customer to wait",
            trigger: "div[name='o_payment_status']:not(:contains(Please wait))",
        },
        {
            content: "The status page leads to the credit request",
            trigger: "div[name='o_payment_status'] a.o_credit_request_link",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The purchase is a Pending wire transfer request",
            trigger:
                "tbody.o_credit_request_group:first-of-type:contains(Wire Transfer):contains(120.00) .o_credit_request_state:contains(Pending)",
        },
        {
            content: "The request says where to send the money too",
            trigger:
                "tbody.o_credit_request_group:first-of-type .o_credit_request_instructions .o_credit_instructions_account:contains(4021 7788 1290 3355)",
        },
        {
            content: "Choose the receipt",
            trigger: "tbody.o_credit_request_group:first-of-type input.o_credit_proof_input",
            run() {
                const receipt = new File(["%PDF-1.4\n% transfer receipt\n%%EOF\n"], "receipt.pdf", {
                    type: "application/pdf",
                });
                const transfer = new DataTransfer();
                transfer.items.add(receipt);
                this.anchor.files = transfer.files;
                this.anchor.dispatchEvent(new Event("change", { bubbles: true }));
            },
        },
        {
            content: "Attach it",
            trigger: "tbody.o_credit_request_group:first-of-type button.o_credit_proof_submit",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The receipt was added",
            trigger: ".o_credit_proof_added",
        },
        {
            content: "The request lists it, to open, and is still Pending",
            trigger:
                "tbody.o_credit_request_group:first-of-type:has(.o_credit_request_state:contains(Pending)) a.o_credit_request_proof_open:contains(receipt.pdf)",
        },
    ],
});

/**
 * The agency accepted the Growth request and rejected a later Starter one: the customer sees
 * 120.00 credits, the purchase in the history, and on the requests page both decisions,
 * the rejection with its reason.
 */
registry.category("web_tour.tours").add("credit_wallet_request_decided_tour", {
    url: "/my/credits",
    steps: () => [
        {
            content: "The balance includes the accepted purchase and its bonus",
            trigger: ".o_credit_wallet_balance:contains(120.00)",
        },
        {
            content: "The purchase is an In entry of the history",
            trigger:
                ".o_credit_wallet_history tbody tr:contains(Credit purchase: Growth) .o_credit_wallet_type_in",
        },
        {
            content: "Open the credit requests",
            trigger: "a.o_credit_wallet_requests",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The newest request was rejected, with the reason",
            trigger:
                "tbody.o_credit_request_group:first-of-type:has(.o_credit_request_state:contains(Rejected)) .o_credit_request_reason:contains(No transfer with this reference arrived.)",
        },
        {
            content: "nothing more can be attached to it, and it says nowhere to pay",
            trigger:
                "tbody.o_credit_request_group:first-of-type:not(:has(form.o_credit_proof_form)):not(:has(.o_credit_instructions))",
        },
        {
            content: "The Growth request was accepted, with its receipt, which stays",
            trigger:
                "tbody.o_credit_request_group:nth-of-type(2):contains(120.00):has(.o_credit_request_state:contains(Accepted)):not(:has(.o_credit_proof_remove)) a.o_credit_request_proof_open:contains(receipt.pdf)",
        },
    ],
});
