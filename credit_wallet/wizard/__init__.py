from . import credit_wallet_adjustment
