/** @odoo-module **/

import { registry } from "@web/core/registry";

/** A date input takes its value as YYYY-MM-DD whatever the browser's locale. */
function setDate(input, value) {
    input.value = value;
    input.dispatchEvent(new Event("input", { bubbles: true }));
    input.dispatchEvent(new Event("change", { bubbles: true }));
}

/**
 * A customer with 25 movements (24 in January 2024, then a March bonus) and 170.00
 * credits: balance in the /my tile and the header, history pages, date filter, CSV.
 */
registry.category("web_tour.tours").add("credit_wallet_portal_tour", {
    url: "/my",
    steps: () => [
        {
            content: "The Credits tile shows the balance",
            trigger: ".o_portal_index_card .o_credit_wallet_tile_balance:contains(170.00)",
        },
        {
            content: "The header shows the balance next to the user menu; open the Credits page",
            trigger: "a.o_credit_wallet_header_link:contains(170.00)",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The Credits page shows the balance",
            trigger: ".o_credit_wallet_balance:contains(170.00)",
        },
        {
            content: "Newest movement first",
            trigger: ".o_credit_wallet_history tbody tr:first-child:contains(March bonus)",
        },
        {
            content: "Twenty movements on the first page",
            trigger: ".o_credit_wallet_history tbody tr:nth-child(20):last-child",
        },
        {
            content: "Go to the second page",
            trigger: ".o_portal_pager .page-item:not(.active) a.page-link:contains(2)",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The five oldest movements are on the second page",
            trigger: ".o_credit_wallet_history tbody tr:nth-child(5):last-child:contains(January credit 1)",
        },
        {
            content: "Filter from March 1st",
            trigger: "input[name=date_from]",
            run() {
                setDate(this.anchor, "2024-03-01");
            },
        },
        {
            content: "to March 31st",
            trigger: "input[name=date_to]",
            run() {
                setDate(this.anchor, "2024-03-31");
            },
        },
        {
            content: "Apply the filter",
            trigger: ".o_credit_wallet_filter_apply",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "Only the March movement is left",
            trigger: ".o_credit_wallet_history tbody tr:only-child:contains(March bonus)",
        },
        {
            content: "Download the CSV of the filtered history and check it",
            trigger: "a.o_credit_wallet_export_csv[href*='date_from=2024-03-01']",
            async run() {
                const response = await fetch(this.anchor.getAttribute("href"));
                const disposition = response.headers.get("Content-Disposition") || "";
                if (!/credits-brightline-ltd-\d{4}-\d{2}-\d{2}\.csv/.test(disposition)) {
                    throw new Error(`Unexpected CSV file name: ${disposition}`);
                }
                const lines = (await response.text()).trim().split(/\r?\n/);
                const expected = [
                    "Date,Type,Reference,Description,Credits,Running Balance",
                    "2024-03-10 12:00:00,In,,March bonus,50.00,170.00",
                ];
                if (JSON.stringify(lines) !== JSON.stringify(expected)) {
                    throw new Error(`Unexpected CSV content: ${JSON.stringify(lines)}`);
                }
            },
        },
    ],
});

/** Throw unless ``element`` is drawn whole inside the window, none of it scrolled off. */
function assertInView(element, what) {
    const box = element.getBoundingClientRect();
    if (!(box.width > 0 && box.left >= 0 && box.right <= window.innerWidth)) {
        throw new Error(
            `${what} is not in view: ${box.left}-${box.right} of a ${window.innerWidth}px window`
        );
    }
    if (element.scrollWidth > element.clientWidth + 1) {
        throw new Error(`${what} is cut: ${element.scrollWidth} > ${element.clientWidth}`);
    }
}

/**
 * On a phone (375 px wide): the newest movement's amount and running balance are in view,
 * the header's amount too, without its word; on the requests page, each request's status,
 * the whole rejection reason, where to send a payment, the attached proof and the form to
 * attach another.
 */
registry.category("web_tour.tours").add("credit_wallet_phone_tour", {
    url: "/my/credits",
    steps: () => [
        {
            content: "The window is a phone's",
            trigger: ".o_credit_wallet_history",
            run() {
                if (window.innerWidth > 400) {
                    throw new Error(`The window is ${window.innerWidth}px wide`);
                }
            },
        },
        {
            content: "The newest movement's amount and running balance are in view",
            trigger: ".o_credit_wallet_history tbody tr:first-child .o_credit_wallet_running_balance:contains(170.00)",
            run() {
                const row = this.anchor.closest("tr");
                assertInView(row.querySelector(".o_credit_wallet_amount"), "The amount");
                assertInView(this.anchor, "The running balance");
            },
        },
        {
            content: "and so is every other row's",
            trigger: ".o_credit_wallet_history tbody tr:last-child .o_credit_wallet_running_balance",
            run() {
                for (const cell of document.querySelectorAll(
                    ".o_credit_wallet_history tbody .o_credit_wallet_amount, .o_credit_wallet_history tbody .o_credit_wallet_running_balance"
                )) {
                    assertInView(cell, `"${cell.textContent.trim()}"`);
                }
            },
        },
        {
            content: "Open the credit requests",
            trigger: "a.o_credit_wallet_requests",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "Each request's status is in view",
            trigger: "tbody.o_credit_request_group:first-of-type .o_credit_request_state",
            run() {
                for (const badge of document.querySelectorAll(".o_credit_request_state")) {
                    assertInView(badge, `The status "${badge.textContent.trim()}"`);
                }
            },
        },
        {
            content: "The whole rejection reason is shown",
            trigger: ".o_credit_request_reason:contains(No payment with this reference reached our wallet within 14 days.)",
            run() {
                assertInView(this.anchor, "The rejection reason");
            },
        },
        {
            content: "The pending request, paid (its proof is there), folds where to pay: unfold it",
            trigger: ".o_credit_request_instructions a[data-bs-toggle='collapse'].collapsed",
            run: "click",
        },
        {
            content: "It says where to send the money",
            trigger: ".o_credit_request_instructions .o_credit_instructions_account:visible",
            run() {
                assertInView(this.anchor, "The account number");
            },
        },
        {
            content: "its proof can be opened and removed",
            trigger: "a.o_credit_request_proof_open:contains(receipt.pdf)",
            run() {
                assertInView(this.anchor, "The proof");
                const remove = this.anchor
                    .closest(".o_credit_request_proof")
                    .querySelector(".o_credit_proof_remove");
                assertInView(remove, "Its Remove button");
            },
        },
        {
            content: "and another one attached",
            trigger: "form.o_credit_proof_form button.o_credit_proof_submit",
            run() {
                assertInView(this.anchor, "The Attach button");
            },
        },
    ],
});
