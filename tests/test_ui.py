"""The operations UI: Airflow's API server mounts it, Airflow's auth guards it, pages match the SQL."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Decimal
from html import escape
from html.parser import HTMLParser
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
import pytest

from debt_collections.policy.loader import load_policy
from debt_collections.ui.masking import mask_name, mask_phone
from tests.pg import copied_database
from tests.scenario import Scenario, d, dag_run_state
from tests.test_capacity import DAY as CAPACITY_DAY
from tests.test_capacity import VISITS, overdue, with_roster

pytestmark = pytest.mark.live

DAYS = ("2026-11-25", "2026-11-26", "2026-11-27", "2026-11-28")
PAGES = (
    "/collections/today",
    "/collections/today?as_of=2026-11-28",
    "/collections/account?id=A0",
    "/collections/trends",
    "/collections/trends?portfolio=P1",
    "/collections/variants",
    "/collections/recoveries?portfolio=P1",
    "/collections/capacity",
    "/collections/simulations",
    "/collections/",
)


# -- a real Airflow API server app, and a real login ----------------------------------------------
@pytest.fixture(scope="module")
def airflow_api(airflow_home: Path):
    """Airflow's own API server app ("core"): it mounts plugin apps and initialises the auth manager."""
    from airflow.api_fastapi.app import create_app, purge_cached_app
    from fastapi.testclient import TestClient

    app = create_app(apps="core")
    with TestClient(app) as client:
        yield client
    purge_cached_app()


@pytest.fixture(scope="module")
def token(airflow_api, airflow_home: Path) -> str:
    """A JWT from Airflow's login endpoint (SimpleAuthManager), logging in as the generated admin."""
    passwords = json.loads((airflow_home / "simple_auth_manager_passwords.json.generated").read_text())
    answer = airflow_api.post("/auth/token", json={"username": "admin", "password": passwords["admin"]})
    assert answer.status_code == 201, answer.text
    return answer.json()["access_token"]


@pytest.fixture
def ui(airflow_api, token, db, monkeypatch):
    """A client logged in to Airflow, whose connection collections_db points at the test's database."""
    parts = psycopg.conninfo.conninfo_to_dict(db)
    monkeypatch.setenv(
        "AIRFLOW_CONN_COLLECTIONS_DB",
        json.dumps(
            {
                "conn_type": "postgres",
                "host": parts.get("host", "127.0.0.1"),
                "port": int(parts.get("port", 5432)),
                "login": parts.get("user", "postgres"),
                "schema": parts["dbname"],
            }
        ),
    )

    def get(path: str, **kwargs):
        return airflow_api.get(path, headers={"Authorization": f"Bearer {token}"}, **kwargs)

    def post(path: str, **kwargs):
        return airflow_api.post(path, headers={"Authorization": f"Bearer {token}"}, **kwargs)

    get.post = post  # the account search posts its term: nothing personal in a URL
    return get


def _book(s: Scenario) -> Scenario:
    shared = s.customer("SHARED", full_name="Wang Fang", phone="+8613912341234")
    for i, portfolio in enumerate(["P1", "P1", "P2", "P2", "P3"]):
        s.account(f"A{i}", portfolio=portfolio, first_due="2026-07-01", months=6, amount="2000.00")
    s.account("B1", portfolio="P1", customer=shared, first_due="2026-11-01", months=2)
    s.account("B2", portfolio="P2", customer=shared, first_due="2026-11-10", months=2)
    odd = s.customer("ODD", full_name="<b>Li</b> Lei", phone="+8613700000007")
    s.account("X1", portfolio="P3", customer=odd, first_due="2026-09-01", months=6)
    s.event("e1", "A2", "2026-11-26T10:00:00+08:00", "promise_to_pay", "100.00", "2026-12-10")
    s.event("e2", "A4", "2026-11-27T09:00:00+08:00", "cease_contact")
    s.event("e4", "A0", "2026-11-26T11:00:00+08:00", "delinquency_reason", reason="illness", source="dialer")
    s.account("C1", portfolio="P1", first_due="2026-11-10", months=3)
    s.event("e3", "C1", "2026-11-26T09:00:00+08:00", "cease_contact")
    s.account("F1", portfolio="P1", first_due="2026-12-01", months=48)  # not due yet: rows, no case
    s.account("R1", portfolio="P2", first_due="2026-10-27", months=3)  # dpd 30 on 11-26, 31 on 11-27: M1 -> M2
    s.pay("p1", "A3", "2026-11-26T10:00:00+08:00", "2000.00")
    s.pay("p2", "A0", "2026-11-27T10:00:00+08:00", "500.00")
    return s


@pytest.fixture(scope="module")
def book_built_once(pg_admin, template_db, tmp_path_factory) -> Iterator[Scenario]:
    """Four days of a small book across three portfolios, run once a module into a database of its own."""
    for conninfo in copied_database(pg_admin, template_db, "coll_book"):
        s = _book(Scenario(conninfo, tmp_path_factory.mktemp("book")))
        for day in DAYS[:-1]:
            s.run(day)
        # the last drop carries one bad installment row of P1, and two rows of no portfolio (a repayment of an
        # unknown account, a customer row that does not parse): quarantined, under the 1% reject ratio
        s.account("F2", portfolio="P2", first_due="2026-12-01", months=120)
        s.account("F3", portfolio="P3", first_due="2026-12-01", months=120)
        s.extra_lines["installments"] = ["A0,99,2026-13-01,100.00"]
        s.extra_lines["repayments"] = ["pGhost,GHOST,2026-11-28T10:00:00+08:00,5.00,,"]
        s.extra_lines["customers"] = ["CU-BAD,Name,,east,Asia/Shanghai,zh-CN,,extra"]
        s.run(DAYS[-1])
        yield s


@pytest.fixture
def book(book_built_once, pg_admin, db, tmp_path) -> Scenario:
    """That book, the test's own: its database is the test's ``db`` (a copy of the book's), its drops in tmp_path."""
    return book_built_once.own_copy(pg_admin, db, tmp_path)


# -- reading the pages ---------------------------------------------------------------------------
class _Tables(HTMLParser):
    """Every table of a page as rows of cell texts, by (id of the enclosing section, class of the table)."""

    def __init__(self) -> None:
        super().__init__()
        self.found: dict[tuple[str, str], list[list[str]]] = {}
        self.section = ""
        self.table: list[list[str]] = []
        self.cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "section":
            self.section = attrs.get("id", "")
        elif tag == "table":
            self.table = self.found.setdefault((self.section, attrs.get("class", "")), [])
        elif tag == "tr":
            self.table.append([])
        elif tag in ("td", "th"):
            self.cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None:
            self.table[-1].append("".join(self.cell).strip())
            self.cell = None
        elif tag == "section":
            self.section = ""

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def tables(html: str) -> dict[tuple[str, str], list[list[str]]]:
    """The page's tables by (section id, table class); a table not rendered is absent."""
    parser = _Tables()
    parser.feed(html)
    return parser.found


def chart_figures(html: str) -> dict[str, dict]:
    """What the browser draws of each chart (its figures' JSON, ui/web/charts.js), by chart key."""
    found = re.findall(r'<script type="application/json" data-chart-figures="([^"]+)">(.*?)</script>', html, re.S)
    return {key: json.loads(text) for key, text in found}


def as_counts(table: list[list[str]]) -> dict[str, int]:
    """A rendered cross table back to report keys ("<row> <col>" -> n), totals left out."""
    if not table:
        return {}
    header, *rows = table
    counts = {}
    for row in rows:
        if row[0] == "total":
            continue
        for col, cell in zip(header[1:-1], row[1:-1], strict=True):
            if cell:
                counts[f"{row[0]} {col}"] = int(cell)
    return counts


# -- tests ---------------------------------------------------------------------------------------
def test_masking():
    assert mask_name("Wang Fang") == "W*** F***"
    assert mask_name("王芳") == "王***"
    assert mask_name(None) == ""
    assert mask_phone("+8613912341234") == "****1234"
    assert mask_phone("+14155552671") == "****2671"  # at most the last 4 digits, whatever the country
    assert mask_phone("55501234") == "****1234"
    assert mask_phone("55512") == "****"  # too short to show any
    assert mask_phone("") == ""


