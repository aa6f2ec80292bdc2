from odoo.tests import HttpCase, tagged

from .test_request import CreditRequestCommon


@tagged("post_install", "-at_install")
class TestCreditRequestTour(CreditRequestCommon, HttpCase):
    def test_customer_buys_by_transfer_attaches_a_receipt_and_sees_the_decisions(self):
        self.start_tour("/my/credits", "credit_wallet_request_tour", login="portal_ada")

        tx = self.env["payment.transaction"].search([("credit_wallet_id", "=", self.wallet.id)])
        self.assertRecordValues(
            tx,
            [
                {
                    "state": "pending",
                    "provider_id": self.transfer.id,
                    "amount": 100.0,
                    "credit_package_id": self.bonus_package.id,
                }
            ],
        )
        request = self.request_of(tx)
        self.assertEqual(request.state, "pending")
        proof = self.env["ir.attachment"].search(
            [("res_model", "=", "credit.request"), ("res_id", "=", request.id)]
        )
        self.assertRecordValues(proof, [{"name": "receipt.pdf", "mimetype": "application/pdf"}])
        self.assertEqual(self.wallet.balance, 0.0, "nothing credited before the agency accepts")

        self.accept(request, journal=self.bank_journal)

        self.assertEqual(tx.state, "done")
        self.assertEqual(self.wallet.balance, 120.0)
        self.assertEqual(
            sorted(self.credit_entries(tx).mapped(lambda e: (e.kind, e.amount))),
            [("bonus", 20.0), ("purchase", 100.0)],
        )
        self.assertEqual(tx.payment_id.journal_id, self.bank_journal)
        self.assert_invariants()

        self.reject(
            self.open_request(self.package), reason="No transfer with this reference arrived."
        )

        self.start_tour("/my/credits", "credit_wallet_request_decided_tour", login="portal_ada")

        self.assertEqual(self.wallet.balance, 120.0, "the rejected purchase credited nothing")
        self.assert_invariants()
