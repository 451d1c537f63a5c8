"""Settings as PyMoDAQ parameter-tree XML: writing, reading back, and what the browser needs.

PyMoDAQ's parameter trees live in pymodaq_gui (Qt); pymodaq_utils 5.3.7 has none. The
:class:`~tests.runtime.conftest.Parameter` stand-in has the methods h5layout reads from a
tree (``name()``, ``opts``, ``children()``, ``value()``, ``hasChildren()``) and needs no GUI.
"""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree as ET

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from h5layout.runtime.codec.settings import (
    module_settings,
    pointer_xml,
    settings_from_xml,
    settings_to_xml,
)

from ...conftest import check_parameter_xml
from ..conftest import Parameter, detector_tree


def values(tree: dict[str, Any]) -> dict[str, Any]:
    """Leaf values of a settings dict tree, by dotted path."""
    out: dict[str, Any] = {}

    def walk(node: dict[str, Any], prefix: str) -> None:
        path = f"{prefix}.{node['name']}" if prefix else node["name"]
        if "value" in node:
            out[path] = node["value"]
        for child in node.get("children", []):
            walk(child, path)

    walk(tree, "")
    return out


def test_parameter_tree_becomes_valid_xml() -> None:
    xml = settings_to_xml(detector_tree())
    root = check_parameter_xml(xml)
    assert root.tag == "settings"
    assert root.get("title") == "Detector settings"
    main = root.find("main_settings")
    assert main is not None and main.get("type") == "group"
    assert [c.tag for c in main] == ["DAQ_type", "Naverage", "exposure", "continuous", "live"]
    exposure = main.find("exposure")
    assert exposure is not None and exposure.get("suffix") == "ms"
    live = main.find("live")
    assert live is not None and live.get("readonly") == "1"


def test_values_round_trip() -> None:
    tree = settings_from_xml(settings_to_xml(detector_tree()))
    assert values(tree) == {
        "settings.main_settings.DAQ_type": "DAQ1D",
        "settings.main_settings.Naverage": 5,
        "settings.main_settings.exposure": 12.5,
        "settings.main_settings.continuous": True,
        "settings.main_settings.live": False,
        "settings.comment": "µ line one\nline <two> & 'three'",
        "settings.empty": "",
    }
    # the dict form writes the same XML again
    assert settings_to_xml(tree) == settings_to_xml(settings_from_xml(settings_to_xml(tree)))


def test_types_and_titles_survive_reading() -> None:
    tree = settings_from_xml(settings_to_xml(detector_tree()))
    main = tree["children"][0]
    assert main["title"] == "Main settings"
    assert [(c["name"], c["type"]) for c in main["children"]] == [
        ("DAQ_type", "list"),
        ("Naverage", "int"),
        ("exposure", "float"),
        ("continuous", "bool"),
        ("live", "led"),
    ]


@pytest.mark.parametrize("empty", [None, ""])
def test_empty_settings_give_a_valid_tree(empty: Any) -> None:
    xml = settings_to_xml(empty)
    assert xml != ""
    root = check_parameter_xml(xml)
    assert root.get("type") == "group"
    assert settings_from_xml(xml)["type"] == "group"


def test_module_without_settings_gives_a_valid_tree() -> None:
    class Bare:
        title = "bare"

    check_parameter_xml(module_settings(Bare()))


def test_module_settings_prefers_settings_xml() -> None:
    class Both:
        title = "both"
        settings_xml = settings_to_xml({"name": "from_xml", "value": 1})
        settings = detector_tree()

    assert ET.fromstring(module_settings(Both())).tag == "from_xml"

    class TreeOnly:
        title = "tree"
        settings = detector_tree()

    assert ET.fromstring(module_settings(TreeOnly())).get("title") == "Detector settings"


def test_dict_settings_guess_types() -> None:
    xml = settings_to_xml(
        {
            "name": "settings",
            "children": [
                {"name": "n", "value": 3},
                {"name": "x", "value": 0.1},
                {"name": "on", "value": False},
                {"name": "s", "value": "text"},
            ],
        }
    )
    root = check_parameter_xml(xml)
    assert [(c.tag, c.get("type")) for c in root] == [
        ("n", "int"),
        ("x", "float"),
        ("on", "bool"),
        ("s", "str"),
    ]
    assert values(settings_from_xml(xml)) == {
        "settings.n": 3,
        "settings.x": 0.1,
        "settings.on": False,
        "settings.s": "text",
    }


def test_names_that_are_not_xml_tags_are_made_safe() -> None:
    xml = settings_to_xml(Parameter("1 bad:name", "int", "Bad", 2))
    root = check_parameter_xml(xml)
    assert root.tag.startswith("_") and " " not in root.tag and ":" not in root.tag
    assert root.get("title") == "Bad"


def test_pointer_xml_is_a_valid_tree_naming_the_dataset() -> None:
    xml = pointer_xml("/RawData/Detector000/Settings")
    check_parameter_xml(xml)
    tree = settings_from_xml(xml)
    assert tree["children"][0]["value"] == "/RawData/Detector000/Settings"


def test_reading_never_evaluates() -> None:
    # values are text: nothing that looks like code is run or converted
    xml = '<settings type="group" title="s"><p type="str" title="p">__import__("os")</p></settings>'
    assert settings_from_xml(xml)["children"][0]["value"] == '__import__("os")'


def test_bad_int_text_is_kept_as_text() -> None:
    xml = '<settings type="group" title="s"><p type="int" title="p">many</p></settings>'
    assert settings_from_xml(xml)["children"][0]["value"] == "many"


_names = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,10}", fullmatch=True)
_leaf = st.one_of(
    st.tuples(st.just("int"), st.integers(-(2**62), 2**62)),
    st.tuples(st.just("float"), st.floats(allow_nan=False, allow_infinity=True)),
    st.tuples(st.just("bool"), st.booleans()),
    st.tuples(
        st.just("str"),
        st.text(
            alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\r"),
            min_size=1,
        ).filter(lambda s: s.strip() == s),
    ),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(_names, _leaf), max_size=8, unique_by=lambda t: t[0]))
def test_random_leaves_round_trip(leaves: list[tuple[str, tuple[str, Any]]]) -> None:
    tree = Parameter(
        "settings",
        children=[Parameter(name, ptype, f"T {name}", value) for name, (ptype, value) in leaves],
    )
    xml = settings_to_xml(tree)
    check_parameter_xml(xml)
    got = values(settings_from_xml(xml))
    assert got == {f"settings.{name}": value for name, (_, value) in leaves}


def test_parameter_xml_text_is_kept_as_is() -> None:
    xml = settings_to_xml(detector_tree())
    assert settings_to_xml(xml) == xml
    assert settings_to_xml(xml.encode("utf-8")) == xml


def test_xml_without_types_or_titles_is_completed() -> None:
    xml = settings_to_xml("<settings><p>1</p><g><q>x</q></g><e/></settings>")
    root = check_parameter_xml(xml)
    assert [(e.tag, e.get("type"), e.get("title")) for e in root.iter()] == [
        ("settings", "group", "settings"),
        ("p", "str", "p"),
        ("g", "group", "g"),
        ("q", "str", "q"),
        ("e", "group", "e"),
    ]
    assert values(settings_from_xml(xml)) == {"settings.p": "1", "settings.g.q": "x"}


def test_text_that_is_not_xml_is_kept_in_a_valid_tree() -> None:
    text = "exposure = 10 ms <not xml"
    root = check_parameter_xml(settings_to_xml(text))
    assert values(settings_from_xml(ET.tostring(root, encoding="unicode"))) == {
        "settings.text": text
    }
