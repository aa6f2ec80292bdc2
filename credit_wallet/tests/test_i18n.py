from lxml import html

from odoo.exceptions import UserError
from odoo.tests import HttpCase, tagged

from .common import CreditWalletCommon

# what a customer reads on the Credits page, and in the back end, in each shipped language
TRANSLATED = {
    "fr_FR": {
        "title": "Crédits",
        "page": ["Solde disponible", "Acheter des crédits", "Historique", "Solde courant"],
        "balance": "125,00 crédits",
        "field": "Solde",
        "refusal": "Pas assez de crédits",
    },
    "de_DE": {
        "title": "Credits",
        "page": ["Verfügbarer Saldo", "Credits kaufen", "Historie", "Laufender Saldo"],
        "balance": "125,00 Credits",
        "field": "Saldo",
        "refusal": "Nicht genug Credits",
    },
    "es_ES": {
        "title": "Créditos",
        "page": ["Saldo disponible", "Comprar créditos", "Historial", "Saldo acumulado"],
        "balance": "125,00 créditos",
        "field": "Saldo",
        "refusal": "Créditos insuficientes",
    },
}
ENGLISH = ["Available balance", "Buy Credits", "Running Balance", "Credit Requests"]


@tagged("post_install", "-at_install")
class TestCreditTranslations(CreditWalletCommon, HttpCase):
    """Each shipped language loads and is what a customer reads on the Credits page."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for code in TRANSLATED:
            cls.env["res.lang"]._activate_lang(code)
        cls.env["ir.module.module"]._load_module_terms(
            ["credit_wallet"], list(TRANSLATED), overwrite=True
        )
        cls.website.language_ids |= cls.env["res.lang"].search([("code", "in", list(TRANSLATED))])
        cls.wallet._post_movement(125.0, "Welcome credits")

    def credits_page(self, code):
        """The Credits page as the portal customer reads it with ``code`` as their language."""
        self.portal_user.lang = code
        self.authenticate("portal_ada", "portal_ada")
        response = self.url_open("/my/credits")
        self.assertEqual(response.status_code, 200)
        tree = html.fromstring(response.content)
        return tree, " ".join(tree.text_content().split())

    def test_credits_page_reads_in_the_customer_language(self):
        for code, expected in TRANSLATED.items():
            with self.subTest(lang=code):
                tree, text = self.credits_page(code)
                self.assertEqual(tree.xpath("string(//html/@lang)").replace("-", "_"), code)
                titles = [" ".join(h.text_content().split()) for h in tree.xpath("//h3")]
                self.assertIn(expected["title"], titles)
                for label in expected["page"]:
                    self.assertIn(label, text)
                for english in ENGLISH:
                    self.assertNotIn(english, text)
                balance = tree.xpath("string(//*[hasclass('o_credit_wallet_balance')])")
                self.assertEqual(" ".join(balance.split()), expected["balance"])
                # the history's column headers are the translated ones
                headers = [" ".join(th.text_content().split()) for th in tree.xpath("//thead//th")]
                self.assertIn(expected["page"][3], headers)

    def test_python_messages_and_field_labels_are_translated(self):
        for code, expected in TRANSLATED.items():
            with self.subTest(lang=code):
                company = self.company.with_context(lang=code)
                self.assertEqual(company._credit_format(125.0), expected["balance"])
                wallet_model = self.env["credit.wallet"].with_context(lang=code)
                label = wallet_model.fields_get(["balance"], ["string"])["balance"]["string"]
                self.assertEqual(label, expected["field"])
                with self.assertRaises(UserError) as refusal:
                    self.wallet.with_context(lang=code)._post_movement(-1000.0, "Too much")
                self.assertIn(expected["refusal"], str(refusal.exception))
