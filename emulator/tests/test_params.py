"""List-parameter parsing and pagination rules."""

import pytest
from starlette.datastructures import QueryParams

from dbt_cloud_emulator.api.envelope import ApiError, Page, int_list_param, list_values, order_by_param


@pytest.mark.parametrize(
    "raw, expected",
    [
        (["trigger", "job"], ["trigger", "job"]),  # repeated keys
        (["run_steps,job"], ["run_steps", "job"]),  # comma-joined (OpenLineage)
        (["[1, 2, 3]"], ["1", "2", "3"]),  # str([1, 2, 3]) (reuse_existing_run)
        (["['trigger', 'job']"], ["trigger", "job"]),  # str() of a list of strings
        (["[]"], []),
        ([" a , ,b "], ["a", "b"]),
    ],
)
def test_list_values_accepts_every_form_the_provider_sends(raw, expected):
    assert list_values(raw) == expected


def test_int_list_param_parses_bracketed_and_rejects_words():
    assert int_list_param(QueryParams("status__in=[1, 2, 3]"), "status__in") == [1, 2, 3]
    assert int_list_param(QueryParams("status__in=1&status__in=2"), "status__in") == [1, 2]
    assert int_list_param(QueryParams(""), "status__in") is None
    with pytest.raises(ApiError) as error:
        int_list_param(QueryParams("status__in=[queued]"), "status__in")
    assert error.value.status_code == 400 and "integer" in error.value.message


def test_page_defaults_and_limits():
    assert Page.from_query(QueryParams("")) == Page(100, 0)
    assert Page.from_query(QueryParams("limit=5&offset=10")) == Page(5, 10)
    with pytest.raises(ApiError) as error:
        Page.from_query(QueryParams("limit=101"))
    assert (error.value.status_code, error.value.message) == (400, "Limit must not exceed 100")
    for bad in ("limit=0", "offset=-1", "limit=ten"):
        with pytest.raises(ApiError):
            Page.from_query(QueryParams(bad))


def test_order_by_accepts_descending_and_names_the_choices():
    assert order_by_param(QueryParams("order_by=-created_at"), ("id", "created_at")) == "-created_at"
    assert order_by_param(QueryParams(""), ("id",)) == "id"
    with pytest.raises(ApiError) as error:
        order_by_param(QueryParams("order_by=name"), ("id", "created_at"))
    assert "id, created_at" in error.value.message
