from careloop.residents.selectors import residents_visible_to


def test_cast_builds_and_scopes(cast):
    assert set(residents_visible_to(cast.doctor_a)) == {cast.wang, cast.li}
    assert set(residents_visible_to(cast.wang_user)) == {cast.wang, cast.li}
    assert set(residents_visible_to(cast.zhao_user)) == {cast.zhao}
    assert set(residents_visible_to(cast.director)) == {cast.wang, cast.li, cast.zhao}
    assert list(residents_visible_to(cast.cashier)) == []
