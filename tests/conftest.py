import pytest
from odoo_server import REPO_ROOT, create_database_with_module, drop_database


@pytest.fixture(scope="session")
def log_dir():
    path = REPO_ROOT / ".odoo" / "logs"
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="session")
def module_database(log_dir):
    """A committed database with credit_wallet and its demo data, dropped afterwards."""
    name = "cw_repo_tests"
    create_database_with_module(name, log_dir / "repo-tests-install.log")
    yield name
    drop_database(name)
