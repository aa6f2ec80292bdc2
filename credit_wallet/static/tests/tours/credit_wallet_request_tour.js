/** @odoo-module **/

import { registry } from "@web/core/registry";

/**
 * A customer buys the Growth package (100.00 for 120.00 credits) by wire transfer: the
 * status page says the purchase waits, its link opens the credit requests, where the
 * customer attaches a PDF receipt to the Pending request.
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
            content: "The status page says the payment waits, and leads to the credit request",
            trigger: "div[name='o_payment_status'] a.o_credit_request_link",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The purchase is a Pending wire transfer request",
            trigger:
                "tr.o_credit_request:first-child:contains(Wire Transfer):contains(120.00) .o_credit_request_state:contains(Pending)",
        },
        {
            content: "Choose the receipt",
            trigger: "tr.o_credit_request:first-child input.o_credit_proof_input",
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
            trigger: "tr.o_credit_request:first-child button.o_credit_proof_submit",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The receipt was added",
            trigger: ".o_credit_proof_added",
        },
        {
            content: "The request counts it and is still Pending",
            trigger:
                "tr.o_credit_request:first-child:has(.o_credit_request_state:contains(Pending)) .o_credit_request_proofs:contains(1 file(s) received)",
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
                "tr.o_credit_request:first-child:has(.o_credit_request_state:contains(Rejected)) .o_credit_request_reason:contains(No transfer with this reference arrived.)",
        },
        {
            content: "nothing more can be attached to it",
            trigger: "tr.o_credit_request:first-child:not(:has(form.o_credit_proof_form))",
        },
        {
            content: "The Growth request was accepted, with its receipt",
            trigger:
                "tr.o_credit_request:nth-child(2):contains(120.00):has(.o_credit_request_state:contains(Accepted)) .o_credit_request_proofs:contains(1 file(s) received)",
        },
    ],
});
