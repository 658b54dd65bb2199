from labelhub.accounts.models import Organisation, User


def organisation_get_or_create(*, name: str, kind: str) -> Organisation:
    organisation, _created = Organisation.objects.get_or_create(name=name, defaults={"kind": kind})
    return organisation


def user_create(
    *, username: str, password: str, role: str, organisation: Organisation | None, **extra: object
) -> User:
    user = User(username=username, role=role, organisation=organisation, **extra)
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    return user