def test_the_plugin_is_mounted_and_listed_by_airflow(airflow_api, token):
    answer = airflow_api.get("/api/v2/plugins", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.text
    (plugin,) = [p for p in answer.json()["plugins"] if p["name"] == "collections"]
    assert [(a["url_prefix"], a["name"]) for a in plugin["fastapi_apps"]] == [("/collections", "Collections")]
    assert plugin["external_views"] == [
        {
            "name": "Collections",
            "href": "/collections/today",
            "destination": "nav",
            "url_route": "collections",
            "icon": None,
            "icon_dark_mode": None,
            "category": None,
            "nav_top_level": True,
        },
        {
            "name": "Collections",
            "href": "/collections/run?dag_id={DAG_ID}&run_id={RUN_ID}",
            "destination": "dag_run",
            "url_route": "collections-run",
            "icon": None,
            "icon_dark_mode": None,
            "category": None,
            "nav_top_level": False,
        },
    ]


def test_every_page_answers_401_without_an_airflow_user(airflow_api, ui, book):
    for path in PAGES:
        answer = airflow_api.get(path, follow_redirects=False)
        assert answer.status_code == 401, path
        assert "Not authenticated" in answer.text
        assert "Wang" not in answer.text
    answer = airflow_api.post("/collections/account", data={"q": "A0"}, follow_redirects=False)
    assert answer.status_code == 401 and "Wang" not in answer.text
    # a forged token is refused by Airflow's validation (403 "Invalid JWT token")
    answer = airflow_api.get(PAGES[0], headers={"Authorization": "Bearer not.a.jwt"})
    assert answer.status_code == 403


def test_pages_answer_200_with_a_bearer_token_or_the_ui_cookie(airflow_api, ui, token, book):
    for path in PAGES[:-1]:
        assert ui(path).status_code == 200, path
    assert ui("/collections/", follow_redirects=False).headers["location"] == "today"
    # the Airflow UI's own session: the JWT in the _token cookie (frames in the Airflow UI use it)
    airflow_api.cookies.set("_token", token)
    try:
        assert airflow_api.get(PAGES[0]).status_code == 200
    finally:
        airflow_api.cookies.clear()


# -- Chinese and English (ui/i18n.py, the catalogs under ui/locale/) --------------------------------------
def _po(language: str):
    from babel.messages.pofile import read_po

    from debt_collections.ui import i18n

    with i18n.catalog_path(language).open("rb") as po:
        return read_po(po, locale=i18n.CATALOGS[language])


def test_every_message_of_the_pages_has_a_zh_cn_translation_keeping_its_placeholders_and_markup():
    from debt_collections.ui import i18n

    used = {m.id: m for m in i18n.extract() if m.id}
    assert len(used) > 200 and "Today: %(day)s" in used and "Approve the chosen" in used  # the templates were read
    catalog = _po("zh-CN")
    missing = [msgid for msgid in used if not (catalog.get(msgid) and catalog.get(msgid).string)]
    assert missing == [], "untranslated (run `make messages`, then translate them in messages.po)"
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert fuzzy == [], "fuzzy translations are left out of the pages: review them"
    for msgid in used:
        text = catalog.get(msgid).string
        assert sorted(re.findall(r"%\(\w+\)s|%%", text)) == sorted(re.findall(r"%\(\w+\)s|%%", msgid)), msgid
        assert sorted(re.findall(r"</?\w+", text)) == sorted(re.findall(r"</?\w+", msgid)), msgid
        assert re.search(r"[\u4e00-\u9fff]", text), f"not Chinese: {msgid!r} -> {text!r}"


def test_the_language_is_the_cookies_else_the_browsers_else_english_and_money_and_days_stay_as_they_are(
    airflow_api, ui, token, book
):
    from debt_collections.ui.i18n import translations

    zh = translations("zh-CN").gettext
    auth = {"Authorization": f"Bearer {token}"}
    english = airflow_api.get("/collections/today", headers=auth)
    chinese = airflow_api.get("/collections/today", headers={**auth, "Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"})
    assert english.status_code == chinese.status_code == 200
    assert '<html lang="en"' in english.text and "<h1>Today: 2026-11-28</h1>" in english.text
    assert '<html lang="zh-CN"' in chinese.text
    assert f"<h1>{zh('Today: %(day)s') % {'day': '2026-11-28'}}</h1>" in chinese.text
    assert f">{zh('Approvals')}</a>" in chinese.text and ">Approvals</a>" not in chinese.text
    # money keeps its thousands separators and currency, days stay ISO, in either language
    for answer in (english, chinese):
        overdue = tables(answer.text)[("portfolio-P1", "figures")][1][-1]
        assert re.fullmatch(r"\d{1,3}(,\d{3})*\.\d{2} CNY", overdue), overdue
    assert tables(english.text)[("portfolio-P1", "figures")][1] == tables(chinese.text)[("portfolio-P1", "figures")][1]
    # the browser asks for English first, or for a language we do not have: English
    for header in ("en-US,en;q=0.9,zh-CN;q=0.8", "fr-FR,fr;q=0.9", "zh;q=0, en;q=0.1"):
        assert (
            '<html lang="en"' in airflow_api.get("/collections/today", headers={**auth, "Accept-Language": header}).text
        )

    # the switch on every page: a cookie for the choice, back to the page it was pressed on
    try:
        answer = airflow_api.get(
            "/collections/language",
            params={"lang": "zh-CN", "next": "trends?portfolio=P1"},
            headers={**auth, "Accept-Language": "en"},
            follow_redirects=False,
        )
        assert answer.status_code == 303 and answer.headers["location"] == "trends?portfolio=P1"
        assert answer.cookies["collections_lang"] == "zh-CN"
        page = airflow_api.get("/collections/trends?portfolio=P1", headers={**auth, "Accept-Language": "en"})
        assert '<html lang="zh-CN"' in page.text and zh("Open and on-hold cases by bucket") in page.text
        for path in PAGES[:-1]:  # every page renders in Chinese, with its switch leading back to it
            answer = airflow_api.get(path, headers=auth)
            assert answer.status_code == 200 and '<html lang="zh-CN"' in answer.text, path
            back = path.removeprefix("/collections/").replace("&", "&amp;")
            assert f'name="next" value="{back}"' in answer.text, path
        # an error page too: Airflow's 404 of the app, in the chosen language
        assert (
            zh("no simulation %(id)s is kept") % {"id": 999}
            in airflow_api.get("/collections/simulation?id=999", headers=auth).text
        )
        for unsafe in ("https://elsewhere.example/x", "//elsewhere.example", "/dags", "today\r\nSet-Cookie: x=1"):
            answer = airflow_api.get(
                "/collections/language", params={"lang": "en", "next": unsafe}, headers=auth, follow_redirects=False
            )
            assert answer.status_code == 303 and answer.headers["location"] == "today", unsafe
        assert '<html lang="en"' in airflow_api.get("/collections/today", headers=auth).text
        answer = airflow_api.get("/collections/language", params={"lang": "fr"}, headers=auth, follow_redirects=False)
        assert answer.status_code == 303 and "collections_lang" not in answer.cookies
        assert (
            airflow_api.get("/collections/language", params={"lang": "en"}, follow_redirects=False).status_code == 401
        )
    finally:
        airflow_api.cookies.clear()


def test_today_figures_equal_sql_counts(ui, book):
    answer = ui("/collections/today")  # defaults to the latest reported day
    assert answer.status_code == 200
    assert answer.headers["cache-control"] == "no-store"
    html = answer.text
    assert "Today: 2026-11-28" in html
    found = tables(html)
    portfolios = book.query(
        "select portfolio, run_id from collections.portfolio_day where as_of = %(d)s order by portfolio",
        {"d": DAYS[-1]},
    )
    assert sorted(p["portfolio"] for p in portfolios) == ["P1", "P2", "P3"]
    assert sorted(s for s, c in found if c == "figures") == [f"portfolio-{p['portfolio']}" for p in portfolios]
    for p in portfolios:
        name, day = p["portfolio"], {"p": p["portfolio"], "d": DAYS[-1]}
        section = f"portfolio-{name}"
        figures = found[(section, "figures")]
        shown = dict(zip(figures[0], figures[1], strict=True))
        counted = book.query(
            "select count(*) as cases, count(*) filter (where status = 'cured') as cured, "
            "count(*) filter (where status = 'closed') as closed, count(*) filter (where status = 'on_hold') as hold, "
            "coalesce(sum(overdue_amount) filter (where status in ('open', 'on_hold')), 0) as overdue "
            "from collections.case_day where portfolio = %(p)s and as_of = %(d)s",
            day,
        )[0]
        assert int(shown["cases"]) == counted["cases"] > 0
        assert int(shown["cured"]) == counted["cured"]
        assert int(shown["closed"]) == counted["closed"]
        assert int(shown["on hold"]) == counted["hold"]
        assert shown["overdue amount"] == f"{counted['overdue']:,} CNY"
        rows = book.query(
            "select coalesce(stage, '-') || ' ' || bucket as k, count(*) as n from collections.case_day "
            "where portfolio = %(p)s and as_of = %(d)s and status in ('open', 'on_hold') group by 1",
            day,
        )
        assert as_counts(found.get((section, "stage-bucket"), [])) == {r["k"]: r["n"] for r in rows}
        rows = book.query(
            "select a.kind || ' ' || a.status as k, count(*) as n from collections.action a "
            "join collections.account acc using (account_id) "
            "where acc.portfolio = %(p)s and a.as_of = %(d)s group by 1",
            day,
        )
        assert as_counts(found.get((section, "kind-status"), [])) == {r["k"]: r["n"] for r in rows}
        rows = book.query(
            "select a.reason, count(*) as n from collections.action a "
            "join collections.account acc using (account_id) where acc.portfolio = %(p)s "
            "and a.as_of = %(d)s and a.status = 'suppressed' group by 1",
            day,
        )
        suppressed = found.get((section, "suppressed"), [])
        assert {r[0]: int(r[1]) for r in suppressed[1:]} == {r["reason"]: r["n"] for r in rows}
        rows = book.query(
            "select split_part(reason, ':', 1) as reason, count(*) as n from collections.quarantine "
            "where portfolio = %(p)s and feed_date = %(d)s group by 1",
            day,
        )
        quarantined = found.get((section, "quarantined"), [])
        assert {r[0]: int(r[1]) for r in quarantined[1:]} == {r["reason"]: r["n"] for r in rows}
        assert (p["run_id"] or "(in-process run)") in html
    # the book has one of each, so the comparisons above are not between empty tables
    assert found[("portfolio-P1", "suppressed")][1:] == [["cease_contact", "1"]]
    assert len(found[("portfolio-P1", "quarantined")]) == 2
    # every quarantined row of the day is on the page: the portfolios' and those of no portfolio
    unscoped = {r[0]: int(r[1]) for r in found[("unscoped", "quarantined")][1:]}
    assert unscoped == {"unknown account_id": 1, "row has 8 fields, header has 7": 1}
    shown = sum(unscoped.values()) + sum(
        int(r[1]) for (section, c), t in found.items() if c == "quarantined" and section != "unscoped" for r in t[1:]
    )
    total = book.query("select count(*) as n from collections.quarantine where feed_date = %(d)s", {"d": DAYS[-1]})
    assert shown == total[0]["n"] == 3


def test_every_count_on_today_opens_the_accounts_behind_it(ui, book):
    import html as htmllib

    page = ui("/collections/today").text
    links = [(htmllib.unescape(href), int(n)) for href, n in re.findall(r'<a href="(list\?[^"]+)">(\d+)</a>', page)]
    kinds = {"case_status=active": 0, "kind=": 0, "status=suppressed": 0, "all cases": 0}
    assert len(links) > 20
    for href, n in links:
        for k in kinds:
            kinds[k] += k in href or (k == "all cases" and href.count("&") == 1)
        listed = ui("/collections/" + href).text
        assert re.search(rf"<h1>{n} (cases|actions) of ", listed), (href, n)
        accounts = re.findall(r'<td><a href="account\?id=([^"]+)">', listed)
        assert len(accounts) == min(n, 50), href
    assert all(kinds.values()), kinds  # stage x bucket, kind x status, suppressions and the day's figures
    # one list read against SQL: P1's calls planned on the day, most overdue first
    want = book.query(
        "select a.account_id from collections.action_log a join collections.case_state c using (portfolio, as_of, "
        "case_id) where a.portfolio = 'P1' and a.as_of = '2026-11-28' and a.kind = 'call' and a.status = 'planned' "
        "order by c.dpd desc, a.account_id"
    )
    listed = ui(
        "/collections/list", params={"as_of": "2026-11-28", "portfolio": "P1", "kind": "call", "status": "planned"}
    ).text
    assert re.findall(r'<td><a href="account\?id=([^"]+)">', listed) == [r["account_id"] for r in want] != []


def test_a_list_is_sorted_paged_and_exported_as_csv(ui, db, tmp_path):
    s = Scenario(db, tmp_path)
    for i in range(70):  # dpd 1 .. 70 on 11-25, overdue growing with it
        s.account(f"L{i:03d}", first_due=f"{d('2026-11-24').subtract(days=i)}", months=3, amount=f"{100 + i}.00")
    s.run("2026-11-25")
    base = {"as_of": "2026-11-25", "portfolio": "P1"}
    first = ui("/collections/list", params=base).text
    ids = re.findall(r'<td><a href="account\?id=([^"]+)">', first)
    assert "<h1>70 cases of P1 on 2026-11-25" in first and len(ids) == 50
    assert ids[:3] == ["L069", "L068", "L067"]  # most overdue first
    second = ui("/collections/list", params={**base, "page": 2}).text
    assert re.findall(r'<td><a href="account\?id=([^"]+)">', second) == [f"L{i:03d}" for i in range(19, -1, -1)]
    ascending = ui("/collections/list", params={**base, "sort": "overdue_amount", "order": "asc"}).text
    assert re.findall(r'<td><a href="account\?id=([^"]+)">', ascending)[:2] == ["L000", "L001"]
    calls = ui("/collections/list", params={**base, "kind": "call", "status": "planned"}).text
    want = s.query("select count(*) as n from collections.action where kind = 'call' and status = 'planned'")
    assert f"<h1>{want[0]['n']} actions of P1" in calls
    answer = ui("/collections/list", params={**base, "format": "csv", "stage": "call"})
    assert answer.headers["content-type"].startswith("text/csv")
    assert "attachment" in answer.headers["content-disposition"]
    lines = answer.text.splitlines()
    on_call = s.query("select count(*) as n from collections.case_day where stage = 'call'")[0]["n"]
    assert lines[0].startswith("account_id,case_id,stage,dpd,bucket,overdue_amount") and len(lines) == on_call + 1
    assert ui("/collections/list", params={**base, "sort": "full_name"}).status_code == 422


def test_today_for_an_earlier_day_and_a_day_without_figures(ui, book):
    answer = ui("/collections/today", params={"as_of": DAYS[0]})
    assert "Today: 2026-11-25" in answer.text
    cases = book.query("select count(*) as n from collections.case_day where as_of = %(d)s", {"d": DAYS[0]})[0]["n"]
    shown = sum(int(t[1][0]) for (_, c), t in tables(answer.text).items() if c == "figures")
    assert shown == cases
    answer = ui("/collections/today", params={"as_of": "2026-01-01"})
    assert answer.status_code == 200 and "No figures for 2026-01-01" in answer.text
    assert ui("/collections/today", params={"as_of": "not-a-date"}).status_code == 422


def test_today_before_any_run(ui):
    answer = ui("/collections/today")
    assert answer.status_code == 200 and "no reported day yet" in answer.text


def test_a_list_of_matches_masks_names_and_phones(ui, book):
    html = ui.post("/collections/account", data={"q": "SHARED"}).text  # a customer id with two accounts
    assert "2 accounts match" in html
    assert "W*** F***" in html and "****1234" in html and "+86139" not in html
    assert "Wang" not in html and "13912341234" not in html
    assert 'href="account?id=B1"' in html and 'href="account?id=B2"' in html
    html = ui.post("/collections/account", data={"q": "+8613912341234"}).text  # the same customer by phone
    assert "2 accounts match" in html and "Wang" not in html
    answer = ui.post("/collections/account", data={"q": "nobody"})
    assert answer.status_code == 200 and "No account matches" in answer.text
    assert ui("/collections/account", params={"id": "nobody"}).status_code == 404
    for bad in ({"q": "B1\x00"}, {"q": "\x1b[31m"}):  # a 4xx naming the field, no traceback
        answer = ui.post("/collections/account", data=bad)
        assert answer.status_code == 422 and "String should match pattern" in answer.text, answer.text
    answer = ui("/collections/account", params={"id": "B\x001"})
    assert answer.status_code == 422 and "String should match pattern" in answer.text, answer.text
    # as people type it: a local number, the last 4 digits, an id in lower case or its start, a part of a name
    for term in ("13912341234", "139 1234 1234", "1234", "shared", "sha", "b1", "Wang", "fang"):
        html = ui.post("/collections/account", data={"q": term}).text
        assert 'href="account?id=B1"' in html or "<h1>Account B1" in html, term
    assert "<h1>" in ui.post("/collections/account", data={"q": "r1"}).text
    html = ui.post("/collections/account", data={"q": "x1"}).text  # one match: its page
    assert "<h1>Account X1" in html or 'href="account?id=X1"' in html
    # LIKE's wildcards in a term are literal: "%" and "_" match nothing here
    for term in ("%%", "__", "A%"):
        assert "No account matches" in ui.post("/collections/account", data={"q": term}).text, term
    # a search term in a URL would land in the access log: refused, and nothing looked up
    answer = ui("/collections/account", params={"q": "+8613912341234"})
    assert answer.status_code == 400 and "POST" in answer.text and "Wang" not in answer.text


def test_an_outcome_recorded_on_the_account_page_is_an_event_in_effect_from_the_next_run(
    ui, token, airflow_api, airflow_home, db, tmp_path, monkeypatch
):
    from debt_collections.ui.rerun import form_token

    s = Scenario(db, tmp_path)
    s.account("K1", first_due="2026-11-10", months=3)  # called every day from dpd 8
    s.account("F1", first_due="2026-12-10", months=3)  # not overdue: no case
    s.run("2026-11-20")
    assert s.action("K1", "2026-11-20", "call")["status"] == "planned"
    monkeypatch.setenv("COLLECTIONS_NOW", "2026-11-21T10:00:00+08:00")  # the agent's call, the morning after

    def record(account: str, headers: dict | None = None, **fields: str):
        data = {"account_id": account, "csrf": form_token(token), **fields}
        if headers is None:
            return ui.post("/collections/outcome", data=data)
        return airflow_api.post("/collections/outcome", data=data, headers=headers)

    def events() -> list[dict]:
        return s.query("select kind, amount, until::text, reason, source, recorded_by, at from collections.event")

    for account, fields, message in [
        ("K1", {"kind": "promise_to_pay", "amount": "abc", "until": "2026-11-30"}, "amount 'abc' is not money"),
        (
            "K1",
            {"kind": "promise_to_pay", "amount": "1.005", "until": "2026-11-30"},
            "amount '1.005' has more than two",
        ),
        (
            "K1",
            {"kind": "promise_to_pay", "amount": "300.00", "until": "2026-11-20"},
            "until 2026-11-20 is in the past",
        ),
        ("K1", {"kind": "promise_to_pay", "amount": "300.00"}, "needs an until date"),
        ("K1", {"kind": "contact_outcome", "reason": "angry"}, "reason 'angry' is not one of right_party"),
        ("F1", {"kind": "payment_plan", "amount": "500.00", "until": "2027-05-01"}, "needs an open case"),
        ("K1", {"kind": "promise_to_pay", "amount": "300.00", "until": "2026-11-30", "csrf": "x"}, "did not come"),
    ]:
        answer = record(account, **fields)
        text = answer.text.replace("&#39;", "'")
        assert answer.status_code == 400 and "Not recorded: " in text and message in text, (
            message,
            answer.text[-600:],
        )
    assert events() == [], "a refused outcome stored nothing"

    # a viewer may read the account but not record on it: Airflow's auth manager says who may
    passwords = json.loads((airflow_home / "simple_auth_manager_passwords.json.generated").read_text())
    viewer = airflow_api.post("/auth/token", json={"username": "viewer", "password": passwords["viewer"]})
    headers = {"Authorization": f"Bearer {viewer.json()['access_token']}"}
    assert airflow_api.get("/collections/account?id=K1", headers=headers).status_code == 200
    refused = record("K1", headers, kind="promise_to_pay", amount="300.00", until="2026-11-30")
    assert refused.status_code == 403 and events() == []

    answer = record("K1", kind="promise_to_pay", amount="1,300.00", until="2026-11-30")
    assert answer.status_code == 200 and "Recorded: promise to pay of 1,300.00 until 2026-11-30" in answer.text
    assert record("K1", kind="delinquency_reason", reason="illness").status_code == 200
    stored = {e["kind"]: e for e in events()}
    assert (
        stored["promise_to_pay"]["amount"] == Decimal("1300.00") and stored["promise_to_pay"]["until"] == "2026-11-30"
    )
    assert stored["delinquency_reason"]["reason"] == "illness"
    assert {(e["source"], e["recorded_by"]) for e in stored.values()} == {("ui", "admin")}
    assert all(e["at"].isoformat() == "2026-11-21T02:00:00+00:00" for e in stored.values())
    assert "(from ui: admin)" in ui("/collections/account", params={"id": "K1"}).text

    s.run("2026-11-21")  # the next run: the promise suppresses the call, the reason is on the case
    call = s.action("K1", "2026-11-21", "call")
    assert (call["status"], call["reason"]) == ("suppressed", "promise_to_pay")
    case = s.query(
        "select delinquency_reason from collections.case_state where account_id = 'K1' and as_of = '2026-11-21'"
    )
    assert case == [{"delinquency_reason": "illness"}]


def test_search_results_are_paged_and_the_term_never_reaches_a_url(ui, db, tmp_path):
    s = Scenario(db, tmp_path)
    for i in range(60):
        s.account(f"PG{i:03d}", first_due="2026-12-01", months=1)
    s.run("2026-11-25")
    first = ui.post("/collections/account", data={"q": "pg0"}).text
    assert "60 accounts match" in first and ": 1 to 50." in first
    assert first.count('href="account?id=PG') == 50 and 'href="account?id=PG049"' in first
    assert 'name="page" value="2"' in first and "?q=" not in first
    second = ui.post("/collections/account", data={"q": "pg0", "page": "2"}).text
    assert ": 51 to 60." in second and second.count('href="account?id=PG') == 10
    assert 'href="account?id=PG059"' in second and 'name="page" value="1"' in second
    assert 'name="page" value="3"' not in second


def test_the_account_page_shows_the_whole_customer_and_the_timeline(ui, book):
    html = ui("/collections/account", params={"id": "B1"}).text
    assert "Wang Fang" in html and "+8613912341234" in html
    html = ui.post("/collections/account", data={"q": "CU-A0"}).text  # one match: straight to the account
    assert "Account A0" in html
    timeline = tables(html)[("", "timeline")][1:]
    cases = book.query("select * from collections.case_day where account_id = 'A0' order by as_of desc")
    actions = book.query("select * from collections.action where account_id = 'A0'")
    assert [r[0] for r in timeline if r[1] == "case"] == [str(c["as_of"]) for c in cases]
    assert len([r for r in timeline if r[1] == "action"]) == len(actions) > 0
    assert [r for r in timeline if r[1] == "repayment"] == [
        ["2026-11-27", "repayment", "p2 bank at 2026-11-27 10:00+08:00, 500.00"]
    ]
    # what the customer told the dialer, on the event and on every later case day
    assert re.search(r"<td>event</td>\s*<td>e4 delinquency_reason illness \(from dialer\) at 2026-11-26 11:00", html)
    late = [r[0] for r in timeline if r[1] == "case" and "late because: illness" in r[2]]
    assert late == [str(c["as_of"]) for c in cases if str(c["as_of"]) >= "2026-11-26"]
    html = ui("/collections/account", params={"id": "C1"}).text
    assert re.search(r"<td>event</td>\s*<td>e3 cease_contact at 2026-11-26 09:00\+08:00", html)
    assert "call suppressed (cease_contact)" in html


def test_the_account_page_says_why_the_case_is_on_its_rung_and_what_comes_next(ui, book, capsys):
    """#13 item 3: the latest day's rungs against the case (as `collections explain --account` says them), the
    risk grade, the rules and promises in force, the day's actions with what stopped them, and the next steps."""
    from debt_collections import cli

    def why(account: str) -> tuple[str, dict]:
        html = ui("/collections/account", params={"id": account}).text
        (case,) = book.query(
            "select * from collections.case_state where account_id = %(a)s order by as_of desc limit 1", {"a": account}
        )
        section = html[html.index('<section id="why">') : html.index("</section>", html.index('<section id="why">'))]
        return section, case

    section, case = why("A0")
    assert f"on {case['as_of']}</h2>" in section and f"<td>{case['dpd']} / {case['bucket']}</td>" in section
    assert case["stage"] == "legal" and f"<td>{case['stage']} since " in section
    # the rungs as the command line explains them for the same account and day
    code = cli.main(
        [
            "explain",
            str(book.policy.source_path),
            "--account",
            "A0",
            "--db",
            book.conninfo,
            "--as-of",
            str(case["as_of"]),
        ]
    )
    assert code == 0
    rungs = [
        line.strip()
        for line in capsys.readouterr().out.splitlines()
        if line.startswith("  ") and line.strip().split()[0] in ("notice", "call", "visit", "legal", "stage:")
    ]
    assert len(rungs) == 5 and all(f"<li><code>{escape(r)}</code></li>" in section for r in rungs), rungs
    assert "legal via legal_portal: once per case on legal, not repeated" in section
    # C1: cease contact in force, and the day's call stopped by it
    section, case = why("C1")
    assert "<li>cease_contact: notices, calls and visits suppressed</li>" in section
    assert re.search(r"<li>call suppressed \(stopped or deferred by cease_contact\) via dialer</li>", section)
    # A2: the promise to pay in force
    section, case = why("A2")
    assert "<li>latest promise to pay: " in section
    # B1: what comes next on its repeating rung (counted from the day its stage began), then the next rung up
    section, case = why("B1")
    rung = book.policy.rung(case["stage"])
    every, above = rung.repeat_every_days, book.policy.ladder[book.policy.stages.index(case["stage"]) + 1]
    assert every, case["stage"]
    due = case["stage_since"] + dt.timedelta(days=((case["as_of"] - case["stage_since"]).days // every + 1) * every)
    assert f"<li>{rung.action} via {rung.channel} on {due} (every {every} day(s) on {case['stage']})</li>" in section
    reach = case["as_of"] + dt.timedelta(days=above.min_dpd - case["dpd"])
    assert f"<li>{above.stage} from {reach} if still unpaid (dpd &gt;= {above.min_dpd}" in section


def test_the_account_page_shows_what_a_rerun_superseded_and_which_runs(ui, book):
    assert "None: every day shown above was evaluated once." in ui("/collections/account", params={"id": "A0"}).text
    before = book.query(
        "select case_id, status, stage, dpd, run_id from collections.case_state "
        "where account_id = 'A0' and as_of = %(d)s",
        {"d": DAYS[-1]},
    )[0]
    book.extra_lines.clear()  # the last drop's bad rows
    book.run(DAYS[-1], portfolios=["P1"])  # the last day again, without its bad rows
    after = book.query(
        "select run_id from collections.case_state where account_id = 'A0' and as_of = %(d)s", {"d": DAYS[-1]}
    )[0]["run_id"]
    rows = tables(ui("/collections/account", params={"id": "A0"}).text)[("", "superseded")]
    cases = [r for r in rows[1:] if r[1] == "case"]
    assert len(cases) == 1 and after != before["run_id"]
    day, _, said, written_by, at, by = cases[0]
    assert (day, written_by, by) == (DAYS[-1], before["run_id"], after)
    assert said == f"{before['case_id']}: {before['status']}, stage {before['stage']}, dpd {before['dpd']}"
    assert at.endswith("+08:00")  # in the customer's timezone


def test_page_text_is_escaped(ui, book):
    html = ui("/collections/account", params={"id": "X1"}).text
    assert "&lt;b&gt;Li&lt;/b&gt; Lei" in html and "<b>Li</b>" not in html
    html = ui.post("/collections/account", data={"q": "<script>x</script>"}).text
    assert "<script>x" not in html and "&lt;script&gt;x" in html


def test_server_side_lookup_reads_collections_db_from_the_metadata_database(ui, book, db, monkeypatch):
    # The API server marks itself a server context (airflow.api_fastapi.main), where
    # airflow.sdk.Connection.get searches the metadata database after the environment.
    from airflow.models.connection import Connection  # the ORM row: the test writes it to the metadata DB
    from airflow.utils.session import create_session

    from debt_collections.ui.database import collections_conninfo

    parts = psycopg.conninfo.conninfo_to_dict(db)
    monkeypatch.delenv("AIRFLOW_CONN_COLLECTIONS_DB")
    monkeypatch.setenv("_AIRFLOW_PROCESS_CONTEXT", "server")
    with create_session() as session:
        session.add(
            Connection(
                conn_id="collections_db",
                conn_type="postgres",
                host=parts.get("host"),
                port=int(parts.get("port", 5432)),
                login=parts.get("user"),
                schema=parts["dbname"],
            )
        )
    try:
        assert psycopg.conninfo.conninfo_to_dict(collections_conninfo())["dbname"] == parts["dbname"]
        assert "Today: 2026-11-28" in ui("/collections/today").text
    finally:
        with create_session() as session:
            session.query(Connection).filter(Connection.conn_id == "collections_db").delete()


def test_trends_figures_equal_sql_counts(ui, book):
    for portfolio in (None, "P1"):
        answer = ui("/collections/trends" + (f"?portfolio={portfolio}" if portfolio else ""))
        assert answer.status_code == 200
        html = answer.text
        # ten charts drawn in the browser by the one script the app serves, from figures that are the table's
        assert re.findall(r'src="([^"]*)"', html) == ["static/charts.js"]
        found = tables(html)
        charts = chart_figures(html)
        # a chart with no point on any day says so instead (no monthly rate on a book of four days)
        empty = re.findall(
            r'<section class="chart" id="chart-([a-z-]+)">\s*<h2[^>]*>[^<]*</h2>\s*<p class="muted no-figure">', html
        )
        assert len(charts) == html.count('class="chart-canvas"') == 10 - len(empty)
        assert {"monthly-rolls", "monthly-flows"} <= set(empty) and not set(empty) & set(charts), empty
        for key, figures in charts.items():
            table = found[(f"chart-{key}", "trend")]
            assert [row[0] for row in table[1:]] == figures["days"]
            assert table[0][1:] == [s["name"] for s in figures["series"]]
            for n, s in enumerate(figures["series"], start=1):
                assert [row[n] for row in table[1:]] == s["figures"], (key, s["name"])
        where = "and t.portfolio = %(p)s" if portfolio else ""
        # every evaluated day with a day before it: 11-26 .. 11-28
        days = [
            r["as_of"].isoformat()
            for r in book.query(
                "select distinct as_of from collections.case_day where as_of > %(first)s order by 1", {"first": DAYS[0]}
            )
        ]
        assert [row[0] for row in found[("chart-buckets", "trend")][1:]] == days
        buckets = found[("chart-buckets", "trend")]
        header = buckets[0]
        for row in buckets[1:]:
            expected = {
                r["bucket"]: r["n"]
                for r in book.query(
                    "select bucket, count(*) as n from collections.case_day t where as_of = %(d)s "
                    f"and status in ('open', 'on_hold') {where} group by bucket",
                    {"d": row[0], "p": portfolio},
                )
            }
            shown = {b: int(v) for b, v in zip(header[1:], row[1:], strict=True) if int(v)}
            assert shown == expected, (row[0], portfolio)
        cure = {row[0]: row[1] for row in found[("chart-cure", "trend")][1:]}
        for day in days:
            r = book.query(
                "select count(*) filter (where t.status = 'cured') as cured, count(*) as n "
                "from collections.case_day t join collections.case_day p "
                "  on p.case_id = t.case_id and p.as_of = t.as_of - 1 "
                f"where t.as_of = %(d)s and p.status in ('open', 'on_hold') {where}",
                {"d": day, "p": portfolio},
            )[0]
            assert cure[day] == f"{r['cured']}/{r['n']}", (day, portfolio)
        # the roll rate, from each bucket: yesterday's open cases there, and those one bucket up today
        rolls = found[("chart-rolls", "trend")]
        order = "array['M0', 'M1', 'M2', 'M3', 'M4', 'M5', 'M6', 'M7+']"
        rolled_somewhere = 0
        for row in rolls[1:]:
            expected = {
                f"{r['b']}→{r['next']}": f"{r['rolled']}/{r['n']}"
                for r in book.query(
                    f"select p.bucket as b, ({order})[array_position({order}, p.bucket) + 1] as next, "
                    f"count(*) filter (where array_position({order}, t.bucket) = array_position({order}, p.bucket) + 1)"
                    " as rolled, count(*) as n from collections.case_day t join collections.case_day p "
                    "  on p.case_id = t.case_id and p.as_of = t.as_of - 1 "
                    f"where t.as_of = %(d)s and p.status in ('open', 'on_hold') and p.bucket <> 'M7+' {where} "
                    "group by 1, 2",
                    {"d": row[0], "p": portfolio},
                )
            }
            shown = {name: v for name, v in zip(rolls[0][1:], row[1:], strict=True) if v != "0/0"}
            assert shown == expected, (row[0], portfolio)
            rolled_somewhere += sum(int(v.split("/")[0]) for v in expected.values())
        assert portfolio or rolled_somewhere > 0  # the book has cases that roll, so the comparison can fail
        actions = found[("chart-actions", "trend")]
        for row in actions[1:]:
            expected = {
                r["status"]: r["n"]
                for r in book.query(
                    "select status, count(*) as n from collections.action_log t where as_of = %(d)s and not dry_run "
                    f"{where} group by status",
                    {"d": row[0], "p": portfolio},
                )
            }
            assert {st: int(v) for st, v in zip(actions[0][1:], row[1:], strict=True) if int(v)} == expected


# -- reruns from the view: ordinary DAG runs started through Airflow's REST API, as the user ------------
def test_trends_show_the_money_recovered_each_day_as_sql_gives_it(ui, book):
    # a contact handed to a partner the day before a payment: that payment is credited to it
    sent = book.query(
        "update collections.action_log set status = 'sent', sent_at = '2026-11-26T12:00:00+08:00' "
        "where account_id = 'A0' and kind = 'legal' returning 1"
    )
    assert sent
    for portfolio in (None, "P1", "P3"):
        html = ui("/collections/trends" + (f"?portfolio={portfolio}" if portfolio else "")).text
        rows = tables(html)[("chart-recovered", "trend")]
        assert rows[0] == ["day", "after a contact", "self-cure"]
        for day, after, alone in rows[1:]:
            sums = book.query(
                "select coalesce(sum(amount) filter (where action_kind is not null), 0) as after, "
                "coalesce(sum(amount) filter (where action_kind is null), 0) as alone from collections.recovery "
                "where paid_on = %(d)s and (%(p)s::text is null or portfolio = %(p)s)",
                {"d": day, "p": portfolio},
            )[0]
            assert (after, alone) == (f"{sums['after']:,.2f}", f"{sums['alone']:,.2f}"), (day, portfolio)
        if portfolio != "P3":
            assert ["2026-11-27", "500.00", "0.00"] in rows  # A0's payment, after the legal referral


def test_trends_show_why_customers_are_late_as_sql_counts_it(ui, book):
    rows = tables(ui("/collections/trends").text)[("chart-reasons", "trend")]
    header = rows[0]
    assert header[0] == "day" and "illness" in header and "unknown" in header  # A0 told the dialer it fell ill
    for row in rows[1:]:
        want = book.query(
            "select coalesce(delinquency_reason, 'unknown') as k, count(*) as n from collections.case_day c "
            "join collections.case_state s using (as_of, case_id) where c.as_of = %(d)s "
            "and c.status in ('open', 'on_hold') group by 1",
            {"d": row[0]},
        )
        counts = {r["k"]: str(r["n"]) for r in want}
        assert dict(zip(header[1:], row[1:], strict=True)) == {k: counts.get(k, "0") for k in header[1:]}, row[0]
    assert rows[-1][header.index("illness")] == "1"


def test_trends_show_the_monthly_roll_rate_next_to_the_daily_one(ui, db, tmp_path):
    s = Scenario(db, tmp_path)
    s.account("R1", first_due="2026-10-20", months=3)  # M1 on 10-27, M2 on 11-27: rolled
    s.account("R2", first_due="2026-10-01", months=3)  # M1 on 10-27 (dpd 26), M2 on 11-27 (dpd 57): rolled
    s.account("C3", first_due="2026-10-20", months=3)  # M1 on 10-27, paid up by 11-27: cured, not rolled
    for day in ("2026-10-27", "2026-11-26"):
        s.run(day)
    s.pay("p1", "C3", "2026-11-27T10:00:00+08:00", "3000.00")
    s.run("2026-11-27")
    rows = tables(ui("/collections/trends").text)[("chart-monthly-rolls", "trend")]
    by_day = {r[0]: dict(zip(rows[0][1:], r[1:], strict=True)) for r in rows[1:]}
    assert by_day["2026-11-27"]["M1→M2"] == "2/3"  # a month before: three in M1; today two in M2
    assert by_day["2026-11-26"]["M1→M2"] == "0/0"  # 10-26 was not evaluated: no month-before to roll from


def _flow_book(db, tmp_path) -> Scenario:
    """Cases with known overdue amounts (one installment each month) on 10-27, 11-26 and 11-27."""
    s = Scenario(db, tmp_path)
    s.account("R1", first_due="2026-10-20", months=3, amount="1000.00")  # M1 on 10-27 (1,000.00 overdue), M2 after
    s.account("R2", first_due="2026-10-01", months=3, amount="2500.00")  # M1 on 10-27 (2,500.00), M2 after (dpd 56, 57)
    s.account("C3", first_due="2026-10-20", months=3, amount="4000.00")  # M1 on 10-27 (4,000.00), M2, cured on 11-27
    s.account("D1", first_due="2026-10-27", months=3, amount="1200.00")  # M1 on 11-26 (dpd 30, 1,200.00), M2 on 11-27
    s.account("D2", first_due="2026-11-10", months=3, amount="800.00")  # M1 on 11-26 (dpd 16, 800.00) and 11-27
    s.account("D3", first_due="2026-11-05", months=3, amount="500.00")  # M1 on 11-26 (dpd 21, 500.00), cured 11-27
    for day in ("2026-10-27", "2026-11-26"):
        s.run(day)
    s.pay("p1", "C3", "2026-11-27T10:00:00+08:00", "8000.00")
    s.pay("p2", "D3", "2026-11-27T10:00:00+08:00", "500.00")
    s.run("2026-11-27")
    return s


def test_trends_show_the_daily_and_monthly_flow_rates_weighted_by_the_overdue_amount_before(ui, db, tmp_path):
    s = _flow_book(db, tmp_path)
    html = ui("/collections/trends").text
    found, charts = tables(html), chart_figures(html)

    def shown(key: str, day: str, name: str) -> tuple[str, Decimal | None]:
        """The table's figure of a day and the rate the chart draws for it."""
        rows = found[(f"chart-{key}", "trend")]
        figure = dict(zip(rows[0][1:], next(r for r in rows if r[0] == day)[1:], strict=True))[name]
        series = next(x for x in charts[key]["series"] if x["name"] == name)
        value = series["values"][charts[key]["days"].index(day)]
        return figure, None if value is None else Decimal(value)

    # by hand: of 11-26's M1 cases (D1 1,200.00, D2 800.00, D3 500.00) D1 is in M2 on 11-27: one case in three,
    # 1,200.00 of 2,500.00 overdue; none of the M2 cases (R1 2,000.00, R2 5,000.00, C3 8,000.00) is in M3
    assert shown("rolls", "2026-11-27", "M1→M2") == ("1/3", Decimal(1) / Decimal(3))
    assert shown("flows", "2026-11-27", "M1→M2") == ("1,200.00/2,500.00", Decimal("0.48"))
    assert shown("flows", "2026-11-27", "M2→M3") == ("0.00/15,000.00", Decimal(0))
    assert shown("flows", "2026-11-27", "M3→M4") == ("0.00/0.00", None)  # no case in M3: no rate
    # a month before 11-27, M1 held R1 1,000.00, R2 2,500.00 and C3 4,000.00; R1 and R2 are in M2 on 11-27,
    # C3 cured: two cases in three, but 3,500.00 of 7,500.00
    assert shown("monthly-rolls", "2026-11-27", "M1→M2") == ("2/3", Decimal(2) / Decimal(3))
    assert shown("monthly-flows", "2026-11-27", "M1→M2") == ("3,500.00/7,500.00", Decimal(7) / Decimal(15))
    assert shown("monthly-flows", "2026-11-26", "M1→M2") == ("0.00/0.00", None)  # 10-26 was not evaluated

    # 11-27's, from SQL over the output views: the amounts overdue the day and the month before, by bucket
    order = "array['M0', 'M1', 'M2', 'M3', 'M4', 'M5', 'M6', 'M7+']"
    for key, before in (("flows", "11-26"), ("monthly-flows", "10-27")):
        buckets = s.query(
            f"select p.bucket, ({order})[array_position({order}, p.bucket) + 1] as next,"
            " sum(p.overdue_amount) as amount, coalesce(sum(p.overdue_amount) filter"
            f" (where array_position({order}, t.bucket) = array_position({order}, p.bucket) + 1), 0) as rolled "
            "from collections.case_day p left join collections.case_day t on t.case_id = p.case_id"
            " and t.as_of = '2026-11-27' where p.as_of = %(before)s and p.status in ('open', 'on_hold') group by 1, 2",
            {"before": f"2026-{before}"},
        )
        assert {r["bucket"] for r in buckets} == ({"M1", "M2"} if key == "flows" else {"M1"})
        for r in buckets:
            figure, rate = shown(key, "2026-11-27", f"{r['bucket']}→{r['next']}")
            assert figure == f"{r['rolled']:,.2f}/{r['amount']:,.2f}" and rate == r["rolled"] / r["amount"], (key, r)


def test_variants_side_by_side_equal_sql_over_the_views(ui, db, tmp_path):
    from debt_collections.policy.loader import load_policy
    from tests.test_variants import spec_variant, with_variants

    halves = 'variants:\n  - {name: champion, share: "0.5"}\n  - name: gentle\n    share: "0.5"\n' + (
        "    ladder: {call: {enter: {dpd_at_least: 15}}}\n"
    )
    policy = load_policy(with_variants(tmp_path, halves))
    s = Scenario(db, tmp_path, policy=policy)
    accounts = [s.account(f"V{i:02d}", first_due="2026-11-14", months=3) for i in range(24)]
    variant = {a: spec_variant("collections_standard", a, [("champion", "0.5"), ("gentle", "0.5")]) for a in accounts}
    assert set(variant.values()) == {"champion", "gentle"}
    s.run("2026-11-25")  # dpd 11: the champion calls, the gentle sends notices
    sent = s.query(
        "update collections.action_log set status = 'sent', sent_at = '2026-11-26T10:00:00+08:00' "
        "where as_of = '2026-11-25' and status = 'planned' and account_id = any(%(a)s) returning account_id",
        {"a": accounts[:12]},
    )
    assert sent
    for i, a in enumerate(accounts[:16]):  # some pay in full (cured), after a contact or not
        s.pay(f"p{i}", a, "2026-11-26T15:00:00+08:00", "1000.00" if i % 2 else "400.00")
    s.run("2026-11-26")
    s.run("2026-11-27")

    rows = tables(ui("/collections/variants").text)[("", "")]
    header, body = rows[0], {r[0]: dict(zip(rows[0], r, strict=True)) for r in rows[1:]}
    assert header[:2] == ["variant", "cases"] and set(body) == {"champion", "gentle"}
    cost = {k: v for k, v in policy.cost.items()}
    for name, shown in body.items():
        want = s.query(
            "select count(distinct case_id) as cases, "
            "count(distinct case_id) filter (where status = 'cured') as cured "
            "from collections.case_day where variant = %(v)s",
            {"v": name},
        )[0]
        contacts = s.query(
            "select count(*) as n from collections.action where variant = %(v)s and status in ('sent', 'delivered')",
            {"v": name},
        )[0]["n"]
        recovered = s.query(
            "select coalesce(sum(amount), 0) as m from collections.recovery where variant = %(v)s", {"v": name}
        )[0]["m"]
        kinds = s.query(
            "select kind, count(*) as n from collections.action where variant = %(v)s "
            "and status in ('planned', 'sent', 'delivered', 'deferred') group by kind",
            {"v": name},
        )
        priced = sum((cost[k["kind"]] * k["n"] for k in kinds), Decimal("0"))
        assert shown["cases"] == str(want["cases"]) and shown["cured"] == str(want["cured"]), name
        assert shown["contacts"] == str(contacts), name
        assert shown["recovered"] == f"{recovered:,}", name
        assert Decimal(shown["cost"].replace(",", "")) == priced, name
        assert shown["recovered per case"] == f"{(recovered / want['cases']).quantize(Decimal('0.01')):,}", name
        if recovered:
            assert Decimal(shown["cost per 1.00 recovered"]) == (priced / recovered).quantize(Decimal("0.0001"))
    assert all(int(body[v]["contacts"]) > 0 for v in body)


def test_recoveries_by_stage_contact_bucket_and_variant_equal_sql_and_promises_decided(ui, db, tmp_path):
    s = Scenario(db, tmp_path)
    for account in ("K1", "B1", "C1", "S1"):
        s.account(account, first_due="2026-11-10", months=3)
    s.account("Q1", portfolio="P2", first_due="2026-11-10", months=3)
    s.event("e1", "K1", "2026-11-20T09:00:00+08:00", "promise_to_pay", "300.00", "2026-11-23")
    s.event("e2", "B1", "2026-11-20T09:00:00+08:00", "promise_to_pay", "200.00", "2026-11-21")
    s.run("2026-11-20")
    sent = s.query(
        "update collections.action_log set status = 'sent', sent_at = '2026-11-21T09:00:00+08:00' "
        "where as_of = '2026-11-20' and account_id in ('C1', 'Q1') and status = 'planned' returning 1"
    )
    assert len(sent) == 2
    s.pay("c1", "C1", "2026-11-21T12:00:00+08:00", "500.00")  # 3 hours after its call: credited to it
    s.pay("s1", "S1", "2026-11-21T12:00:00+08:00", "50.00")  # no contact taken: a self-cure
    s.pay("q1", "Q1", "2026-11-21T12:00:00+08:00", "70.00")  # another portfolio
    s.run("2026-11-21")
    s.pay("k1", "K1", "2026-11-22T10:00:00+08:00", "300.00")  # the promise kept; B1's broken (until 11-21)
    s.run("2026-11-22")
    s.run("2026-11-23")

    html = ui("/collections/recoveries?portfolio=P1").text
    found = tables(html)
    total = s.query("select sum(amount) as m from collections.recovery where portfolio = 'P1'")[0]["m"]
    assert total == Decimal("850.00")
    assert re.search(rf'data-figure="recovered">{total:,}<', html)
    assert re.search(r'data-figure="unattributed">41\.18<', html)  # 350 of 850 came in by itself
    # the promises decided over the days: K1's kept (300.00 promised), B1's broken (200.00 promised)
    assert re.search(r'data-figure="kept">1 \(300\.00 promised\)<', html)
    assert re.search(r'data-figure="broken">1 \(200\.00 promised\)<', html)
    keys = {"stage": "coalesce(stage, '-')", "action": "coalesce(action_kind || ' ' || action_channel, 'self-cure')"}
    keys |= {"bucket": "bucket", "variant": "variant"}
    for name, key in keys.items():
        want = s.query(
            f"select {key} as k, count(*) as n, sum(amount) as m from collections.recovery "  # noqa: S608 - the test's own column list
            "where portfolio = 'P1' group by 1"
        )
        shown = {r[0]: (r[1], r[2]) for r in found[(f"recovered-{name}", "recovered")][1:]}
        assert shown == {r["k"]: (str(r["n"]), f"{r['m']:,}") for r in want}, name
    by_contact = {r[0]: (r[1], r[2]) for r in found[("recovered-action", "recovered")][1:]}
    assert by_contact["call dialer"] == ("1", "500.00") and by_contact["self-cure"] == ("2", "350.00")


def _simulated(s: Scenario) -> dict:
    """The gentle candidate (calls from dpd 15, a notice every 5 days) simulated over four stored days of a book
    at dpd 6 to 9 on the first day, kept as a run of collections_simulate would keep it."""
    from debt_collections.simulate import run_and_record

    for i, first_due in enumerate(("2026-11-14", "2026-11-15", "2026-11-16", "2026-11-17")):
        s.account(f"G{i}", first_due=first_due, months=3)
    s.run_days("2026-11-19", "2026-11-23")
    params = {"candidate": "candidates/gentle.yaml", "from": "2026-11-20", "to": "2026-11-23", "portfolios": ["P1"]}
    return run_and_record(s.conninfo, "manual__2026-12-06T10:00:00+00:00", params)


def test_a_kept_simulation_shows_both_sides_day_by_day_as_the_history_and_the_json_give_them(ui, db, tmp_path):
    s = Scenario(db, tmp_path)
    summary = _simulated(s)
    assert summary["baseline_matches_history"] is True
    listed = ui("/collections/simulations").text
    sid = summary["simulation_id"]
    assert f'data-simulation="{sid}"' in listed and "candidates/gentle.yaml" in listed
    assert "2026-11-20 to 2026-11-23" in listed and "P1" in listed

    page = ui(f"/collections/simulation?id={sid}")
    assert page.status_code == 200
    cells = {
        (m["day"], m["col"]): (int(m["b"]), int(m["c"]))
        for m in re.finditer(r'data-day="(?P<day>[^"]+)" data-col="(?P<col>[^"]+)">(?P<b>\d+) / (?P<c>\d+)<', page.text)
    }
    # the baseline side is the history: every day's actions by kind and status as the views hold them
    for row in s.query(
        "select as_of::text as d, kind || ':' || status as k, count(*) as n from collections.action "
        "where as_of between '2026-11-20' and '2026-11-23' group by 1, 2"
    ):
        assert cells[(row["d"], row["k"])][0] == row["n"], row
    result = s.query("select result from collections.simulation where id = %(i)s", {"i": sid})[0]["result"]
    for day in result["candidate"]["days"]:  # the candidate side is the JSON's, cell by cell
        for key, n in day["actions_by_kind_status"].items():
            assert cells[(day["as_of"], key)][1] == n
    # calls from dpd 15: on these days (dpd 6 to 13) the candidate calls nobody, the baseline does
    calls = {k: v for k, v in cells.items() if k[0] == "total" and k[1].startswith("call:")}
    assert calls and all(c == 0 for _, c in calls.values()) and any(b > 0 for b, _ in calls.values())
    assert ui("/collections/simulation?id=999999").status_code == 404


def test_a_simulation_form_that_is_wrong_is_refused_naming_what(ui, token, db):
    from debt_collections.ui.rerun import form_token

    good = {"candidate": "candidates/gentle.yaml", "from_day": "2026-11-20", "to_day": "2026-11-23"}
    for data, message in [
        ({**good, "candidate": "../../etc/passwd"}, "is not a policy file of this deployment"),
        ({**good, "from_day": "2026-11-24"}, "from 2026-11-24 is after to 2026-11-23"),
        ({**good, "portfolios": ["P 1"]}, "is not a portfolio name"),
        ({**good, "csrf": "forged"}, "did not come from this page"),
    ]:
        answer = ui.post("/collections/simulate", data={"csrf": form_token(token), **data})
        assert answer.status_code == 400 and message in answer.text, answer.text


@pytest.fixture(scope="module")
def live_api(airflow_api, airflow_home):
    """The same Airflow API app served on a loopback port: the view calls Airflow's REST API over HTTP."""
    import os
    import socket
    import subprocess
    import sys
    import threading
    import time

    import uvicorn

    airflow = str(Path(sys.executable).with_name("airflow"))
    subprocess.run([airflow, "dags", "reserialize"], check=True, capture_output=True, env=os.environ.copy())
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(airflow_api.app, host="127.0.0.1", port=port, lifespan="off", log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def _task_instances(run_id: str) -> list[tuple]:
    from airflow.models import TaskInstance
    from airflow.utils.session import create_session

    with create_session() as session:
        return [
            (t.task_id, t.map_index, t.state, t.rendered_map_index)
            for t in session.query(TaskInstance).filter_by(run_id=run_id)
        ]


def _runs(dag_id: str) -> list[dict]:
    from airflow.models import DagRun
    from airflow.utils.session import create_session

    with create_session() as session:
        return [
            {
                "run_id": r.run_id,
                "conf": r.conf,
                "run_type": str(r.run_type),
                "note": r.note,
                "user": getattr(r, "triggering_user_name", None),
                "logical_date": r.logical_date.isoformat() if r.logical_date else None,
            }
            for r in session.query(DagRun).filter(DagRun.dag_id == dag_id)
        ]


def _backfills(dag_id: str) -> list[dict]:
    """The backfills of ``dag_id`` in Airflow's metadata database, with the logical dates of the DAG's
    backfill runs (the tests make one backfill a DAG)."""
    from airflow.models.backfill import Backfill
    from airflow.utils.session import create_session

    dates = sorted(r["logical_date"] for r in _runs(dag_id) if r["run_type"].lower().endswith("backfill"))
    with create_session() as session:
        return [
            {
                "conf": b.dag_run_conf,
                "max_active_runs": b.max_active_runs,
                "reprocess": str(getattr(b.reprocess_behavior, "value", b.reprocess_behavior)),
                "user": getattr(b, "triggering_user_name", None),
                "logical_dates": dates,
            }
            for b in session.query(Backfill).filter(Backfill.dag_id == dag_id)
        ]


def test_a_rerun_from_the_view_is_an_airflow_dag_run_with_the_chosen_portfolios(
    live_api, ui, token, book, db, monkeypatch
):
    import requests

    from debt_collections.ui.rerun import form_token

    monkeypatch.setenv("AIRFLOW__API__BASE_URL", live_api)  # the view sends the user's token only there

    # the view runs on the test's database: its portfolios P1..P3 were reported by collections_standard
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    page = session.get(f"{live_api}/collections/today", timeout=30)
    assert page.status_code == 200 and f'name="csrf" value="{form_token(token)}"' in page.text
    before = {r["run_id"] for r in _runs("collections_standard")}

    answer = session.post(
        f"{live_api}/collections/rerun",
        timeout=60,
        data={"as_of": DAYS[-1], "portfolios": ["P1", "P3"], "csrf": form_token(token)},
    )
    assert answer.status_code == 200, answer.text
    (new,) = [r for r in _runs("collections_standard") if r["run_id"] not in before]
    assert new["conf"] == {"as_of": DAYS[-1], "portfolios": ["P1", "P3"], "dry_run": False}
    assert new["run_type"].lower().endswith("manual") and "from the collections view" in (new["note"] or "")
    assert new["user"] == "admin"  # started as the user who pressed the button
    assert new["run_id"] in answer.text and "P1, P3" in answer.text

    # refused: no portfolio, a portfolio without a run that day, a form from elsewhere, no login
    for data, message in [
        ({"as_of": DAYS[-1]}, "choose at least one portfolio"),
        ({"as_of": DAYS[-1], "portfolios": ["P9"]}, "portfolio P9 has no run on"),
        ({"as_of": DAYS[-1], "portfolios": ["P1"], "csrf": "forged"}, "did not come from this page"),
    ]:
        answer = session.post(f"{live_api}/collections/rerun", timeout=30, data={"csrf": form_token(token), **data})
        assert answer.status_code == 400 and message in answer.text, answer.text
    assert (
        requests.post(
            f"{live_api}/collections/rerun", timeout=30, data={"as_of": DAYS[-1], "portfolios": ["P1"], "csrf": "x"}
        ).status_code
        == 401
    )
    assert len(_runs("collections_standard")) == len(before) + 1

    # a portfolio whose DAG Airflow does not know: the others still start, and the page says which did not
    book.query(
        "update collections.portfolio_day set dag_id = 'collections_gone' where portfolio = 'P3' returning portfolio"
    )
    answer = session.post(
        f"{live_api}/collections/rerun",
        timeout=60,
        data={"as_of": DAYS[-1], "portfolios": ["P2", "P3"], "csrf": form_token(token)},
    )
    assert answer.status_code == 200
    assert "Not started for P3 (collections_gone): Airflow refused it (404)" in answer.text
    (started,) = [r for r in _runs("collections_standard") if r["conf"].get("portfolios") == ["P2"]]
    assert started["run_id"] in answer.text

    # a simulation from the view: an ordinary run of collections_simulate with the form's conf, as the user
    # (the session's metadata database may hold runs of it from other tests: the new one is the one not seen)
    seen = {r["run_id"] for r in _runs("collections_simulate")}
    answer = session.post(
        f"{live_api}/collections/simulate",
        timeout=60,
        data={
            "candidate": "candidates/gentle.yaml",
            "from_day": DAYS[0],
            "to_day": DAYS[-1],
            "portfolios": ["P2", "P1"],
            "csrf": form_token(token),
        },
    )
    assert answer.status_code == 200, answer.text
    (sim,) = [r for r in _runs("collections_simulate") if r["run_id"] not in seen]
    assert sim["conf"] == {
        "candidate": "candidates/gentle.yaml",
        "baseline": None,
        "from": DAYS[0],
        "to": DAYS[-1],
        "portfolios": ["P1", "P2"],
    }
    assert sim["user"] == "admin" and sim["run_id"] in answer.text

    # a rerun from a day to the latest, in date order: first what it will do, then Airflow's backfill
    assert book.query(
        "update collections.action_log set status = 'sent', sent_at = now() where idempotency_key = "
        "(select min(idempotency_key) from collections.action_log where portfolio = 'P1' and as_of = %(d)s "
        "and status = 'planned') returning 1",
        {"d": DAYS[2]},
    ), "a partner took one action of the range"
    form = {"from_day": DAYS[1], "portfolios": ["P1", "P2"], "csrf": form_token(token)}
    answer = session.post(f"{live_api}/collections/rerun-range", timeout=60, data=form)
    assert answer.status_code == 200, answer.text
    assert 'data-runs="collections_standard">3<' in answer.text  # 11-26, 11-27 and 11-28, one run each
    handed = book.query(
        "select count(*) as n from collections.action_log where portfolio in ('P1', 'P2') "
        "and as_of between %(a)s and %(b)s and status in ('sent', 'delivered', 'failed')",
        {"a": DAYS[1], "b": DAYS[-1]},
    )[0]["n"]
    assert "already handed to a partner" in answer.text and handed == 1
    assert re.search(rf"<tr><td>{DAYS[2]}</td><td class=\"n\">1</td>", answer.text)
    assert not _backfills("collections_standard"), "nothing starts before the confirmation"
    answer = session.post(f"{live_api}/collections/rerun-range", timeout=60, data={**form, "confirm": "true"})
    assert answer.status_code == 200 and "Started in Airflow: backfill" in answer.text, answer.text
    (made,) = _backfills("collections_standard")
    assert made["conf"] == {"portfolios": ["P1", "P2"], "dry_run": False} and made["max_active_runs"] == 1
    assert made["reprocess"] == "completed" and made["user"] == "admin"
    assert made["logical_dates"] == [
        "2026-11-26T18:00:00+00:00",
        "2026-11-27T18:00:00+00:00",
        "2026-11-28T18:00:00+00:00",
    ]
    for data, message in [
        ({**form, "from_day": "2026-12-30"}, "is after the latest evaluated day 2026-11-28"),
        ({**form, "portfolios": ["P7"]}, "portfolio 'P7' has never been reported"),
        ({**form, "csrf": "forged"}, "did not come from this page"),
    ]:
        answer = session.post(f"{live_api}/collections/rerun-range", timeout=30, data=data)
        assert answer.status_code == 400 and message in answer.text.replace("&#39;", "'"), answer.text


# -- a real browser: headless Chromium logs in to Airflow and reads the pages through the navigation -----
SCREENSHOTS = Path(__file__).resolve().parents[1] / "artifacts" / "screenshots"


@pytest.fixture
def browser():
    import shutil

    if not (shutil.which("chromium") and shutil.which("chromedriver")):
        pytest.skip("Chromium is not installed: .ci/run installs Debian's chromium and chromium-driver")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,1000"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def test_the_approvals_page_lists_what_waits_and_an_approver_approves_or_rejects_with_a_reason(
    ui, token, airflow_api, airflow_home, db, tmp_path
):
    """SPEC 11 in the Collections view: the waiting referrals per portfolio, approve some, reject some with a
    reason (refused without one), a viewer refused; each decision in the audit trail with the user's name."""
    from debt_collections.ui.rerun import form_token

    s = Scenario(db, tmp_path)
    for account in ("A1", "A2", "A3"):  # dpd 92 and 6000.00 overdue on 2026-09-01: legal
        s.account(account, first_due="2026-06-01", months=6, amount="2000.00")
    s.run("2026-09-01")
    keys = {
        r["account_id"]: r["idempotency_key"]
        for r in s.query("select account_id, idempotency_key from collections.action_log where kind = 'legal'")
    }
    page = ui("/collections/approvals")
    assert page.status_code == 200
    assert [m for m in re.findall(r'<tr data-account="([^"]+)"', page.text)] == ["A1", "A2", "A3"]
    assert "3 waiting" in page.text and "18,000.00 overdue" in page.text

    def decide(headers: dict | None = None, **fields):
        data = {"portfolio": "P1", "csrf": form_token(token), **fields}
        if headers is None:
            return ui.post("/collections/approvals", data=data)
        return airflow_api.post("/collections/approvals", data=data, headers=headers)

    def statuses() -> dict[str, tuple]:
        rows = s.query("select account_id, status, reason, approved_by from collections.action where kind = 'legal'")
        return {r["account_id"]: (r["status"], r["reason"], r["approved_by"]) for r in rows}

    passwords = json.loads((airflow_home / "simple_auth_manager_passwords.json.generated").read_text())
    viewer = airflow_api.post("/auth/token", json={"username": "viewer", "password": passwords["viewer"]})
    headers = {"Authorization": f"Bearer {viewer.json()['access_token']}"}
    assert "deciding needs the approver permission" in airflow_api.get("/collections/approvals", headers=headers).text
    assert decide(headers, keys=[keys["A1"]], decision="approve").status_code == 403

    no_reason = decide(keys=[keys["A2"]], decision="reject", reason=" ")
    assert no_reason.status_code == 400 and "without a reason" in no_reason.text
    assert decide(keys=[], decision="approve").status_code == 400
    assert set(statuses().values()) == {("awaiting_approval", None, None)}

    approved = decide(keys=[keys["A1"]], decision="approve")
    assert approved.status_code == 200 and "Approved 1 action(s) of P1" in approved.text
    rejected = decide(keys=[keys["A2"], keys["A1"]], decision="reject", reason="disputed in branch")
    assert rejected.status_code == 200 and "Rejected 1 action(s) of P1: disputed in branch" in rejected.text
    assert "1 no longer waited (decided meanwhile, or the case closed)" in rejected.text
    assert statuses() == {
        "A1": ("planned", None, "admin"),
        "A2": ("rejected", "disputed in branch", None),
        "A3": ("awaiting_approval", None, None),
    }
    trail = s.query("select account_id, decision, decided_by, via from collections.approval_decision order by 1")
    assert [tuple(t.values()) for t in trail] == [
        ("A1", "approved", "admin", "collections_view"),
        ("A2", "rejected", "admin", "collections_view"),
    ]
    page = ui("/collections/approvals").text
    assert re.findall(r'<tr data-account="([^"]+)"', page) == ["A3"]
    assert "disputed in branch" in page  # the audit trail, on the page
    # when each was decided, in the policy's timezone with the zone named (stored in UTC)
    stored = s.query("select decided_at from collections.approval_decision order by account_id")
    shown = [f"{r['decided_at'].astimezone(ZoneInfo('Asia/Shanghai')):%Y-%m-%d %H:%M} Asia/Shanghai" for r in stored]
    assert all(f"<td>{when}</td>" in page for when in shown), shown


def test_approving_one_of_two_actions_waiting_on_an_account_approves_that_one_only(ui, token, db, tmp_path):
    """Subprime: a repossession (dpd 61) left undecided, then the same account's legal referral (dpd 91), both
    waiting. The approver ticks the referral: the repossession keeps waiting (once, both went: the form's
    choice was read as the account)."""
    from debt_collections.ui.rerun import form_token
    from tests.scenario import REPO

    s = Scenario(db, tmp_path, policy=load_policy(REPO / "dags" / "policies" / "subprime.yaml"))
    s.account("S1", portfolio="SUB-CENTRAL", first_due="2026-06-01", months=6, amount="2000.00")
    s.run("2026-08-01")  # June and July unpaid: dpd 61, 4000.00 overdue
    s.run("2026-09-01")  # and August: dpd 92
    waiting = {
        r["kind"]: r["idempotency_key"]
        for r in s.query("select kind, idempotency_key from collections.action_log where status = 'awaiting_approval'")
    }
    assert set(waiting) == {"repossession", "legal"}, waiting
    page = ui("/collections/approvals?portfolio=SUB-CENTRAL")
    assert page.status_code == 200 and page.text.count('<tr data-account="S1"') == 2
    data = {"portfolio": "SUB-CENTRAL", "csrf": form_token(token), "keys": [waiting["legal"]], "decision": "approve"}
    done = ui.post("/collections/approvals", data=data)
    assert done.status_code == 200 and "Approved 1 action(s) of SUB-CENTRAL" in done.text, done.text
    got = {r["kind"]: r["status"] for r in s.query("select kind, status from collections.action_log")}
    assert (got["legal"], got["repossession"]) == ("planned", "awaiting_approval"), got


def _log_in(browser, live_api: str, airflow_home: Path):
    """Log in to Airflow as admin on its own login page; a 60 s wait for what comes next."""
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    # a condition that reads an element of a page being replaced (the frame's document, after a click) tries again
    wait = WebDriverWait(browser, 60, ignored_exceptions=(StaleElementReferenceException,))
    passwords = json.loads((airflow_home / "simple_auth_manager_passwords.json.generated").read_text())
    browser.get(f"{live_api}/auth/login")
    wait.until(ec.presence_of_element_located((By.NAME, "username"))).send_keys("admin")
    browser.find_element(By.NAME, "password").send_keys(passwords["admin"])
    browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    return wait


def test_chromium_records_a_promise_on_the_account_page_and_the_next_days_call_is_suppressed(
    live_api, ui, db, tmp_path, browser, airflow_home, monkeypatch
):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import Select

    s = Scenario(db, tmp_path)
    s.account("K1", first_due="2026-11-10", months=3)  # called every day from dpd 8
    s.run("2026-11-20")
    monkeypatch.setenv("COLLECTIONS_NOW", "2026-11-21T10:00:00+08:00")  # the agent's call, the morning after
    wait = _log_in(browser, live_api, airflow_home)
    wait.until(ec.element_to_be_clickable((By.CSS_SELECTOR, 'a[href$="plugin/collections"]'))).click()
    wait.until(ec.frame_to_be_available_and_switch_to_it((By.TAG_NAME, "iframe")))
    search = wait.until(ec.presence_of_element_located((By.NAME, "q")))
    search.send_keys("k1")  # lower case: found all the same
    search.submit()
    wait.until(ec.presence_of_element_located((By.ID, "record"))).click()

    def record(kind: str, amount: str, until: str) -> str:
        form = browser.find_element(By.CSS_SELECTOR, "#record form")
        Select(form.find_element(By.NAME, "kind")).select_by_value(kind)
        form.find_element(By.NAME, "amount").send_keys(amount)
        until_field = form.find_element(By.NAME, "until")
        browser.execute_script("arguments[0].value = arguments[1]", until_field, until)  # the date picker's value
        form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        # the form posts and the page is replaced: wait for the old one to go, or the old page's
        # message (the first try's error) is read as the answer to the second, or goes stale as it is read
        wait.until(ec.staleness_of(form))
        return wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "p.ok, p.error"))).text

    assert record("promise_to_pay", "many", "2026-11-30") == (
        "Not recorded: amount 'many' is not money: write it like 1250.00"
    )
    assert s.query("select count(*) as n from collections.event")[0]["n"] == 0
    assert browser.find_element(By.ID, "record").get_attribute("open") is not None  # the form stays open to fix
    said = record("promise_to_pay", "300.00", "2026-11-30")
    browser.switch_to.default_content()
    browser.save_screenshot(str(SCREENSHOTS / "collections-record-promise.png"))
    assert said == "Recorded: promise to pay of 300.00 until 2026-11-30. In effect from the next run."
    s.run("2026-11-21")
    call = s.action("K1", "2026-11-21", "call")
    assert (call["status"], call["reason"]) == ("suppressed", "promise_to_pay")


