from odoo import models
from odoo.exceptions import UserError


class BasePartnerMergeAutomaticWizard(models.TransientModel):
    """Merging contacts never moves credits.

    Odoo's merge rewrites every reference to the merged contacts in SQL: a wallet would
    follow its customer onto a contact, collide with the wallet of the contact kept, or
    leave payments of credits with another customer than their wallet's. A wallet's
    entries are append-only and its balance is the sum of its own entries, so two wallets
    cannot become one: such a merge is refused, and the customer keeps its wallet.
    """

    _inherit = "base.partner.merge.automatic.wizard"

    def _merge(self, partner_ids, dst_partner=None, extra_checks=True):
        partners = self.env["res.partner"].browse(partner_ids).exists()
        if len(partners) < 2:
            return super()._merge(partner_ids, dst_partner, extra_checks)
        if dst_partner and dst_partner in partners:
            src_partners = partners - dst_partner
        else:
            # the contact Odoo keeps when none is chosen
            ordered = self._get_ordered_partner(partners.ids)
            dst_partner, src_partners = ordered[-1], ordered[:-1]
        self._check_credit_wallets_mergeable(src_partners)
        # names now: the contacts merged away are deleted before the check after the merge
        customers_before = [
            (partner.display_name, partner.commercial_partner_id) for partner in partners
        ]
        self._check_credit_customers_kept(
            customers_before,
            dst_partner,
            self._credit_customer_after_merge(src_partners, dst_partner),
        )
        # the check again on the merged contact: a refusal undoes the whole merge
        with self.env.cr.savepoint():
            result = super()._merge(partner_ids, dst_partner, extra_checks)
            self._check_credit_customers_kept(
                customers_before, dst_partner, dst_partner.commercial_partner_id
            )
        return result

    def _credit_wallet_customers(self, partners):
        """The partners among ``partners`` that own a credit wallet, in any company."""
        # sudo: the merge moves every record of these partners, whatever the user may read
        wallets_sudo = self.env["credit.wallet"].sudo()
        return wallets_sudo.search([("partner_id", "in", partners.ids)]).partner_id

    def _credit_customer_after_merge(self, src_partners, dst_partner):
        """The commercial partner ``dst_partner`` will have once ``src_partners`` merge into it.

        Odoo's merge keeps the destination's parent and company flag, or else takes them from
        the last contact merged away that has one.
        """
        parent = dst_partner.parent_id or next(
            (partner.parent_id for partner in reversed(src_partners) if partner.parent_id),
            dst_partner.parent_id,
        )
        is_company = any((src_partners | dst_partner).mapped("is_company"))
        if is_company or not parent or parent == dst_partner:
            return dst_partner
        return parent.commercial_partner_id

    def _check_credit_wallets_mergeable(self, src_partners):
        owners = self._credit_wallet_customers(src_partners)
        if owners:
            raise UserError(
                self.env._(
                    "%(customers)s own credits: merging them away would move their credit "
                    "wallet. Keep the customer with the wallet as the destination contact, or "
                    "merge without it.",
                    customers=", ".join(owners.mapped("display_name")),
                )
            )

    def _check_credit_customers_kept(self, customers_before, dst_partner, customer_after):
        """Refuse a merge that moves a credit customer's contact to another customer.

        The contact's payments and requests for credits would then belong to another
        customer than their wallet, and the destination's wallet to a contact.

        :param customers_before: (name, commercial partner) of each merged contact
        :param customer_after: the commercial partner of the merged contact
        """
        wallet_customers = self._credit_wallet_customers(
            self.env["res.partner"].union(*(customer for _name, customer in customers_before))
        )
        for contact_name, customer in customers_before:
            if customer not in wallet_customers or customer == customer_after:
                continue
            if customer == dst_partner:
                raise UserError(
                    self.env._(
                        "%(customer)s owns credits: merged with a contact of %(other)s it would "
                        "become that contact, and a credit wallet belongs to a customer. Keep "
                        "another contact as the destination.",
                        customer=contact_name,
                        other=customer_after.display_name,
                    )
                )
            raise UserError(
                self.env._(
                    "%(contact)s uses the credits of %(customer)s: merged into %(destination)s, "
                    "it would belong to %(other)s, away from that credit wallet. Merge contacts "
                    "of the same customer only.",
                    contact=contact_name,
                    customer=customer.display_name,
                    destination=dst_partner.display_name,
                    other=customer_after.display_name,
                )
            )
