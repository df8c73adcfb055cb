import pytest
from fastapi.testclient import TestClient

from support.catalog import seed_catalog


@pytest.fixture
def shop(client: TestClient, admin_headers: dict[str, str]) -> TestClient:
    """The API client over a database holding the small test catalog."""
    seed_catalog(client, admin_headers)
    return client