def test_chromium_logs_in_and_reads_each_page_through_the_navigation(live_api, ui, book, browser, airflow_home):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec

    wait = _log_in(browser, live_api, airflow_home)
    # the Airflow UI, with the Collections entry in its navigation
    entry = wait.until(ec.element_to_be_clickable((By.CSS_SELECTOR, 'a[href$="plugin/collections"]')))
    browser.save_screenshot(str(SCREENSHOTS / "airflow-home.png"))
    entry.click()
    wait.until(ec.frame_to_be_available_and_switch_to_it((By.TAG_NAME, "iframe")))
    cases = wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, '#portfolio-P1 td[data-figure="cases"]'))).text
    browser.switch_to.default_content()
    browser.save_screenshot(str(SCREENSHOTS / "collections-today.png"))
    expected = book.query(
        "select count(*) as n from collections.case_day where portfolio = 'P1' "
        "and as_of = %(d)s and status in ('open', 'on_hold')",
        {"d": DAYS[-1]},
    )[0]["n"]
    assert int(cases) == expected > 0

    # a count opens the accounts behind it: P1's cases on the legal rung
    wait.until(ec.frame_to_be_available_and_switch_to_it((By.TAG_NAME, "iframe")))
    legal = browser.find_element(
        By.XPATH, '//section[@id="portfolio-P1"]//table[@class="stage-bucket"]//tr[th="legal"]/td[last()]/a'
    )
    count = legal.text
    legal.click()
    listed = wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "#worklist tbody"))).find_elements(
        By.TAG_NAME, "tr"
    )
    browser.switch_to.default_content()
    browser.save_screenshot(str(SCREENSHOTS / "collections-list.png"))
    assert len(listed) == int(count) > 0
    # ... and an account of that list, with why its case is on the legal rung
    wait.until(ec.frame_to_be_available_and_switch_to_it((By.TAG_NAME, "iframe")))
    first = browser.find_element(By.CSS_SELECTOR, '#worklist tbody tr a[href^="account?id="]')
    account_id = first.text
    first.click()
    why = wait.until(ec.presence_of_element_located((By.ID, "why"))).text
    (case,) = book.query(
        "select dpd, stage from collections.case_day where account_id = %(a)s and as_of = %(d)s",
        {"a": account_id, "d": DAYS[-1]},
    )
    assert case["stage"] == "legal" and "stage: legal" in why and f"legal enters (dpd {case['dpd']} >= 91" in why
    browser.switch_to.default_content()
    browser.save_screenshot(str(SCREENSHOTS / "collections-account-why.png"))
    wait.until(ec.frame_to_be_available_and_switch_to_it((By.TAG_NAME, "iframe")))
    browser.find_element(By.LINK_TEXT, "Today").click()
    browser.switch_to.default_content()

    # Trends and an account, by the links of the collections pages inside the Airflow UI
    wait.until(ec.frame_to_be_available_and_switch_to_it((By.TAG_NAME, "iframe")))
    browser.find_element(By.LINK_TEXT, "Trends").click()
    cured = wait.until(
        ec.presence_of_element_located((By.CSS_SELECTOR, f'table[data-chart="cure"] td[data-day="{DAYS[-1]}"]'))
    ).get_attribute("textContent")
    assert browser.find_elements(By.CSS_SELECTOR, "#chart-cure .chart-canvas svg path")  # drawn by ECharts
    browser.switch_to.default_content()
    browser.save_screenshot(str(SCREENSHOTS / "collections-trends.png"))
    r = book.query(
        "select count(*) filter (where t.status = 'cured') as cured, count(*) as n "
        "from collections.case_day t join collections.case_day p on p.case_id = t.case_id "
        "and p.as_of = t.as_of - 1 where t.as_of = %(d)s and p.status in ('open', 'on_hold')",
        {"d": DAYS[-1]},
    )[0]
    assert cured.strip() == f"{r['cured']}/{r['n']}"

    # the variants side by side: the book runs one, the champion, on every case of the last days
    wait.until(ec.frame_to_be_available_and_switch_to_it((By.TAG_NAME, "iframe")))
    browser.find_element(By.LINK_TEXT, "Variants").click()
    shown = wait.until(
        ec.presence_of_element_located((By.CSS_SELECTOR, 'tr[data-variant="champion"] td[data-col="cases"]'))
    ).text
    browser.switch_to.default_content()
    browser.save_screenshot(str(SCREENSHOTS / "collections-variants.png"))
    wait.until(ec.frame_to_be_available_and_switch_to_it((By.TAG_NAME, "iframe")))
    browser.find_element(By.LINK_TEXT, "Recoveries").click()
    recovered = wait.until(
        ec.presence_of_element_located((By.CSS_SELECTOR, 'td[data-figure="recovered"]'))
    ).get_attribute("textContent")
    browser.switch_to.default_content()
    browser.save_screenshot(str(SCREENSHOTS / "collections-recoveries.png"))
    paid = book.query(
        "select coalesce(sum(amount), 0) as m from collections.recovery "
        "where paid_on between (select min(as_of) from collections.case_day) and %(d)s",
        {"d": DAYS[-1]},
    )[0]["m"]
    assert recovered.strip() == f"{paid:,}"

    # a simulation kept for P1 (the gentle candidate over the book's last three days), side by side
    from debt_collections.simulate import run_and_record

    params = {"candidate": "candidates/gentle.yaml", "from": DAYS[1], "to": DAYS[-1], "portfolios": ["P1"]}
    sid = run_and_record(book.conninfo, "manual__browser", params)["simulation_id"]
    wait.until(ec.frame_to_be_available_and_switch_to_it((By.TAG_NAME, "iframe")))
    browser.find_element(By.LINK_TEXT, "Simulations").click()
    wait.until(ec.element_to_be_clickable((By.LINK_TEXT, str(sid)))).click()
    cell = wait.until(
        ec.presence_of_element_located((By.CSS_SELECTOR, f'td[data-day="{DAYS[-1]}"][data-col="call:planned"]'))
    ).text
    browser.switch_to.default_content()
    browser.save_screenshot(str(SCREENSHOTS / "collections-simulation.png"))
    calls = book.query(
        "select count(*) as n from collections.action_log where portfolio = 'P1' and as_of = %(d)s "
        "and kind = 'call' and status = 'planned'",
        {"d": DAYS[-1]},
    )[0]["n"]
    assert cell.split(" / ")[0] == str(calls) != "0"
    assert int(shown) == book.query("select count(distinct case_id) as n from collections.case_day")[0]["n"] > 0

    wait.until(ec.frame_to_be_available_and_switch_to_it((By.TAG_NAME, "iframe")))
    search = browser.find_element(By.NAME, "q")
    search.send_keys("A0")
    search.submit()
    wait.until(ec.staleness_of(search))  # the simulation's page has an h1 too: wait for it to go first
    wait.until(ec.presence_of_element_located((By.TAG_NAME, "h1")))
    text = browser.find_element(By.TAG_NAME, "body").text
    browser.switch_to.default_content()
    browser.save_screenshot(str(SCREENSHOTS / "collections-account.png"))
    days = book.query("select count(*) as n from collections.case_day where account_id = 'A0'")[0]["n"]
    assert "A0" in text and days > 0

    # search as people type it, in the box: a local phone, its last 4 digits, an id in lower case
    def find(term: str) -> str:
        wait.until(ec.frame_to_be_available_and_switch_to_it((By.TAG_NAME, "iframe")))
        box = browser.find_element(By.NAME, "q")
        box.clear()  # the page shows the last term in the box
        box.send_keys(term)
        box.submit()
        wait.until(ec.staleness_of(box))
        wait.until(ec.presence_of_element_located((By.TAG_NAME, "h1")))
        found = browser.find_element(By.TAG_NAME, "main").text
        browser.switch_to.default_content()
        return found

    shared = {
        r["account_id"] for r in book.query("select account_id from collections.account where customer_id = 'SHARED'")
    }
    for term in ("13912341234", "1234"):  # Wang Fang's +8613912341234: her two accounts
        found = find(term)
        assert "2 accounts match" in found and all(a in found for a in shared) and "Wang" not in found, (term, found)
    assert "Account X1" in find("x1")


