import pytest


@pytest.mark.real_hashing
@pytest.mark.django_db
def test_passwords_are_hashed_with_argon2():
    from careloop.core.models import User

    user = User.objects.create_user("hash_check", password="Correct-Horse-42")
    assert user.password.startswith("argon2$")
