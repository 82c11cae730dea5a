"""apipatterns.pagination: page numbers, clamping, bad values, COUNT(*) and cursors."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apipatterns import paginate
from apipatterns.exceptions import InvalidParameter
from tests.apipatterns.conftest import envelope, problem
from tests.apitest.models import Widget

pytestmark = [pytest.mark.urls("tests.apitest.urls"), pytest.mark.django_db]


@pytest.fixture
def widgets():
    return Widget.objects.bulk_create(Widget(name=f"w{i:03d}", quantity=i) for i in range(45))


def test_first_page_and_meta(client, widgets):
    body = envelope(client.get("/drf/widgets"))
    assert [w["name"] for w in body["data"]] == [f"w{i:03d}" for i in range(20)]
    meta = body["meta"]["pagination"]
    assert meta["page"] == 1 and meta["per_page"] == 20 and meta["per_page_clamped"] is False
    assert meta["total"] == 45 and meta["total_pages"] == 3
    assert meta["has_next"] is True and meta["has_previous"] is False
    assert meta["next"] == "http://testserver/drf/widgets?page=2"
    assert meta["previous"] is None


def test_last_page(client, widgets):
    meta = envelope(client.get("/drf/widgets?page=3&per_page=20"))["meta"]["pagination"]
    assert meta["has_next"] is False and meta["next"] is None
    assert meta["previous"] == "http://testserver/drf/widgets?page=2&per_page=20"


def test_per_page_above_maximum_is_clamped_and_reported(client, widgets, settings):
    settings.API_MAX_PAGE_SIZE = 10
    body = envelope(client.get("/drf/widgets?per_page=1000"))
    assert len(body["data"]) == 10
    meta = body["meta"]["pagination"]
    assert meta["per_page"] == 10 and meta["per_page_clamped"] is True
    assert "per_page=10" in meta["next"]


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("page=abc", "page"),
        ("page=0", "page"),
        ("page=-1", "page"),
        ("page=1.5", "page"),
        ("page=", "page"),
        ("page=%20", "page"),
        ("page=%D9%A3", "page"),  # an Arabic-Indic digit: int() would take it
        ("per_page=0", "per_page"),
        ("per_page=-5", "per_page"),
        ("per_page=abc", "per_page"),
        ("per_page=1e3", "per_page"),
    ],
)
def test_bad_values_are_400_naming_the_parameter(client, query, parameter):
    body = problem(client.get(f"/drf/widgets?{query}"), 400, "validation_error")
    assert [e["parameter"] for e in body["errors"]] == [parameter]


@pytest.mark.parametrize("url", ["/drf/widgets", "/drf/widgets-nocount", "/plain/paginated"])
def test_every_bad_parameter_is_named_not_only_the_first(client, url):
    body = problem(client.get(f"{url}?page=abc&per_page=-5"), 400, "validation_error")
    assert [e["parameter"] for e in body["errors"]] == ["page", "per_page"]


def test_paginate_names_both_bad_parameters():
    with pytest.raises(InvalidParameter) as raised:
        paginate([], "x", "0")
    assert [e["parameter"] for e in raised.value.errors] == ["page", "per_page"]


def test_previous_of_a_page_past_the_end_is_the_last_page(client, widgets):
    meta = envelope(client.get("/drf/widgets?page=99&per_page=20"))["meta"]["pagination"]
    assert meta["total_pages"] == 3
    assert meta["previous"] == "http://testserver/drf/widgets?page=3&per_page=20"
    assert meta["next"] is None


def test_previous_past_the_end_of_an_empty_list_is_the_first_page(client):
    meta = envelope(client.get("/drf/widgets?page=5"))["meta"]["pagination"]
    assert meta["previous"] == "http://testserver/drf/widgets"


def test_previous_past_the_end_without_count_is_the_page_before(client, widgets):
    meta = envelope(client.get("/drf/widgets-nocount?page=99"))["meta"]["pagination"]
    assert meta["previous"] == "http://testserver/drf/widgets-nocount?page=98"


@pytest.mark.parametrize("url", ["/drf/widgets", "/drf/widgets-nocount", "/plain/paginated"])
def test_page_past_the_end_is_200_empty(client, widgets, url):
    body = envelope(client.get(f"{url}?page=999999999"))
    assert body["data"] == []
    assert body["meta"]["pagination"]["has_next"] is False


@pytest.mark.parametrize("url", ["/drf/widgets", "/drf/widgets-nocount", "/plain/paginated"])
def test_huge_page_number_is_never_a_500(client, widgets, url):
    # 18 digits still parse (past the end: empty); more is a documented 400.
    assert client.get(f"{url}?page={'9' * 18}&per_page=100").status_code == 200
    body = problem(client.get(f"{url}?page={'9' * 40}"), 400, "validation_error")
    assert body["errors"][0] == {
        "code": "out_of_range",
        "detail": "Is too large.",
        "parameter": "page",
    }


def test_page_number_adds_exactly_one_count(client, widgets):
    with CaptureQueriesContext(connection) as queries:
        envelope(client.get("/drf/widgets?page=2"))
    sql = [q["sql"].upper() for q in queries.captured_queries]
    assert len(sql) == 2
    assert sum("COUNT(" in q for q in sql) == 1


def test_count_can_be_switched_off(client, widgets):
    with CaptureQueriesContext(connection) as queries:
        body = envelope(client.get("/drf/widgets-nocount?page=2"))
    sql = [q["sql"].upper() for q in queries.captured_queries]
    assert len(sql) == 1 and "COUNT(" not in sql[0]
    meta = body["meta"]["pagination"]
    assert meta["total"] is None and meta["total_pages"] is None
    assert meta["has_next"] is True and len(body["data"]) == 20
    last = envelope(client.get("/drf/widgets-nocount?page=3"))["meta"]["pagination"]
    assert last["has_next"] is False


def test_page_past_the_end_makes_no_select(client, widgets):
    with CaptureQueriesContext(connection) as queries:
        envelope(client.get("/drf/widgets?page=50"))
    assert len(queries.captured_queries) == 1  # the COUNT only


def test_cursor_pagination_walks_every_row_once(client, widgets):
    seen, url = [], "/drf/widgets-cursor?per_page=20"
    pages = 0
    while True:
        body = envelope(client.get(url))
        meta = body["meta"]["pagination"]
        seen += [w["name"] for w in body["data"]]
        pages += 1
        if not meta["has_next"]:
            assert meta["next_cursor"] is None
            break
        url = f"/drf/widgets-cursor?per_page=20&cursor={meta['next_cursor']}"
    assert pages == 3
    assert seen == [f"w{i:03d}" for i in reversed(range(45))]


def test_cursor_pagination_makes_one_query(client, widgets):
    with CaptureQueriesContext(connection) as queries:
        envelope(client.get("/drf/widgets-cursor"))
    assert len(queries.captured_queries) == 1


@pytest.mark.parametrize("cursor", ["garbage", "cD0xMjM"])
def test_bad_cursor_is_400_naming_cursor(client, widgets, cursor):
    body = problem(client.get(f"/drf/widgets-cursor?cursor={cursor}"), 400, "validation_error")
    assert body["errors"][0]["parameter"] == "cursor"


def test_cursor_per_page_is_validated_and_clamped(client, widgets, settings):
    settings.API_MAX_PAGE_SIZE = 5
    meta = envelope(client.get("/drf/widgets-cursor?per_page=50"))["meta"]["pagination"]
    assert meta["per_page"] == 5 and meta["per_page_clamped"] is True
    body = problem(client.get("/drf/widgets-cursor?per_page=0"), 400, "validation_error")
    assert body["errors"][0]["parameter"] == "per_page"


def test_bad_cursor_and_bad_per_page_are_both_named(client, widgets):
    body = problem(
        client.get("/drf/widgets-cursor?cursor=garbage&per_page=x"), 400, "validation_error"
    )
    assert [e["parameter"] for e in body["errors"]] == ["per_page", "cursor"]


# --- paginate() outside DRF views --------------------------------------------------------------


def test_paginate_queryset(widgets):
    items, meta = paginate(Widget.objects.order_by("id"), "2", "10")
    assert [w.name for w in items] == [f"w{i:03d}" for i in range(10, 20)]
    assert meta == {
        "page": 2,
        "per_page": 10,
        "per_page_clamped": False,
        "total": 45,
        "total_pages": 5,
        "has_next": True,
        "has_previous": True,
    }


def test_paginate_list_and_defaults():
    items, meta = paginate(list(range(7)), None, None)
    assert items == list(range(7))
    assert meta["page"] == 1 and meta["per_page"] == 20 and meta["total"] == 7


def test_paginate_without_count():
    items, meta = paginate(list(range(7)), 2, 3, count=False)
    assert items == [3, 4, 5] and meta["has_next"] is True and meta["total"] is None


@pytest.mark.parametrize(("page", "per_page"), [(0, 10), (-1, 10), ("x", 10), (1, 0), (True, 1)])
def test_paginate_rejects_bad_values(page, per_page):
    with pytest.raises(InvalidParameter):
        paginate([], page, per_page)


def test_paginate_in_a_plain_view(client, widgets):
    body = envelope(client.get("/plain/paginated?page=5&per_page=10"))
    assert body["data"] == [f"w{i:03d}" for i in range(40, 45)]
    assert body["meta"]["pagination"]["has_next"] is False
    problem(client.get("/plain/paginated?per_page=-5"), 400, "validation_error")


def test_envelope_adds_no_query(client, widgets, django_assert_num_queries):
    # The view's own SELECT only: envelope, request ID, log line and throttle add none.
    with django_assert_num_queries(1):
        envelope(client.get(f"/drf/widgets/{widgets[0].pk}"))
    with django_assert_num_queries(0):
        problem(client.get("/drf/orders"), 405, "method_not_allowed")