def test_a_stage_tasks_extra_link_opens_the_view_of_its_day_portfolio_and_stage(airflow_api, ui, token, book, db):
    import os
    import subprocess
    import sys

    # a real run of the DAG for P1 on the book's last day, in the test's metadata database
    parts = psycopg.conninfo.conninfo_to_dict(db)
    env = os.environ.copy()
    env["AIRFLOW_CONN_COLLECTIONS_DB"] = json.dumps(
        {
            "conn_type": "postgres",
            "host": parts.get("host", "127.0.0.1"),
            "port": int(parts.get("port", 5432)),
            "login": parts.get("user", "postgres"),
            "schema": parts["dbname"],
        }
    )
    env["AIRFLOW_CONN_COLLECTIONS_FEED"] = json.dumps({"conn_type": "fs", "extra": {"path": str(book.root)}})
    airflow = str(Path(sys.executable).with_name("airflow"))
    # (the whole book: its last drop's one bad row stays under the reject ratio only over all portfolios)
    out = subprocess.run(
        [
            airflow,
            "dags",
            "test",
            "collections_standard",
            "2026-11-29T03:00:00+00:00",
            "-c",
            json.dumps({"as_of": DAYS[-1]}),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert dag_run_state(out) == "success", (out.stdout + out.stderr)[-4000:]
    (run_id,) = [
        r["run_id"]
        for r in _runs("collections_standard")
        if r["logical_date"] and r["logical_date"].startswith("2026-11-29T03:00:00")
    ]

    auth = {"Authorization": f"Bearer {token}"}
    links = airflow_api.get(
        f"/api/v2/dags/collections_standard/dagRuns/{run_id}/taskInstances/call/links",
        params={"map_index": 0},
        headers=auth,
    )
    assert links.status_code == 200, (links.text, _task_instances(run_id))
    link = links.json()["extra_links"]["Collections view"]
    assert link.startswith("/collections/task?") and "task_id=call&" in link and "map_index=0" in link
    landing = ui(link, follow_redirects=False)
    assert landing.status_code == 303
    assert landing.headers["location"].startswith(f"today?as_of={DAYS[-1]}&run_id=")
    (portfolio,) = [t[3] for t in _task_instances(run_id) if t[:2] == ("call", 0)]
    assert portfolio in ("P1", "P2", "P3")
    assert landing.headers["location"].endswith(f"&portfolio={portfolio}&stage=call")
    page = ui("/collections/" + landing.headers["location"]).text
    found = tables(page)
    assert [s for s, c in found if c == "figures"] == [f"portfolio-{portfolio}"]  # only the task's portfolio
    assert {row[0] for row in found[(f"portfolio-{portfolio}", "stage-bucket")][1:]} <= {"call", "total"}
    # a task outside the run's stages has no link
    prepare = airflow_api.get(
        f"/api/v2/dags/collections_standard/dagRuns/{run_id}/taskInstances/prepare/links", headers=auth
    )
    assert prepare.status_code == 200 and not prepare.json()["extra_links"].get("Collections view")


# -- capacity (#14 item 3) ------------------------------------------------------------------------
CAPACITY_LOAD_SQL = """
select a.kind, c.region,
       count(*) filter (where a.status <> 'suppressed') as due,
       count(*) filter (where a.status in ('planned', 'sent', 'delivered', 'failed')) as assigned,
       count(*) filter (where a.status = 'deferred' and a.reason = 'capacity') as deferred
from collections.action a join collections.account acc using (account_id)
join collections.customer c on c.customer_id = acc.customer_id
where a.as_of = %(d)s and a.kind = 'visit'
group by a.kind, c.region
"""


def test_the_capacity_page_shows_each_regions_load_against_its_capacity_as_sql_counts_it(ui, db, tmp_path, monkeypatch):
    path = with_roster(tmp_path, VISITS)
    monkeypatch.setattr("debt_collections.simulate.POLICIES", path.parent)
    s = Scenario(db, tmp_path / "drops", policy=load_policy(path))
    overdue(s, 10, dpd=45, amount="1000.00")
    overdue(s, 2, dpd=45, amount="1000.00", region="west", prefix="W")
    overdue(s, 1, dpd=120, amount="6000.00", prefix="L")  # a legal referral: the roster lists no law firm
    s.run(CAPACITY_DAY)
    answer = ui("/collections/capacity")
    assert answer.status_code == 200, answer.text
    header, *rows = tables(answer.text)[("capacity", "capacity")]
    assert header == ["kind", "region", "assignees", "capacity", "due", "assigned", "deferred (capacity)"]
    shown = {(r[0], r[1]): [int(x) for x in r[2:]] for r in rows}
    load = {(r["kind"], r["region"]): r for r in s.query(CAPACITY_LOAD_SQL, {"d": CAPACITY_DAY})}
    roster = {("visit", "east"): (2, 3), ("visit", "north"): (1, 5)}
    assert set(shown) == set(load) | set(roster)
    for key, (assignees, capacity, due, assigned, deferred) in shown.items():
        want = load.get(key, {"due": 0, "assigned": 0, "deferred": 0})
        assert (assignees, capacity) == roster.get(key, (0, 0)), key
        assert (due, assigned, deferred) == (want["due"], want["assigned"], want["deferred"]), key
    assert shown[("visit", "east")] == [2, 3, 10, 3, 7]
    assert shown[("visit", "west")] == [0, 0, 2, 0, 2]
    assert shown[("visit", "north")] == [1, 5, 0, 0, 0]


def test_the_capacity_page_without_a_roster_says_so(ui, db):
    answer = ui("/collections/capacity")
    assert answer.status_code == 200
    assert 'id="no-roster"' in answer.text


# every page of the Collections navigation, by its link (the same in either language) and an element it shows
NAV_PAGES = (
    ("today", "#portfolio-P1"),
    ("trends", "#chart-buckets .chart-canvas svg"),  # drawn by ECharts
    ("recoveries", "#recovered-total"),
    ("variants", "#variants"),
    ("capacity", "h1"),
    ("approvals", "#decisions"),
    ("simulations", "#simulate"),
)
# a colour as the browser paints it, as [r, g, b]: computed styles may read oklch(...), a canvas gives sRGB
RGB = (
    "const c = document.createElement('canvas').getContext('2d'); c.fillStyle = arguments[0];"
    "c.fillRect(0, 0, 1, 1); return Array.from(c.getImageData(0, 0, 1, 1).data).slice(0, 3);"
)


def _luminance(rgb: list[int]) -> float:
    r, g, b = (v / 255 for v in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _page_texts(language: str, page: str) -> tuple[str, str | None]:
    """What a page's navigation link and (for Today) its heading say in ``language``, from the catalog."""
    from debt_collections.ui.i18n import translations

    say = translations(language).gettext
    nav = say(page.capitalize())
    assert language == "en" or nav != page.capitalize(), f"{page} has no {language} translation"
    return nav, say("Today: %(day)s") % {"day": DAYS[-1]} if page == "today" else None


def test_chromium_shows_each_page_in_airflows_light_and_dark_mode_and_in_both_languages(
    live_api, ui, book, browser, airflow_home
):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec

    wait = _log_in(browser, live_api, airflow_home)
    wait.until(ec.element_to_be_clickable((By.CSS_SELECTOR, 'a[href$="plugin/collections"]'))).click()
    wait.until(ec.frame_to_be_available_and_switch_to_it((By.TAG_NAME, "iframe")))
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "#portfolio-P1")))
    browser.switch_to.default_content()
    collections = browser.current_url  # Airflow's own route of the navigation entry, the page in its frame

    def painted(css: str) -> list[int]:
        return browser.execute_script(RGB, css)

    def background() -> list[int]:  # Airflow paints its <html>; the Collections pages their <html> and <body>
        return painted(browser.execute_script("return getComputedStyle(document.documentElement).backgroundColor"))

    seen: dict[tuple[str, str], list[int]] = {}
    for mode in ("light", "dark"):
        # Airflow keeps its colour mode where its UI does (next-themes: localStorage "theme", class on <html>)
        browser.execute_script("window.localStorage.setItem('theme', arguments[0])", mode)
        browser.get(collections)
        wait.until(
            lambda b, m=mode: b.execute_script("return document.documentElement.classList.contains(arguments[0])", m)
        )
        airflow_bg = background()
        wait.until(ec.frame_to_be_available_and_switch_to_it((By.TAG_NAME, "iframe")))
        for language in ("en", "zh-CN"):
            switch = wait.until(ec.element_to_be_clickable((By.CSS_SELECTOR, f'#language button[value="{language}"]')))
            switch.click()
            wait.until(lambda b, lang=language: b.find_element(By.TAG_NAME, "html").get_attribute("lang") == lang)
            for page, shown in NAV_PAGES:
                link = wait.until(ec.element_to_be_clickable((By.CSS_SELECTOR, f'nav a[href="{page}"]')))
                link.click()
                wait.until(ec.staleness_of(link))
                wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, shown)))
                root = browser.find_element(By.TAG_NAME, "html")
                assert (root.get_attribute("lang"), mode in root.get_attribute("class").split()) == (language, True)
                heading = browser.find_element(By.TAG_NAME, "h1").text
                nav = browser.find_element(By.CSS_SELECTOR, f'nav a[href="{page}"]').text
                seen[(mode, language, page)] = background()
                browser.switch_to.default_content()
                browser.save_screenshot(str(SCREENSHOTS / f"collections-{page}-{mode}-{language}.png"))
                wait.until(ec.frame_to_be_available_and_switch_to_it((By.TAG_NAME, "iframe")))
                want_nav, want_heading = _page_texts(language, page)
                assert nav == want_nav and heading == (want_heading or heading), (language, page, nav, heading)
                # the page's background is Airflow's own in this mode
                assert seen[(mode, language, page)] == pytest.approx(airflow_bg, abs=2), (mode, page)
        if mode == "dark":
            # a change of mode in Airflow while the page is open is followed at once, without a reload
            browser.switch_to.default_content()
            browser.execute_script("document.documentElement.classList.replace('dark', 'light')")
            wait.until(ec.frame_to_be_available_and_switch_to_it((By.TAG_NAME, "iframe")))
            wait.until(lambda b: "light" in b.find_element(By.TAG_NAME, "html").get_attribute("class").split())
            assert _luminance(background()) > 0.9
        browser.switch_to.default_content()
    for key, rgb in seen.items():
        assert (_luminance(rgb) < 0.3) if key[0] == "dark" else (_luminance(rgb) > 0.9), (key, rgb)
    # back to English for whoever uses the browser next (the cookie is the browser's)
    browser.delete_cookie("collections_lang")


