from contextlib import contextmanager

from odoo import Command, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL
from odoo.tools.misc import format_amount

from ..const import POSTING_GATE, POSTING_SETTING
from ..utils import check_company_access, is_through_gate, through_gate


class CreditWallet(models.Model):
    _name = "credit.wallet"
    _description = "Credit Wallet"
    _order = "id desc"
    _check_company_auto = True

    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        index=True,
        ondelete="restrict",
        help="The commercial partner owning the wallet; its contacts share it.",
    )
    # who posted or decided is the agency's business, not the customer's
    create_uid = fields.Many2one(
        "res.users", string="Created by", readonly=True, groups="base.group_user"
    )
    write_uid = fields.Many2one(
        "res.users", string="Last Updated by", readonly=True, groups="base.group_user"
    )
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    balance = fields.Float(
        readonly=True,
        default=0.0,
        digits=(16, 2),
        help="Credits available; moved only by posted entries. Each is worth the company's "
        "credit value in the books.",
    )
    entry_ids = fields.One2many("credit.ledger.entry", "wallet_id", string="Ledger")
    entry_count = fields.Integer(compute="_compute_entry_count")

    _sql_constraints = [
        (
            "partner_company_uniq",
            "UNIQUE(partner_id, company_id)",
            "A customer has one wallet per company.",
        ),
        ("balance_not_negative", "CHECK(balance >= 0)", "A wallet balance cannot be negative."),
    ]

    @api.depends("partner_id", "company_id")
    def _compute_display_name(self):
        for wallet in self:
            wallet.display_name = wallet.partner_id.display_name or ""

    def _compute_entry_count(self):
        counts = dict(
            self.env["credit.ledger.entry"]._read_group(
                [("wallet_id", "in", self.ids)], ["wallet_id"], ["__count"]
            )
        )
        for wallet in self:
            wallet.entry_count = counts.get(wallet, 0)

    @api.constrains("partner_id")
    def _check_partner_is_commercial(self):
        for wallet in self:
            if wallet.partner_id != wallet.partner_id.commercial_partner_id:
                raise UserError(
                    self.env._(
                        "A wallet belongs to a company or an individual, not to a contact: "
                        "use %(commercial)s instead of %(contact)s.",
                        commercial=wallet.partner_id.commercial_partner_id.display_name,
                        contact=wallet.partner_id.display_name,
                    )
                )

    # -------------------------------------------------------------------------
    # Guards: the balance moves only through _post_movement
    # -------------------------------------------------------------------------

    def _is_posting(self):
        return is_through_gate(self.env, POSTING_GATE)

    def _posting_env(self):
        return through_gate(self, POSTING_GATE)

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("balance"):
                raise UserError(
                    self.env._("A new wallet starts empty: post a movement to fund it.")
                )
        return super().create(vals_list)

    def write(self, vals):
        self.check_access("write")
        if "balance" in vals and not self._is_posting():
            raise UserError(
                self.env._("A wallet balance changes only through a posted credit movement.")
            )
        if {"partner_id", "company_id"} & vals.keys() and self.entry_ids:
            raise UserError(
                self.env._("A wallet with entries cannot be moved to another customer or company.")
            )
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_with_entries(self):
        if self.entry_ids:
            raise UserError(self.env._("A wallet with ledger entries cannot be deleted."))

    # -------------------------------------------------------------------------
    # Lookup
    # -------------------------------------------------------------------------

    @api.model
    def _get_wallet(self, partner, company=None):
        """The wallet of ``partner``'s commercial partner in ``company`` (the current company by
        default), in sudo, or an empty recordset: viewing a balance never writes.

        Read through the partner's wallets, which the ORM keeps for the whole request: the
        header, the tile and the page of one request look the wallet up once.
        """
        company = company or self.env.company
        # sudo: the wallet is looked up for this one partner, whose caller checked access
        commercial_sudo = partner.sudo().commercial_partner_id
        wallet_sudo = commercial_sudo.credit_wallet_ids.filtered(
            lambda wallet: wallet.company_id == company
        )[:1]
        return wallet_sudo.with_env(self.sudo().env)

    @api.model
    def _get_or_create_wallet(self, partner, company=None):
        """The wallet of ``partner``'s commercial partner in ``company``, in sudo, created on
        first use.

        Created with INSERT ... ON CONFLICT so that two first movements at once create one
        wallet; under REPEATABLE READ the loser gets a serialization failure, which Odoo
        retries.
        """
        company = company or self.env.company
        wallet_sudo = self._get_wallet(partner, company)
        if wallet_sudo:
            return wallet_sudo
        # sudo: the wallet is created for this one partner, whose caller checked access
        commercial_sudo = partner.sudo().commercial_partner_id
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO credit_wallet
                    (partner_id, company_id, balance, create_uid, write_uid,
                     create_date, write_date)
                VALUES (%s, %s, 0, %s, %s, now() at time zone 'UTC', now() at time zone 'UTC')
                ON CONFLICT (partner_id, company_id) DO NOTHING
                """,
                commercial_sudo.id,
                company.id,
                self.env.uid,
                self.env.uid,
            )
        )
        commercial_sudo.invalidate_recordset(["credit_wallet_ids"])
        return self.sudo().search(
            [("partner_id", "=", commercial_sudo.id), ("company_id", "=", company.id)], limit=1
        )

    # -------------------------------------------------------------------------
    # The posting service
    # -------------------------------------------------------------------------

    def _post_movement(
        self,
        amount,
        description,
        *,
        counterpart_account=None,
        reference=None,
        reversed_entry=None,
        source_entry=None,
        kind="adjustment",
        payment_transaction=None,
        reference_name=None,
        accounting_entry=None,
        at_most_balance=False,
    ):
        """Move ``amount`` credits into (positive) or out of (negative) this wallet.

        The only way a wallet moves. In one savepoint: lock the wallet row, refuse an
        overdraft, post the accounting entry on the Customer Credit account, write the
        ledger entry and the new balance. Callers check the user's rights first.

        :param counterpart_account: account debited for an In movement (credited for an
            Out one); the company's adjustment account when not given.
        :param reference: the record the movement comes from (order, invoice, payment...).
        :param source_entry: the spending a return gives credits back for.
        :param kind: ``credit.ledger.entry.kind``: why the credits move.
        :param payment_transaction: the ``payment.transaction`` that paid for the credits; the
            database lets it credit each kind once.
        :param reference_name: label of the reference; its display name when not given.
        :param accounting_entry: callable receiving the wallet in the posting context and the
            amount moved, returning the posted ``account.move`` of the movement; by default a
            journal entry on the Customer Credit journal against ``counterpart_account``.
        :param at_most_balance: take out at most the balance (e.g. a refund of credits partly
            spent) instead of refusing an overdraft.
        :return: the new ``credit.ledger.entry``, or an empty recordset when ``at_most_balance``
            found nothing to take
        """
        self.ensure_one()
        # sudo: the posting service is the single writer of wallets, entries and their moves
        # in the wallet's company, whoever posts: the books are that company's
        wallet_sudo = self.sudo().with_company(self.company_id)._posting_env()
        wallet_sudo._check_can_post(amount, description)
        company = wallet_sudo.company_id
        amount = company._credit_round(amount)
        if reversed_entry:
            reversed_entry = reversed_entry.with_env(wallet_sudo.env)
        with self.env.cr.savepoint(), wallet_sudo._books_open():
            balance = wallet_sudo._lock_balance()
            if at_most_balance and company._credit_compare(balance + amount, 0.0) < 0:
                amount = -balance
                if company._credit_is_zero(amount):
                    return self.env["credit.ledger.entry"]
            new_balance = company._credit_round(balance + amount)
            if company._credit_compare(new_balance, 0.0) < 0:
                raise UserError(
                    self.env._(
                        "Not enough credits: %(customer)s has %(balance)s, "
                        "the movement needs %(amount)s.",
                        customer=wallet_sudo.partner_id.display_name,
                        balance=company._credit_format(balance),
                        amount=company._credit_format(-amount),
                    )
                )
            if accounting_entry:
                move = accounting_entry(wallet_sudo, amount)
            else:
                move = wallet_sudo._create_accounting_entry(
                    amount, description, counterpart_account
                )
            wallet_sudo._check_accounting_entry(move, amount)
            entry = wallet_sudo.env["credit.ledger.entry"].create(
                {
                    "wallet_id": wallet_sudo.id,
                    "partner_id": wallet_sudo.partner_id.id,
                    "company_id": wallet_sudo.company_id.id,
                    "entry_type": "in" if amount > 0 else "out",
                    "amount": amount,
                    "running_balance": new_balance,
                    "description": description,
                    "reference": reference and f"{reference._name},{reference.id}",
                    "reference_name": reference_name or (reference and reference.display_name),
                    "move_id": move.id,
                    "posted_by_id": self.env.uid,
                    "reversed_entry_id": reversed_entry and reversed_entry.id,
                    "source_entry_id": source_entry and source_entry.id,
                    "kind": kind,
                    "payment_transaction_id": payment_transaction and payment_transaction.id,
                }
            )
            wallet_sudo.write({"balance": new_balance})
            if reversed_entry:
                (reversed_entry.move_id.line_ids + move.line_ids).filtered(
                    lambda line: line.account_id == wallet_sudo.company_id.credit_account_id
                ).reconcile()
        wallet_sudo._notify_low_balance(balance, new_balance)
        self.invalidate_recordset(["balance", "entry_ids"])
        return entry.with_env(self.env)

    @contextmanager
    def _books_open(self):
        """Let the database take Customer Credit journal items within the block.

        Opens POSTING_SETTING (account_move_line.py's database guard) for the transaction
        once the enclosing savepoint flushed what came before, and restores it once all that
        was written within is flushed: an enclosing posting keeps it open. On an exception,
        the savepoint's rollback restores it.
        """
        cr = self.env.cr
        cr.execute(
            SQL(
                "SELECT current_setting(%s, true), set_config(%s, '1', true)",
                POSTING_SETTING,
                POSTING_SETTING,
            )
        )
        previous = cr.fetchone()[0]
        yield
        self.env.flush_all()
        cr.execute(SQL("SELECT set_config(%s, %s, true)", POSTING_SETTING, previous or ""))

    def _check_can_post(self, amount, description):
        self.ensure_one()
        if self.company_id._credit_is_zero(amount):
            raise UserError(self.env._("A credit movement must move some credit."))
        if not (description or "").strip():
            raise UserError(self.env._("A credit movement needs a description."))
        if not self.partner_id.active:
            raise UserError(
                self.env._(
                    "%(customer)s is archived: restore the customer before moving credits.",
                    customer=self.partner_id.display_name,
                )
            )
        company = self.company_id
        if not (company.credit_account_id and company.credit_journal_id):
            raise UserError(
                self.env._(
                    "Set the Customer Credit account and journal of %(company)s in Settings "
                    "first.",
                    company=company.name,
                )
            )

    def _check_accounting_entry(self, move, amount):
        """Refuse a journal entry that does not move the Customer Credit account by the book
        value of ``amount`` credits."""
        company = self.company_id
        value = company._credit_book_value(amount)
        credit_lines = move.line_ids.filtered(
            lambda line: line.account_id == company.credit_account_id
        )
        if (
            move.state != "posted"
            or credit_lines.partner_id != self.partner_id
            or self.currency_id.compare_amounts(-sum(credit_lines.mapped("balance")), value)
        ):
            raise UserError(
                self.env._(
                    "%(move)s does not post %(amount)s on the Customer Credit account of "
                    "%(customer)s: the credit movement is refused.",
                    move=move.display_name,
                    amount=format_amount(self.env, value, self.currency_id),
                    customer=self.partner_id.display_name,
                )
            )

    def _notify_low_balance(self, old_balance, new_balance):
        """Email the customer once when a movement takes the balance below the alert threshold."""
        self.ensure_one()
        threshold = self.company_id.credit_low_balance_threshold
        compare = self.company_id._credit_compare
        if compare(threshold, 0.0) <= 0 or not (
            compare(old_balance, threshold) >= 0 and compare(new_balance, threshold) < 0
        ):
            return
        template = self.env.ref("credit_wallet.mail_template_credit_low_balance", False)
        recipients = self._get_alert_recipients()
        if template and recipients:
            template.send_mail(
                self.id,
                email_layout_xmlid="mail.mail_notification_light",
                email_values={"recipient_ids": [Command.set(recipients.ids)]},
            )

    def _get_alert_recipients(self):
        """The customer's email, or for a company without one its contacts using the portal."""
        self.ensure_one()
        customer = self.partner_id
        if customer.email:
            return customer
        return customer.child_ids.filtered(lambda contact: contact.email and contact.user_ids)

    def _create_reversal_entry(self, move, label):
        """Post the opposite of ``move`` line by line in the Customer Credit journal and match
        every reconcilable line with the one it cancels (Customer Credit lines are matched by
        the posting service)."""
        self.ensure_one()
        reversal = self._post_credit_journal_entry(
            label, [(line.account_id, line.partner_id, -line.balance) for line in move.line_ids]
        )
        credit_account = self.company_id.credit_account_id
        for account in (move.line_ids.account_id - credit_account).filtered("reconcile"):
            (move.line_ids + reversal.line_ids).filtered(
                lambda line, account=account: line.account_id == account and not line.reconciled
            ).reconcile()
        return reversal

    def _lock_balance(self):
        """Lock the wallet row until commit and return its committed balance."""
        self.flush_recordset(["balance"])
        self.env.cr.execute(
            SQL("SELECT balance FROM credit_wallet WHERE id = %s FOR UPDATE", self.id)
        )
        self.invalidate_recordset(["balance"])
        return self.env.cr.fetchone()[0]

    def _create_accounting_entry(self, amount, description, counterpart_account=None):
        """Post Customer Credit against ``counterpart_account`` for ``amount`` credits, at their
        book value.

        :param counterpart_account: the company's adjustment account when not given
        """
        partner = self.partner_id
        counterpart_account = counterpart_account or self.company_id.credit_adjustment_account_id
        if not counterpart_account:
            raise UserError(
                self.env._(
                    "Set the credit adjustment account of %(company)s in Settings first.",
                    company=self.company_id.name,
                )
            )
        value = self.company_id._credit_book_value(amount)
        return self._post_credit_journal_entry(
            description,
            [
                (self.company_id.credit_account_id, partner, -value),
                (counterpart_account, partner, value),
            ],
        )

    def _post_credit_journal_entry(self, label, lines):
        """Post an entry of this wallet's customer in the Customer Credit journal.

        :param lines: ``(account, partner, balance)`` of each journal item, labelled ``label``
        """
        self.ensure_one()
        company = self.company_id
        move = self.env["account.move"].create(
            {
                "move_type": "entry",
                "company_id": company.id,
                "journal_id": company.credit_journal_id.id,
                "date": fields.Date.context_today(self),
                "ref": label,
                "partner_id": self.partner_id.id,
                "line_ids": [
                    Command.create(
                        {
                            "account_id": account.id,
                            "partner_id": partner.id,
                            "name": label,
                            "balance": balance,
                        }
                    )
                    for account, partner, balance in lines
                ],
            }
        )
        move._post(soft=False)
        return move

    # -------------------------------------------------------------------------
    # Actions
    # -------------------------------------------------------------------------

    def action_open_entries(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "credit_wallet.credit_ledger_entry_action"
        )
        action["domain"] = [("wallet_id", "=", self.id)]
        action["context"] = {"default_wallet_id": self.id}
        return action

    def action_open_adjustment(self):
        self.ensure_one()
        check_company_access(self, "write")
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Adjust Credits"),
            "res_model": "credit.wallet.adjustment",
            "view_mode": "form",
            "target": "new",
            "context": {"default_wallet_id": self.id},
        }
