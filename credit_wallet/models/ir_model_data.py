import logging

from psycopg2.errors import ForeignKeyViolation, UndefinedTable

from odoo import models

_sql_logger = logging.getLogger("odoo.sql_db")


class KeptRecordQueries(logging.Filter):
    """Log at INFO the queries Odoo's uninstall expects to be refused.

    Odoo deletes each record the add-on created, each in a savepoint, and keeps those the
    books still reference (a bought package, a customer with journal entries, the Credits
    payment method): PostgreSQL refuses the DELETE with a foreign key violation, and checking
    afterwards whether a kept record of a dropped table still exists finds no table. Odoo
    handles both, but the cursor has already logged the refused query as an ERROR. Any other
    refused query stays an ERROR.
    """

    def filter(self, record):
        error = record.args[-1] if isinstance(record.args, tuple) and record.args else None
        if record.levelno == logging.ERROR and isinstance(
            error, ForeignKeyViolation | UndefinedTable
        ):
            record.levelno, record.levelname = logging.INFO, logging.getLevelName(logging.INFO)
            record.msg = "uninstall: %s refused, the record is kept or already gone: %s"
            record.args = (record.args[0], str(error).splitlines()[0])
            return _sql_logger.isEnabledFor(logging.INFO)
        return True


class IrModelData(models.Model):
    _inherit = "ir.model.data"

    def _module_data_uninstall(self, modules_to_remove):
        if "credit_wallet" not in modules_to_remove:
            return super()._module_data_uninstall(modules_to_remove)
        kept_records = KeptRecordQueries()
        _sql_logger.addFilter(kept_records)
        try:
            return super()._module_data_uninstall(modules_to_remove)
        finally:
            _sql_logger.removeFilter(kept_records)
