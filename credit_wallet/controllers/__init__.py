from . import export, payment, portal
