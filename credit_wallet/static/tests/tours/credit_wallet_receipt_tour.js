/** @odoo-module **/

import { registry } from "@web/core/registry";

/**
 * A customer who bought the Growth package finds the purchase in the Credits history and
 * downloads its receipt: the row links to it, the download answers with the document (a PDF;
 * the printable page where Odoo renders reports as HTML, as in tests) naming the purchase.
 */
registry.category("web_tour.tours").add("credit_wallet_receipt_tour", {
    url: "/my/credits",
    steps: () => [
        {
            content: "The purchase's row offers its receipt",
            trigger:
                ".o_credit_wallet_history tr.o_credit_wallet_entry:contains(Credit purchase: Growth) a.o_credit_wallet_receipt",
        },
        {
            content: "Only the purchase's row has a receipt",
            trigger: ".o_credit_wallet_history",
            run() {
                const links = this.anchor.querySelectorAll("a.o_credit_wallet_receipt");
                if (links.length !== 1) {
                    throw new Error(`Expected one receipt link, found ${links.length}`);
                }
            },
        },
        {
            content: "Download the receipt and check it names the purchase",
            trigger:
                ".o_credit_wallet_history tr.o_credit_wallet_entry:contains(Credit purchase: Growth) a.o_credit_wallet_receipt[href^='/my/credits/receipt/']",
            async run() {
                const row = this.anchor.closest("tr");
                const reference = row.textContent.match(/CREDIT-\d+-\d+/)[0];
                const response = await fetch(this.anchor.getAttribute("href"));
                if (response.status !== 200) {
                    throw new Error(`The receipt answered ${response.status}`);
                }
                const type = response.headers.get("Content-Type") || "";
                if (type.startsWith("application/pdf")) {
                    const bytes = new Uint8Array(await response.arrayBuffer());
                    if (String.fromCharCode(...bytes.slice(0, 5)) !== "%PDF-") {
                        throw new Error("The receipt is not a PDF file");
                    }
                    return;
                }
                if (!type.startsWith("text/html")) {
                    throw new Error(`Unexpected receipt type: ${type}`);
                }
                const page = new DOMParser().parseFromString(await response.text(), "text/html");
                const text = page.body.textContent.replace(/\s+/g, " ");
                for (const expected of [`Receipt ${reference}`, "Amount Paid", "Credits Bought"]) {
                    if (!text.includes(expected)) {
                        throw new Error(`The receipt does not say "${expected}"`);
                    }
                }
            },
        },
    ],
});
