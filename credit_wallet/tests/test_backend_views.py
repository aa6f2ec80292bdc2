"""What the backend's views show: the settings page, the ledger's In/Out colours (those of the
portal) and the reconciliation's buttons."""

from lxml import etree, html

from odoo.tests import HttpCase, tagged

from .common import CreditWalletCommon

# the backend's badge decorations and the portal's Bootstrap colours they stand for: the
# backend's "secondary" grey is the one "muted" gives
DECORATION_COLOURS = {"success": "success", "muted": "secondary"}
HELP_MAX_LENGTH = 90


@tagged("post_install", "-at_install")
class TestCreditBackendViews(CreditWalletCommon, HttpCase):
    def arch(self, model, view_type, user=None, view_xmlid=None):
        view_id = self.env.ref(view_xmlid).id if view_xmlid else False
        views = self.env[model].with_user(user or self.env.user).get_views([(view_id, view_type)])
        return etree.fromstring(views["views"][view_type]["arch"])

    def test_settings_are_odoos_setting_blocks_with_short_helps_and_whole_fields(self):
        settings = self.arch("res.config.settings", "form")
        app = settings.xpath("//app[@name='credit_wallet']")[0]
        Settings = self.env["res.config.settings"]

        for setting in app.xpath(".//setting"):
            with self.subTest(setting=setting.get("id")):
                help_text = setting.get("help") or ""
                self.assertTrue(help_text, "each setting says what it does")
                self.assertLessEqual(len(help_text), HELP_MAX_LENGTH, help_text)

        for node in app.xpath(".//field[not(@invisible)]"):
            field = Settings._fields[node.get("name")]
            with self.subTest(field=field.name):
                if field.type == "boolean":
                    # the setting's own field: Odoo puts its checkbox beside the label
                    setting = node.getparent()
                    self.assertEqual(setting.tag, "setting")
                    self.assertIs(setting.xpath("./field")[0], node)
                elif field.type == "many2one":
                    self.assertIn("w-100", node.get("class", "").split(), "not cut short")

    def test_in_and_out_have_the_portals_colours_in_the_backend(self):
        self.adjust(self.wallet, 100.0, "Top-up")
        self.adjust(self.wallet, -30.0, "Service")
        self.authenticate("portal_ada", "portal_ada")
        page = html.fromstring(self.url_open("/my/credits").content)
        portal = {}
        for entry_type in ("in", "out"):
            badge = page.xpath(f"//*[hasclass('o_credit_wallet_type_{entry_type}')]")[0]
            portal[entry_type] = next(
                css[len("text-bg-") :] for css in badge.classes if css.startswith("text-bg-")
            )
        self.assertEqual(portal, {"in": "success", "out": "secondary"})

        for model, view_xmlid, xpath in (
            (
                "credit.ledger.entry",
                "credit_wallet.credit_ledger_entry_view_list",
                "//field[@name='entry_type']",
            ),
            (
                "credit.wallet",
                "credit_wallet.credit_wallet_view_form",
                "//field[@name='entry_ids']//field[@name='entry_type']",
            ),
        ):
            with self.subTest(view=view_xmlid):
                node = self.arch(
                    model, "form" if "form" in view_xmlid else "list", None, view_xmlid
                )
                field = node.xpath(xpath)[0]
                self.assertEqual(field.get("widget"), "badge")
                backend = {}
                for decoration, colour in DECORATION_COLOURS.items():
                    condition = field.get(f"decoration-{decoration}")
                    if condition:
                        backend[condition.split("'")[1]] = colour
                self.assertEqual(backend, portal)

    def test_journal_items_are_offered_to_who_may_read_them(self):
        for user, shown in ((self.manager, True), (self.credit_user, False)):
            with self.subTest(user=user.login):
                reconciliation = self.arch("credit.reconciliation.report", "list", user)
                self.assertEqual(
                    bool(reconciliation.xpath("//button[@name='action_open_journal_items']")),
                    shown,
                )
                self.assertTrue(reconciliation.xpath("//button[@name='action_open_wallets']"))
