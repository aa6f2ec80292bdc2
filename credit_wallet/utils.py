from odoo.exceptions import AccessError

from .const import GATE_TOKEN


def through_gate(records, gate):
    """``records`` in a context that opens ``gate`` (a key of const.py)."""
    return records.with_context(**{gate: GATE_TOKEN})


def is_through_gate(env, gate):
    """Whether ``env``'s context was opened by the add-on's own code for ``gate``."""
    return env.context.get(gate) is GATE_TOKEN


def check_company_access(records, operation="read"):
    """Refuse (AccessError) ``records`` that the user may not ``operation``, or that belong to a
    company outside the user's current companies.

    The check every wizard and action makes on the records it receives before it reads them
    in sudo or moves anything: an agency company sees and moves only its own money.
    """
    records.check_access(operation)
    env = records.env
    if env.su or "company_id" not in records._fields:
        return
    if any(record.company_id not in env.companies for record in records):
        raise AccessError(
            env._(
                "This %(document)s belongs to a company you are not working in.",
                document=records._description,
            )
        )
