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
                    "Date,Type,Reference,Description,Amount,Running Balance",
                    "2024-03-10 12:00:00,In,,March bonus,50.00,170.00",
                ];
                if (JSON.stringify(lines) !== JSON.stringify(expected)) {
                    throw new Error(`Unexpected CSV content: ${JSON.stringify(lines)}`);
                }
            },
        },
    ],
});
