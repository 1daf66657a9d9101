import pytest

from consents.loading import policy_load
from consents.models import ConsentItem


@pytest.fixture
def policy(db):
    """The seed policy, loaded as `load_policy` does."""
    policy_load()
    return {item.code: item for item in ConsentItem.objects.all()}
