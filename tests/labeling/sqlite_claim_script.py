"""Run by test_claim_sqlite.py in a process of its own, on the SQLite default (no DATABASE_URL):
migrates, then claims, claims again and submits through the API, printing one JSON line."""

import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ["DJANGO_SETTINGS_MODULE"] = "labelhub.settings"

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from labelhub.accounts.models import User  # noqa: E402
from tests.factories import UserFactory  # noqa: E402
from tests.labeling.helpers import task_with_draft  # noqa: E402

call_command("migrate", verbosity=0)
task, draft = task_with_draft()
client = APIClient()
user = UserFactory(role=User.Role.LABELER)
client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
claimed = client.post("/api/tasks/claim/")
again = client.post("/api/tasks/claim/")
submitted = client.post(
    f"/api/tasks/{task.pk}/submit/",
    {"text": "turn on the tv", "base_revision": draft.pk},
    format="json",
)
after = client.post("/api/tasks/claim/")
print(
    json.dumps(
        {
            "vendor": connection.vendor,
            "claim": [claimed.status_code, claimed.json()["id"] == task.pk],
            "base_revision": claimed.json()["base_revision"] == draft.pk,
            "again": again.json()["id"] == task.pk,
            "submit": [submitted.status_code, submitted.json().get("number")],
            "after": after.status_code,
        }
    )
)
