from functions.core.wording import counted


def test_counted_is_singular_only_for_one():
    assert [counted(n, "gradual transition") for n in (0, 1, 2)] == [
        "0 gradual transitions", "1 gradual transition", "2 gradual transitions"]
