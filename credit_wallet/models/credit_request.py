from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL
from odoo.tools.misc import format_amount

from ..const import DECIDING_GATE
from ..utils import check_company_access, is_through_gate, through_gate

# the customer sees a request waiting for its proof as pending too
PORTAL_STATES = {"awaiting_proof": "pending"}


class CreditRequest(models.Model):
    _name = "credit.request"
    _description = "Credit Request"
    _inherit = ["mail.thread", "mail.activity.mixin", "portal.mixin"]
    _order = "id desc"
    _check_company_auto = True

    name = fields.Char(
        string="Reference", required=True, readonly=True, copy=False, default="/", index=True
    )
    state = fields.Selection(
        [
            ("awaiting_proof", "Awaiting Proof"),
            ("pending", "Pending"),
            ("accepted", "Accepted"),
            ("rejected", "Rejected"),
        ],
        required=True,
        readonly=True,
        default="pending",
        tracking=True,
        index=True,
        group_expand=True,
    )
    payment_transaction_id = fields.Many2one(
        "payment.transaction",
        string="Payment Transaction",
        required=True,
        readonly=True,
        ondelete="restrict",
    )
    wallet_id = fields.Many2one(
        "credit.wallet", required=True, readonly=True, index=True, ondelete="restrict"
    )
    partner_id = fields.Many2one(
        related="wallet_id.partner_id", string="Customer", store=True, index=True
    )
    # who posted or decided is the agency's business, not the customer's
    create_uid = fields.Many2one(
        "res.users", string="Created by", readonly=True, groups="base.group_user"
    )
    write_uid = fields.Many2one(
        "res.users", string="Last Updated by", readonly=True, groups="base.group_user"
    )
    company_id = fields.Many2one(related="wallet_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="payment_transaction_id.currency_id")
    package_id = fields.Many2one(related="payment_transaction_id.credit_package_id")
    amount = fields.Monetary(related="payment_transaction_id.amount", string="Amount Paid")
    credit_amount = fields.Float(related="payment_transaction_id.credit_amount", string="Credits")
    provider_id = fields.Many2one(related="payment_transaction_id.provider_id")
    payment_method_id = fields.Many2one(
        related="payment_transaction_id.payment_method_id", string="Method"
    )
    transaction_reference = fields.Char(
        related="payment_transaction_id.reference", string="Payment Reference"
    )
    journal_id = fields.Many2one(
        "account.journal",
        string="Received In",
        readonly=True,
        check_company=True,
        groups="base.group_user",
        help="The journal that received the money, said by the credit manager who accepted.",
    )
    rejection_reason = fields.Text(readonly=True, tracking=True)
    decided_by_id = fields.Many2one(
        "res.users", string="Decided by", readonly=True, groups="base.group_user"
    )
    decided_date = fields.Datetime(string="Decided on", readonly=True)
    # sudo: customers may not read attachments; they count the proofs of their own requests
    proof_count = fields.Integer(compute="_compute_proof_count", compute_sudo=True)

    _sql_constraints = [
        (
            "transaction_requested_once",
            "UNIQUE(payment_transaction_id)",
            "A payment transaction opens one credit request.",
        ),
        (
            "rejection_has_reason",
            "CHECK(state <> 'rejected' OR rejection_reason IS NOT NULL)",
            "A rejected credit request says why.",
        ),
    ]

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("name", "/") == "/":
                vals["name"] = self.env["ir.sequence"].next_by_code("credit.request") or "/"
        return super().create(vals_list)

    def write(self, vals):
        # the decision is taken by _accept and _reject alone, once
        if {"state", "journal_id", "rejection_reason", "decided_by_id"} & vals.keys() and (
            not is_through_gate(self.env, DECIDING_GATE)
        ):
            raise UserError(
                self.env._("A credit request is accepted or rejected with its buttons.")
            )
        return super().write(vals)

    def _deciding(self):
        return through_gate(self, DECIDING_GATE)

    def _compute_access_url(self):
        # the customer follows every request on one page
        for request in self:
            request.access_url = "/my/credits/requests"

    def _compute_proof_count(self):
        # the request's attachments, as the chatter counts them
        for request in self:
            request.proof_count = request.message_attachment_count

    def _get_portal_state(self):
        self.ensure_one()
        return PORTAL_STATES.get(self.state, self.state)

    # -------------------------------------------------------------------------
    # Opening, from a credit purchase that ends pending
    # -------------------------------------------------------------------------

    @api.model
    def _open_for_transactions(self, txs):
        """Open one request per pending credit purchase, tell the customer and the managers."""
        requests = self.browse()
        for tx in txs:
            proof_required = tx.company_id.credit_proof_required
            request = self.create(
                {
                    "payment_transaction_id": tx.id,
                    "wallet_id": tx.credit_wallet_id.id,
                    "state": "awaiting_proof" if proof_required else "pending",
                }
            )
            request._send_customer_email("credit_wallet.mail_template_credit_request_received")
            if not proof_required:
                request._schedule_review()
            requests |= request
        return requests

    def _schedule_review(self, note=None):
        """One "Review credit request" activity per request, for the company's reviewer: the
        request waits for a decision. A request that already has its activity keeps it, with
        ``note`` added."""
        todo = self.env.ref("mail.mail_activity_data_todo")
        for request in self:
            review = request.activity_ids.filtered(lambda act: act.activity_type_id == todo)
            if review:
                if note:
                    review.note = Markup("%s<p>%s</p>") % (review[:1].note or "", note)
                continue
            reviewer = self.env["res.users"]._credit_request_reviewer(request.company_id)
            if not reviewer:
                continue
            request.activity_schedule(
                "mail.mail_activity_data_todo",
                user_id=reviewer.id,
                summary=self.env._("Review credit request"),
                note=note
                or self.env._(
                    "%(customer)s paid %(amount)s by %(method)s for %(credits)s.",
                    customer=request.partner_id.display_name,
                    amount=format_amount(self.env, request.amount, request.currency_id),
                    method=request.payment_method_id.name,
                    credits=request.company_id._credit_format(request.credit_amount),
                ),
            )

    def _send_customer_email(self, template_xmlid):
        template = self.env.ref(template_xmlid, raise_if_not_found=False)
        for request in self:
            if template and request.payment_transaction_id.partner_id.email:
                request.message_post_with_source(
                    template,
                    subtype_xmlid="mail.mt_comment",
                    partner_ids=request.payment_transaction_id.partner_id.ids,
                )

    # -------------------------------------------------------------------------
    # Proof of payment
    # -------------------------------------------------------------------------

    def _add_proof(self, filename, content, mimetype):
        """Attach a customer's proof of payment; a request waiting for it goes to review."""
        self.ensure_one()
        # sudo: customers may not create attachments; this one is checked and is their own
        attachment_sudo = (
            self.env["ir.attachment"]
            .sudo()
            .create(
                {
                    "name": filename,
                    "raw": content,
                    "mimetype": mimetype,
                    "res_model": self._name,
                    "res_id": self.id,
                }
            )
        )
        self.message_post(
            body=self.env._("Proof of payment received: %(file)s", file=filename),
            attachment_ids=attachment_sudo.ids,
        )
        if self.state == "awaiting_proof":
            self._deciding().state = "pending"
            self._schedule_review()
        else:
            self._schedule_review(note=self.env._("The customer added a proof of payment."))
        return attachment_sudo

    def _get_customer_proofs(self):
        """The proofs of payment the customer's own users attached to these requests, in sudo
        (the agency's files in the chatter are not the customer's)."""
        # sudo: customers may not read attachments; these are the files they attached
        return (
            self.env["ir.attachment"]
            .sudo()
            .search(
                [
                    ("res_model", "=", self._name),
                    ("res_id", "in", self.ids),
                    ("create_uid.share", "=", True),
                    ("create_uid.partner_id.commercial_partner_id", "in", self.partner_id.ids),
                ],
                order="id",
            )
        )

    def _remove_proof(self, attachment_sudo):
        """Remove a proof the customer attached to this waiting request; where the company
        requires a proof, a request left without one waits for a proof again."""
        self.ensure_one()
        filename = attachment_sudo.name
        attachment_sudo.unlink()
        self.message_post(
            body=self.env._("Proof of payment removed by the customer: %(file)s", file=filename)
        )
        if (
            self.state == "pending"
            and self.company_id.credit_proof_required
            and not self._get_customer_proofs()
        ):
            self._deciding().state = "awaiting_proof"
            self.activity_unlink(["mail.mail_activity_data_todo"])

    # -------------------------------------------------------------------------
    # What the customer is told
    # -------------------------------------------------------------------------

    def _get_payment_instructions(self):
        """Where the customer sends the money of this waiting request, quoting what (see
        payment.transaction._credit_payment_instructions); nothing once it is decided."""
        self.ensure_one()
        if self.state not in ("pending", "awaiting_proof"):
            return {}
        # sudo: the request's own purchase, which the customer reads through the request
        return self.payment_transaction_id.sudo()._credit_payment_instructions()

    # -------------------------------------------------------------------------
    # Decision, taken once
    # -------------------------------------------------------------------------

    def _lock_for_decision(self):
        """Lock the request row until commit; refuse a request already decided."""
        self.ensure_one()
        self.flush_recordset()
        self.env.cr.execute(
            SQL("SELECT state FROM credit_request WHERE id = %s FOR UPDATE", self.id)
        )
        state = self.env.cr.fetchone()[0]
        self.invalidate_recordset(["state"])
        if state not in ("pending", "awaiting_proof"):
            raise UserError(
                self.env._(
                    "%(request)s was already %(state)s.",
                    request=self.name,
                    state=dict(self._fields["state"]._description_selection(self.env))[
                        state
                    ].lower(),
                )
            )

    def _check_can_decide(self):
        if not self.env.user.has_group("credit_wallet.group_credit_manager"):
            raise AccessError(self.env._("Only credit managers accept or reject credit requests."))
        check_company_access(self, "write")

    def _check_can_accept(self, journal):
        self._check_can_decide()
        for request in self:
            if journal.company_id != request.company_id or journal.type not in ("bank", "cash"):
                raise UserError(
                    self.env._(
                        "Choose a bank or cash journal of %(company)s that received the money.",
                        company=request.company_id.name,
                    )
                )

    def _accept(self, journal):
        """Mark the payment done, received in ``journal``: the wallet is credited, bonus
        included, by the same trigger as any provider's confirmation."""
        for request in self:
            request._lock_for_decision()
            # sudo: a credit manager decides for the company, whatever their payment rights
            request_sudo = request.sudo()._deciding()
            request_sudo.write(
                {
                    "state": "accepted",
                    "journal_id": journal.id,
                    "decided_by_id": self.env.uid,
                    "decided_date": fields.Datetime.now(),
                }
            )
            tx_sudo = request_sudo.payment_transaction_id
            # what would keep the purchase from being credited refuses the decision
            tx_sudo._check_credit_grantable()
            tx_sudo.credit_wallet_id._check_can_post(tx_sudo.amount, tx_sudo.reference)
            tx_sudo._credit_flow().credit_journal_id = journal
            if not tx_sudo._set_done(
                state_message=self.env._("Accepted by %(user)s.", user=self.env.user.name)
            ):
                raise UserError(
                    self.env._(
                        "%(payment)s can no longer be confirmed (it is %(state)s).",
                        payment=tx_sudo.reference,
                        state=tx_sudo.state,
                    )
                )
            if not tx_sudo.credit_entry_ids.filtered(lambda entry: entry.kind == "purchase"):
                # what kept the purchase from being credited: the decision is undone
                raise UserError(tx_sudo.credit_issue or tx_sudo.state_message)
            request.activity_unlink(["mail.mail_activity_data_todo"])
            tx_sudo._credit_post_process()

    def _check_can_reject(self, reason):
        self._check_can_decide()
        if not (reason or "").strip():
            raise UserError(self.env._("Say why the credit request is rejected."))

    def _reject(self, reason):
        """Cancel the payment: nothing is credited, the customer is told why."""
        reason = reason.strip()
        for request in self:
            request._lock_for_decision()
            # sudo: a credit manager decides for the company, whatever their payment rights
            request_sudo = request.sudo()._deciding()
            request_sudo.write(
                {
                    "state": "rejected",
                    "rejection_reason": reason,
                    "decided_by_id": self.env.uid,
                    "decided_date": fields.Datetime.now(),
                }
            )
            request_sudo.payment_transaction_id._set_canceled(state_message=reason)
            request.activity_unlink(["mail.mail_activity_data_todo"])
            request_sudo._send_customer_email("credit_wallet.mail_template_credit_request_rejected")

    def _close_as_confirmed_by_provider(self):
        """A provider confirmed the payment itself: the request needs no decision any more."""
        for request in self.filtered(lambda r: r.state in ("pending", "awaiting_proof")):
            request._deciding().write({"state": "accepted", "decided_date": fields.Datetime.now()})
            request.activity_unlink(["mail.mail_activity_data_todo"])
            request.message_post(body=self.env._("The payment provider confirmed the payment."))

    # -------------------------------------------------------------------------
    # Actions
    # -------------------------------------------------------------------------

    def action_open_accept(self):
        return self._open_decision_wizard("credit.request.accept", self.env._("Accept Request"))

    def action_open_reject(self):
        return self._open_decision_wizard("credit.request.reject", self.env._("Reject Request"))

    def _open_decision_wizard(self, model, name):
        self.ensure_one()
        self._check_can_decide()
        return {
            "type": "ir.actions.act_window",
            "name": name,
            "res_model": model,
            "view_mode": "form",
            "target": "new",
            "context": {"default_request_id": self.id},
        }

    def action_view_transaction(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "payment.transaction",
            "res_id": self.payment_transaction_id.id,
            "view_mode": "form",
        }
