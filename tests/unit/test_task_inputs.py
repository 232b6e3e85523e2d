"""Submission rules with no I/O: callback URLs, images, resource overrides within limits."""

from __future__ import annotations

import pytest

from domain.core.errors import InvalidInput
from domain.core.urls import validate_url
from domain.infra.agent_spec import resources_for, validate_image, validate_spec
from domain.infra.quantities import cpu_millis, memory_bytes


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/x",
        "javascript:alert(1)",
        "https://user:pw@example.com/hook",
        "https://token@example.com/hook",
        "http:///nohost",
        "https://example.com:99999/",
        "not a url",
        "https://exa mple.com/",
        "https://example.com/\n",
        "x" * 3000,
    ],
)
def test_a_callback_url_must_be_plain_http_or_https_without_credentials(url):
    with pytest.raises(InvalidInput) as bad:
        validate_url(url, "callback_url")
    assert bad.value.field == "callback_url"


def test_a_good_callback_url_is_kept_as_given():
    assert validate_url("https://hooks.example.com/t?x=1", "callback_url") == (
        "https://hooks.example.com/t?x=1"
    )


@pytest.mark.parametrize("image", ["python:3.11", "ghcr.io/acme/agent:v1.2", "agent"])
def test_images_are_references(image):
    assert validate_image(image) == image


@pytest.mark.parametrize("image", ["", "acme/Agent", "a b", "x:" + "t" * 200, None, 3])
def test_bad_images_name_the_field(image):
    with pytest.raises(InvalidInput) as bad:
        validate_image(image)
    assert bad.value.field == "agent_image"


def test_quantities_compare_as_millicores_and_bytes():
    assert cpu_millis("500m", "c") == 500 and cpu_millis("2", "c") == 2000
    assert cpu_millis("0.25", "c") == 250
    assert memory_bytes("512Mi", "m") == 512 * 2**20 and memory_bytes("1G", "m") == 10**9
    for bad in ("0", "-1", "1.0001", "1e3", "lots", ""):
        with pytest.raises(InvalidInput):
            cpu_millis(bad, "c")


SPEC = validate_spec(
    {"image": "acme/agent:1", "default_cpu": "500m", "max_cpu": "2", "default_memory": "1Gi"}
)


def test_a_spec_fills_defaults_and_ceilings():
    assert SPEC["tier"] == "standard" and SPEC["max_memory"] == "1Gi"
    assert SPEC["cmd_override"] is None


def test_overrides_within_limits_are_kept_and_defaults_fill_the_rest():
    assert resources_for(SPEC, {"cpu": "2"}) == {"cpu": "2", "memory": "1Gi"}
    assert resources_for(SPEC, None) == {"cpu": "500m", "memory": "1Gi"}


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"cpu": "2500m"}, "resources.cpu"),
        ({"memory": "2Gi"}, "resources.memory"),
        ({"gpu": "1"}, "resources"),
        ({"cpu": "lots"}, "resources.cpu"),
    ],
)
def test_overrides_beyond_the_definition_s_limits_are_refused(overrides, field):
    with pytest.raises(InvalidInput) as bad:
        resources_for(SPEC, overrides)
    assert bad.value.field == field


def test_a_spec_whose_default_exceeds_its_ceiling_is_refused():
    with pytest.raises(InvalidInput) as bad:
        validate_spec({"image": "a", "default_cpu": "4", "max_cpu": "2"})
    assert bad.value.field == "default_cpu"