# each chart's key, its width, its section's, and the width of what ECharts drew
WIDTHS = (
    "return [...document.querySelectorAll('.chart-canvas')].map(c => [c.dataset.chartId,"
    " c.getBoundingClientRect().width, c.closest('section').getBoundingClientRect().width,"
    " c.querySelector('svg').getBoundingClientRect().width])"
)


def _percent(figure: str) -> str:
    """A rate's figure ("part/whole") as the chart's tooltip shows it: Intl's percent, at most one decimal."""
    part, whole = (Decimal(x.replace(",", "")) for x in figure.split("/"))
    if not whole:
        return f"– ({figure})"  # nothing to take a share of: no value that day
    shown = f"{(100 * part / whole).quantize(Decimal('0.1'), rounding=ROUND_HALF_UP)}".removesuffix(".0")
    return f"{shown}% ({figure})"


def test_chromium_draws_the_trends_charts_at_full_width_with_the_tables_figures_on_hover_in_both_modes(
    live_api, ui, db, tmp_path, browser, airflow_home
):
    """Trends through Airflow's navigation: every chart spans its section; the tooltip of a day lists each series'
    value as the table under the chart gives it (the table equals SQL and the hand-computed figures: the flow-rate
    test above, on the same book), in English and Chinese; the axis labels take the page's text colour, and follow
    Airflow's dark mode."""
    _flow_book(db, tmp_path)
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec

    wait = _log_in(browser, live_api, airflow_home)
    wait.until(ec.element_to_be_clickable((By.CSS_SELECTOR, 'a[href$="plugin/collections"]'))).click()
    wait.until(ec.frame_to_be_available_and_switch_to_it((By.TAG_NAME, "iframe")))
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "#portfolio-P1")))
    browser.switch_to.default_content()
    collections = browser.current_url

    def open_trends(language: str) -> None:
        wait.until(ec.frame_to_be_available_and_switch_to_it((By.TAG_NAME, "iframe")))
        wait.until(ec.element_to_be_clickable((By.CSS_SELECTOR, f'#language button[value="{language}"]'))).click()
        wait.until(lambda b: b.find_element(By.TAG_NAME, "html").get_attribute("lang") == language)
        link = wait.until(ec.element_to_be_clickable((By.CSS_SELECTOR, 'nav a[href="trends"]')))
        link.click()
        wait.until(ec.staleness_of(link))
        drawn = ".chart-canvas svg"
        wait.until(
            lambda b: (
                len(b.find_elements(By.CSS_SELECTOR, drawn)) == len(b.find_elements(By.CLASS_NAME, "chart-canvas"))
            )
        )

    def hover(key: str, day: str) -> dict[str, str]:
        """The tooltip's rows (series name -> value shown) with the mouse over ``day`` of a chart."""
        canvas = browser.find_element(By.CSS_SELECTOR, f'.chart-canvas[data-chart-id="{key}"]')
        browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", canvas)
        # the day's label under the x axis gives its x; the mouse goes there, halfway up the chart
        x = browser.execute_script(
            "const box = arguments[0].getBoundingClientRect();"
            "const label = [...arguments[0].querySelectorAll('svg text')].find(t => t.textContent === arguments[1]);"
            "const at = label.getBoundingClientRect(); return at.left + at.width / 2 - (box.left + box.width / 2);",
            canvas,
            day,
        )
        ActionChains(browser).move_to_element_with_offset(canvas, int(x), 0).perform()
        tip = f'.chart-canvas[data-chart-id="{key}"] .chart-tooltip'
        wait.until(lambda b: b.find_element(By.CSS_SELECTOR, f"{tip} .chart-tooltip-day").text == day)
        rows = browser.find_elements(By.CSS_SELECTOR, f"{tip} .chart-tooltip-row")
        shown = {r.text.rsplit("\n", 1)[0]: r.find_element(By.CLASS_NAME, "chart-tooltip-value").text for r in rows}
        ActionChains(browser).move_by_offset(0, -int(canvas.size["height"])).perform()  # off the chart
        return shown

    def table(key: str, day: str) -> dict[str, str]:
        """The table's figures of ``day`` under a chart, by its column's name."""
        header = [
            th.get_attribute("textContent")
            for th in browser.find_elements(By.CSS_SELECTOR, f'table[data-chart="{key}"] thead th')
        ]
        cells = browser.find_elements(By.CSS_SELECTOR, f'table[data-chart="{key}"] td[data-day="{day}"]')
        return dict(zip(header[1:], [c.get_attribute("textContent") for c in cells], strict=True))

    def painted(css: str) -> list[int]:
        return browser.execute_script(RGB, css)

    def label_colour(key: str) -> list[int]:
        label = browser.find_element(By.CSS_SELECTOR, f'.chart-canvas[data-chart-id="{key}"] svg text')
        return painted(label.get_attribute("fill"))

    def text_colour() -> list[int]:
        return painted(
            browser.execute_script("return getComputedStyle(document.documentElement).getPropertyValue('--fg')")
        )

    day = "2026-11-27"  # rolls 1/3 and 2/3, flows 1,200.00/2,500.00 and 3,500.00/7,500.00 from M1
    browser.execute_script("window.localStorage.setItem('theme', 'light')")
    browser.get(collections)
    for language in ("en", "zh-CN"):
        open_trends(language)
        # each chart as wide as its section, and wider than the 640 px of the charts drawn on the server before
        widths = browser.execute_script(WIDTHS)
        assert len(widths) + len(browser.find_elements(By.CLASS_NAME, "no-figure")) == 10
        assert {"rolls", "flows", "monthly-rolls", "monthly-flows"} <= {w[0] for w in widths}
        for key, canvas, section, drawn in widths:
            assert abs(canvas - section) <= 2 and abs(drawn - canvas) <= 2 and canvas > 640, (key, canvas, section)
        for key in ("rolls", "flows", "monthly-rolls", "monthly-flows"):
            want = {name: _percent(figure) for name, figure in table(key, day).items()}
            assert hover(key, day) == want, (language, key)
        assert _percent(table("monthly-rolls", day)["M1→M2"]) == "66.7% (2/3)"  # to a tenth of a percent
        # money with its currency code (Selenium reads the no-break space after it as a space)
        want = {name: f"CNY {figure}" for name, figure in table("recovered", day).items()}
        assert hover("recovered", day) == want and "CNY 8,500.00" in want.values(), language  # C3 and D3 paid
        light_text = label_colour("rolls")
        assert light_text == pytest.approx(text_colour(), abs=2) and _luminance(light_text) < 0.3
        browser.switch_to.default_content()
        browser.save_screenshot(str(SCREENSHOTS / f"collections-trends-tooltip-{language}.png"))

    browser.execute_script("window.localStorage.setItem('theme', 'dark')")
    browser.get(collections)
    wait.until(lambda b: b.execute_script("return document.documentElement.classList.contains('dark')"))
    open_trends("en")
    dark_text = text_colour()
    assert label_colour("rolls") == pytest.approx(dark_text, abs=2) and _luminance(dark_text) > 0.8
    assert "dark" in browser.find_element(By.TAG_NAME, "html").get_attribute("class").split()
    browser.switch_to.default_content()
    browser.save_screenshot(str(SCREENSHOTS / "collections-trends-dark.png"))
    # Airflow switched to light while the page is open: the charts are drawn again in the light text colour
    browser.execute_script("document.documentElement.classList.replace('dark', 'light')")
    wait.until(ec.frame_to_be_available_and_switch_to_it((By.TAG_NAME, "iframe")))
    wait.until(lambda b: _luminance(label_colour("rolls")) < 0.3)
    assert label_colour("rolls") == pytest.approx(light_text, abs=2)
    # a narrower window: each chart is drawn again at its section's new width
    wide = browser.execute_script(WIDTHS)[0][2]
    browser.switch_to.default_content()
    browser.set_window_size(1000, 1000)
    wait.until(ec.frame_to_be_available_and_switch_to_it((By.TAG_NAME, "iframe")))
    wait.until(lambda b: all(abs(d - s) <= 2 and s < wide - 300 for _, _, s, d in b.execute_script(WIDTHS)))
    browser.switch_to.default_content()
    browser.set_window_size(1400, 1000)
    browser.delete_cookie("collections_lang")


