"""What uninstalling the add-on logs (the uninstall itself: tests/test_faults.py)."""

import logging

from psycopg2.errors import ForeignKeyViolation, UndefinedTable, UniqueViolation

from odoo.tests import BaseCase, tagged

from ..models.ir_model_data import KeptRecordQueries


@tagged("post_install", "-at_install")
class TestUninstallLog(BaseCase):
    def refused(self, error):
        record = logging.LogRecord(
            "odoo.sql_db",
            logging.ERROR,
            __file__,
            1,
            "bad query: %s\nERROR: %s",
            (b'DELETE FROM "credit_package" WHERE id IN (1)', error),
            None,
        )
        return record, KeptRecordQueries().filter(record)

    def test_a_kept_record_is_said_at_info_any_other_refusal_stays_an_error(self):
        for error in (
            ForeignKeyViolation("violates foreign key constraint\nDETAIL: Key (id)=(1)"),
            UndefinedTable('relation "credit_package" does not exist'),
        ):
            with self.subTest(error=type(error).__name__):
                record, _shown = self.refused(error)
                self.assertEqual(record.levelname, "INFO")
                self.assertIn("the record is kept or already gone", record.getMessage())
                self.assertNotIn("ERROR", record.getMessage())

        record, shown = self.refused(UniqueViolation("duplicate key value"))
        self.assertTrue(shown)
        self.assertEqual(record.levelname, "ERROR")
        self.assertIn("ERROR: duplicate key value", record.getMessage())
