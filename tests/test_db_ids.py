"""db_ids.among: a set of ids as one query parameter selects what the list of them does."""

import pytest
from django.db import connection

from labelhub.db_ids import among
from labelhub.recordings.models import Recording
from tests.factories import RecordingFactory

pytestmark = pytest.mark.django_db


def test_among_selects_the_same_rows_as_the_list_of_ids() -> None:
    clips = [RecordingFactory() for _ in range(4)]
    wanted = [clips[0].pk, clips[2].pk, clips[3].pk]
    chosen = Recording.objects.filter(pk__in=among(wanted))
    assert sorted(chosen.values_list("pk", flat=True)) == wanted
    # Reused in a second query, as the build's chunk reads do.
    assert Recording.objects.filter(pk__in=among(wanted)).count() == 3


def test_among_takes_any_iterable_of_ids_once() -> None:
    clips = [RecordingFactory() for _ in range(3)]
    ids = among(clip.pk for clip in clips[1:])  # a generator: listed once, not consumed twice
    assert Recording.objects.filter(pk__in=ids).count() == 2
    assert Recording.objects.filter(pk__in=ids).count() == 2


@pytest.mark.skipif(connection.vendor != "postgresql", reason="arrays are PostgreSQL's")
def test_among_sends_the_ids_as_one_parameter_however_many() -> None:
    query = Recording.objects.filter(pk__in=among(range(1, 5001))).query
    sql, params = query.sql_with_params()
    assert len(params) == 1
    assert list(params[0]) == list(range(1, 5001))
    assert Recording.objects.filter(pk__in=among(range(1, 5001))).count() == 0
