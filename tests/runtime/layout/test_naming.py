"""Naming rules: the string matcher agrees with the rule's regular expression."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from h5layout.runtime.layout.spec import Naming

RULES = [
    Naming(fixed="RawData"),
    Naming(fixed="a.b"),
    Naming(pattern="Scan{index:03d}"),
    Naming(pattern="CH{index:02d}"),
    Naming(pattern="Data{index}"),
    Naming(pattern="Ax{index:02d}is"),
    Naming(pattern="Data{dim}"),
    Naming(pattern="b{index:01d}b"),
]

names = st.one_of(
    st.text(max_size=12),
    st.builds(
        lambda p, d, s: p + d + s,
        st.sampled_from(["Scan", "CH", "Data", "Ax", "b", "", "RawData"]),
        st.text(alphabet="0123456789٣²xD", max_size=6),
        st.sampled_from(["", "is", "b", "D"]),
    ),
)


@settings(max_examples=300, deadline=None)
@given(rule=st.sampled_from(RULES), name=names)
def test_counter_text_agrees_with_the_regex(rule: Naming, name: str) -> None:
    m = rule.regex().match(name)
    text = rule.counter_text(name)
    assert (text is not None) == (m is not None)
    if m is not None and rule.pattern is not None:
        assert text == m.group("index")
        if rule.field == "index":
            assert rule.parse_index(name) == int(m.group("index"))


def test_examples() -> None:
    scan = Naming(pattern="Scan{index:03d}")
    assert scan.parse_index("Scan007") == 7
    assert scan.parse_index("Scan1234") == 1234
    assert scan.parse_index("Scan07") is None
    assert scan.parse_index("Scan00x") is None
    assert Naming(pattern="Data{dim}").counter_text("Data2D") == "2D"
    assert Naming(fixed="RawData").counter_text("RawData") == ""
    assert Naming(fixed="RawData").counter_text("rawdata") is None
