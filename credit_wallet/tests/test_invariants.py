import logging
import random

from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import CreditWalletCommon

_logger = logging.getLogger(__name__)


@tagged("post_install", "-at_install")
class TestCreditInvariants(CreditWalletCommon):
    def test_random_movements_keep_every_invariant(self):
        """Mixed ins, outs, overdraft attempts and reversals; invariants after each step."""
        seed = 20261127
        rng = random.Random(seed)
        third = self.env["credit.wallet"]._get_or_create_wallet(
            self.env["res.partner"].create({"name": "Third Ltd", "is_company": True})
        )
        wallets = self.wallet | self.other_wallet | third
        expected = dict.fromkeys(wallets.ids, 0.0)
        refused = reversals = 0
        for step in range(120):
            wallet = rng.choice(wallets)
            roll = rng.random()
            if roll < 0.45:
                amount = round(rng.uniform(0.01, 250.0), 2)
            elif roll < 0.85:
                amount = -round(rng.uniform(0.01, 200.0), 2)
            else:
                amount = None
            if amount is None:
                candidates = wallet.entry_ids.filtered(
                    lambda e: not e.reversed_entry_id and not e.reversal_entry_ids
                )
                if not candidates:
                    continue
                entry = rng.choice(candidates)
                if round(expected[wallet.id] - entry.amount, 2) < 0:
                    with self.assertRaises(UserError):
                        entry.action_reverse()
                    refused += 1
                else:
                    entry.action_reverse()
                    expected[wallet.id] = round(expected[wallet.id] - entry.amount, 2)
                    reversals += 1
            elif round(expected[wallet.id] + amount, 2) < 0:
                with self.assertRaisesRegex(UserError, "Not enough credits"):
                    self.adjust(wallet, amount, reason=f"step {step}")
                refused += 1
            else:
                self.adjust(wallet, amount, reason=f"step {step}")
                expected[wallet.id] = round(expected[wallet.id] + amount, 2)
            for checked in wallets:
                self.assertAlmostEqual(checked.balance, expected[checked.id], places=2)
            self.assert_invariants()
        _logger.info("seed %s: %s refused, %s reversals", seed, refused, reversals)
        self.assertGreater(refused, 0, "the sequence must exercise refusals")
        self.assertGreater(reversals, 0, "the sequence must exercise reversals")
