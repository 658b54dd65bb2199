"""Two test runs on one machine never share a database."""

import os

import pytest
from django.db import connection


@pytest.mark.django_db
def test_this_run_has_a_database_of_its_own() -> None:
    name = connection.settings_dict["NAME"]
    if connection.vendor == "sqlite":
        pytest.skip("SQLite test databases are private to the process")

    assert name.endswith(f"_{os.getpid()}")
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_database()")
        assert cursor.fetchone()[0] == name
