from .const import GATE_TOKEN


def through_gate(records, gate):
    """``records`` in a context that opens ``gate`` (a key of const.py)."""
    return records.with_context(**{gate: GATE_TOKEN})


def is_through_gate(env, gate):
    """Whether ``env``'s context was opened by the add-on's own code for ``gate``."""
    return env.context.get(gate) is GATE_TOKEN
