"""The claim's and the submit's serializers build their fields once per class, and each
instance still has fields of its own, bound to it and its context."""

import pytest
from rest_framework import serializers

from labelhub.labeling.api import ReviewTaskSerializer, RevisionSerializer, TaskSerializer
from tests.labeling.helpers import task_with_draft

pytestmark = pytest.mark.django_db


def test_a_model_serializers_fields_are_built_from_the_model_once(monkeypatch) -> None:
    RevisionSerializer().fields  # noqa: B018  (built, if no test did before)
    built = []
    original = serializers.ModelSerializer.build_field

    def counting(self, *args, **kwargs):
        built.append(args[0])
        return original(self, *args, **kwargs)

    monkeypatch.setattr(serializers.ModelSerializer, "build_field", counting)

    fields = RevisionSerializer().fields

    assert built == [] and "text" in fields and "author" in fields


def test_two_instances_never_share_a_field() -> None:
    first, second = TaskSerializer(), TaskSerializer()

    assert first.fields["mode"] is not second.fields["mode"]
    assert first.fields["mode"].parent is first and second.fields["mode"].parent is second


def test_each_instance_answers_with_its_own_context() -> None:
    task, draft = task_with_draft()

    label = TaskSerializer(task, context={"mode": "label"}).data
    review = ReviewTaskSerializer(task, context={"mode": "review"}).data
    double = TaskSerializer(task, context={"mode": "double"}).data

    assert (label["mode"], review["mode"], double["mode"]) == ("label", "review", "double")
    assert review["submitted"]["id"] == draft.pk and "submitted" not in label
    assert label["draft"]["text"] == draft.text


def test_a_field_made_around_another_gets_a_child_of_its_own() -> None:
    from labelhub.labeling.api_fields import FieldsBuiltOnce

    class Tags(FieldsBuiltOnce, serializers.Serializer):
        tags = serializers.ListField(child=serializers.CharField())

    first, second = Tags().fields["tags"], Tags().fields["tags"]

    assert first.child is not second.child
    assert first.child.parent is first and second.child.parent is second