# -- accessibility (#13): axe-core in each page as Chromium shows it inside Airflow ---------------------------
AXE = Path(__file__).resolve().parents[1] / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")  # axe's impacts that fail the test; "minor" and "moderate" are printed


def _axe(browser) -> list[dict]:
    """axe-core's violations in the document the browser is on (the Collections frame): rule, impact, nodes."""
    assert AXE.exists(), f"{AXE} is missing: `make test` installs it (npm ci, package-lock.json)"
    if not browser.execute_script("return typeof window.axe === 'object'"):
        browser.execute_script(AXE.read_text())
    found = browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {resultTypes: ['violations']})"
        ".then(r => done(r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.map(n => n.target.join(' ') + ': ' + n.failureSummary)}))))"
        ".catch(e => done([{id: 'axe-error', impact: 'critical', help: String(e), nodes: []}]));"
    )
    return found


def test_chromium_finds_no_serious_accessibility_violation_on_any_page_in_either_mode_and_language(
    live_api, ui, book, browser, airflow_home
):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec

    browser.set_script_timeout(60)
    wait = _log_in(browser, live_api, airflow_home)
    wait.until(ec.element_to_be_clickable((By.CSS_SELECTOR, 'a[href$="plugin/collections"]'))).click()
    wait.until(ec.frame_to_be_available_and_switch_to_it((By.TAG_NAME, "iframe")))
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "#portfolio-P1")))
    browser.switch_to.default_content()
    collections = browser.current_url  # Airflow's route of the navigation entry, the pages in its frame

    found: dict[tuple[str, str, str], list[dict]] = {}

    def check(mode: str, language: str, page: str) -> None:
        found[(mode, language, page)] = _axe(browser)

    def follow(link) -> None:
        link.click()
        wait.until(ec.staleness_of(link))
        wait.until(ec.presence_of_element_located((By.TAG_NAME, "h1")))

    for mode, language in [(m, lang) for m in ("light", "dark") for lang in ("en", "zh-CN")]:
        browser.execute_script("window.localStorage.setItem('theme', arguments[0])", mode)
        browser.get(collections)
        wait.until(
            lambda b, m=mode: b.execute_script("return document.documentElement.classList.contains(arguments[0])", m)
        )
        wait.until(ec.frame_to_be_available_and_switch_to_it((By.TAG_NAME, "iframe")))
        wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "#portfolio-P1")))
        wait.until(lambda b, m=mode: m in b.find_element(By.TAG_NAME, "html").get_attribute("class").split())
        if browser.find_element(By.TAG_NAME, "html").get_attribute("lang") != language:
            follow(browser.find_element(By.CSS_SELECTOR, f'#language button[value="{language}"]'))
            wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "#portfolio-P1")))
        assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == language
        check(mode, language, "today")
        # the list behind a count: P1's open and on-hold cases
        follow(browser.find_element(By.CSS_SELECTOR, '#portfolio-P1 td[data-figure="cases"] a'))
        wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "#worklist tbody tr")))
        check(mode, language, "list")
        for page, shown in NAV_PAGES[1:]:
            link = wait.until(ec.element_to_be_clickable((By.CSS_SELECTOR, f'nav a[href="{page}"]')))
            follow(link)
            wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, shown)))
            check(mode, language, page)
        search = browser.find_element(By.NAME, "q")
        search.send_keys("A0")
        search.submit()
        wait.until(ec.staleness_of(search))
        wait.until(ec.presence_of_element_located((By.ID, "record"))).click()  # its form open: axe skips the hidden
        wait.until(ec.visibility_of_element_located((By.NAME, "amount")))
        check(mode, language, "account")
        browser.switch_to.default_content()

    report = [
        f"{mode:5} {language:5} {page:11} {v['impact']:8} {v['id']}: {v['help']}\n"
        + "".join(f"      {n}\n" for n in v["nodes"][:5])
        for (mode, language, page), violations in found.items()
        for v in violations
    ]
    print("axe-core violations:\n" + ("".join(report) or "none\n"))
    browser.delete_cookie("collections_lang")  # back to English for whoever uses the browser next
    assert len(found) == 4 * (len(NAV_PAGES) + 2)
    blocking = [line for line in report if line.split()[3] in BLOCKING]
    assert not blocking, "".join(blocking)
