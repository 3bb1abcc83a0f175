import logging

import pytest

from reelflow.local.cloud import LocalCloud


@pytest.fixture(scope="module")
def cloud(template, tmp_path_factory):
    """The stack on moto: the template's resources, state machine and handlers."""
    for name in ("moto", "werkzeug"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    with LocalCloud(template, tmp_path_factory.mktemp("cloud")) as local:
        yield local
