"""The pages that belong in Airflow (#13): the widget on Airflow's dashboard and the Collections tab of a DAG run.

Airflow's own API server app lists and serves them; headless Chromium reads them through Airflow's UI, in its
light and dark mode, and each number is checked against SQL and against the list it opens.
"""

from __future__ import annotations

import html as htmllib
import re
from decimal import Decimal

import pytest

from debt_collections.ui.i18n import translations
from debt_collections.ui.pages import money
from tests import test_ui
from tests.scenario import dag_run_state
from tests.test_airflow import _dags_test, _env
from tests.test_ui import BLOCKING, DAYS, RGB, SCREENSHOTS, _axe, _log_in, _luminance, tables

pytestmark = pytest.mark.live

# the fixtures of tests/test_ui.py, used here by name: a real Airflow API server app, a login, the book
airflow_api, token, ui, book_built_once, book, live_api, browser = (
    test_ui.airflow_api,
    test_ui.token,
    test_ui.ui,
    test_ui.book_built_once,
    test_ui.book,
    test_ui.live_api,
    test_ui.browser,
)

LAST = DAYS[-1]
COLUMNS = ["open_cases", "legal", "planned", "sent", "delivered", "failed", "quarantined", "recovered"]

# the headline of each portfolio on the book's last day, counted here from the output contract's views
HEADLINE_SQL = """
select c.portfolio,
       count(*) filter (where c.status in ('open', 'on_hold')) as open_cases,
       count(*) filter (where c.status in ('open', 'on_hold') and c.stage = 'legal') as legal,
       (select count(*) from collections.action a join collections.case_day k using (as_of, case_id)
        where k.portfolio = c.portfolio and a.as_of = c.as_of and a.status = 'planned') as planned,
       (select count(*) from collections.action a join collections.case_day k using (as_of, case_id)
        where k.portfolio = c.portfolio and a.as_of = c.as_of and a.status = 'sent') as sent,
       (select count(*) from collections.action a join collections.case_day k using (as_of, case_id)
        where k.portfolio = c.portfolio and a.as_of = c.as_of and a.status = 'delivered') as delivered,
       (select count(*) from collections.action a join collections.case_day k using (as_of, case_id)
        where k.portfolio = c.portfolio and a.as_of = c.as_of and a.status = 'failed') as failed,
       (select count(*) from collections.quarantine q where q.portfolio = c.portfolio and q.feed_date = c.as_of)
           as quarantined,
       (select coalesce(sum(r.amount), 0) from collections.recovery r
        where r.portfolio = c.portfolio and r.paid_on = c.as_of) as recovered
from collections.case_day c
where c.as_of = %(d)s
group by c.portfolio, c.as_of
order by c.portfolio
"""


@pytest.fixture
def paid(book):
    """The book, with a repayment of A1 (P1) on its last day: money recovered on the day the widget shows."""
    book.pay("p3", "A1", f"{LAST}T10:00:00+08:00", "300.00")
    book.run(LAST)
    return book


def _expected(s) -> dict[str, dict[str, str]]:
    """Each portfolio's numbers as the widget writes them, from HEADLINE_SQL."""
    return {
        r["portfolio"]: {
            **{k: str(r[k]) for k in COLUMNS if k != "recovered"},
            "recovered": f"{money(r['recovered'])} CNY",
        }
        for r in s.query(HEADLINE_SQL, {"d": LAST})
    }


def _listed_total(ui, href: str) -> int:
    """The total a list of the Collections app says it holds (its heading: "<n> cases of ..." or actions)."""
    page = ui("/collections/" + href).text
    found = re.search(r"<h1>(\d+) (cases|actions) of ", page)
    assert found, (href, page[:500])
    return int(found.group(1))


# -- what Airflow lists and serves ---------------------------------------------------------------------------
def test_airflow_lists_the_dashboard_widget_and_the_dag_run_tab_and_serves_the_bundle(airflow_api, token):
    answer = airflow_api.get("/api/v2/plugins", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.text
    (plugin,) = [p for p in answer.json()["plugins"] if p["name"] == "collections"]
    assert plugin["react_apps"] == [
        {
            "name": "Collections today",
            "bundle_url": "/collections/static/dashboard.js",
            "destination": "dashboard",
            "url_route": "collections-today",
            "icon": None,
            "icon_dark_mode": None,
            "category": None,
            "nav_top_level": False,
        }
    ]
    tabs = [v for v in plugin["external_views"] if v["destination"] == "dag_run"]
    assert [(v["name"], v["href"], v["url_route"]) for v in tabs] == [
        ("Collections", "/collections/run?dag_id={DAG_ID}&run_id={RUN_ID}", "collections-run")
    ]
    assert [v["url_route"] for v in plugin["external_views"] if v["destination"] == "nav"] == ["collections"]
    bundle = airflow_api.get("/collections/static/dashboard.js")
    assert bundle.status_code == 200 and "javascript" in bundle.headers["content-type"]
    assert "globalThis.AirflowPlugin=" in bundle.text  # what Airflow's UI takes from the module it imports


def test_the_headline_and_the_run_tab_answer_401_without_an_airflow_user(airflow_api, ui, book):
    for path in ("/collections/api/headline", "/collections/run?dag_id=collections_standard&run_id=x"):
        answer = airflow_api.get(path)
        assert answer.status_code == 401, path
        assert "P1" not in answer.text
    assert airflow_api.get(
        "/collections/api/headline", headers={"Authorization": "Bearer no.such.jwt"}
    ).status_code in (
        401,
        403,
    )


# -- the headline (JSON) ---------------------------------------------------------------------------------------
def test_the_headline_equals_sql_and_each_number_opens_the_list_behind_it(ui, paid):
    answer = ui("/collections/api/headline")
    assert answer.status_code == 200 and answer.headers["cache-control"] == "no-store"
    data = answer.json()
    assert data["latest"] == LAST and data["lang"] == "en"
    assert [c["key"] for c in data["columns"]] == COLUMNS
    expected = _expected(paid)
    shown = {r["portfolio"]: {k: c["text"] for k, c in r["cells"].items()} for r in data["rows"]}
    assert shown == expected
    assert Decimal(expected["P1"]["recovered"].split()[0]) == Decimal("300.00")  # the repayment of the day
    assert int(expected["P1"]["quarantined"]) == 1 and int(expected["P1"]["planned"]) > 0
    assert all((r["dag_id"], r["as_of"], r["behind"]) == ("collections_standard", LAST, False) for r in data["rows"])
    # the whole book: the sums
    for key in COLUMNS[:-1]:
        assert data["total"][key]["text"] == str(sum(int(v[key]) for v in expected.values())), key
    # every count of a portfolio opens a list of exactly that many accounts (quarantined rows: Today's table)
    for row in data["rows"]:
        for key in COLUMNS[:-2]:
            href = row["cells"][key]["href"]
            assert href.startswith(f"list?as_of={LAST}&portfolio={row['portfolio']}"), href
            assert _listed_total(ui, href) == int(row["cells"][key]["text"]), (row["portfolio"], key, href)
        assert (
            row["cells"]["quarantined"]["href"]
            == f"today?as_of={LAST}&portfolio={row['portfolio']}#portfolio-{row['portfolio']}"
        )
        assert row["cells"]["recovered"]["href"] == f"recoveries?portfolio={row['portfolio']}"


def test_the_headline_speaks_airflows_language_else_the_collections_choice(airflow_api, ui, token, book):
    zh = translations("zh-CN").gettext
    auth = {"Authorization": f"Bearer {token}"}
    chinese = ui("/collections/api/headline", params={"lang": "zh-CN"}).json()
    assert chinese["lang"] == "zh-CN" and chinese["labels"]["title"] == zh("Collections") != "Collections"
    assert [c["label"] for c in chinese["columns"]][0] == zh("open cases") != "open cases"
    assert chinese["rows"][0]["cells"] == ui("/collections/api/headline").json()["rows"][0]["cells"]  # same numbers
    # Airflow in a language we do not have: the Collections pages' own choice (the cookie), else English
    assert ui("/collections/api/headline", params={"lang": "fr"}).json()["lang"] == "en"
    airflow_api.cookies.set("collections_lang", "zh-CN")
    try:
        assert (
            airflow_api.get("/collections/api/headline", params={"lang": "fr"}, headers=auth).json()["lang"] == "zh-CN"
        )
        assert airflow_api.get("/collections/api/headline", params={"lang": "en"}, headers=auth).json()["lang"] == "en"
    finally:
        airflow_api.cookies.clear()
    assert ui("/collections/api/headline", params={"lang": "<b>"}).status_code == 422


def test_the_headline_before_any_run_is_empty(ui):
    data = ui("/collections/api/headline").json()
    assert (data["latest"], data["rows"], data["labels"]["empty"]) == (None, [], "No reported day yet.")
    assert data["total"]["open_cases"] == {"text": "0", "href": "today"}


# -- the run tab (server-rendered) -------------------------------------------------------------------------------
def _run_of(s, day: str = LAST) -> str:
    (row,) = s.query("select distinct run_id from collections.portfolio_day where as_of = %(d)s", {"d": day})
    return row["run_id"]


def test_a_runs_tab_shows_its_figures_as_sql_counts_them_and_each_count_opens_its_list(ui, book):
    run_id = _run_of(book)
    answer = ui("/collections/run", params={"dag_id": "collections_standard", "run_id": run_id})
    assert answer.status_code == 200 and answer.headers["cache-control"] == "no-store"
    page = answer.text
    assert f"<h1>Run of {LAST}</h1>" in page and f"<code>{run_id}</code>" in page
    found = tables(page)
    assert sorted(s for s, c in found if c == "figures") == ["portfolio-P1", "portfolio-P2", "portfolio-P3"]
    stages = {
        (r["portfolio"], r["stage"]): r["n"]
        for r in book.query(
            "select portfolio, coalesce(stage, '-') as stage, count(*) as n from collections.case_day "
            "where as_of = %(d)s and status in ('open', 'on_hold') group by 1, 2",
            {"d": LAST},
        )
    }
    for (portfolio, stage), n in stages.items():
        (row,) = [r for r in found[(f"portfolio-{portfolio}", "stage-bucket")] if r[0] == stage]
        assert int(row[-1]) == n, (portfolio, stage)
    quarantined = book.query(
        "select split_part(reason, ':', 1) as reason, count(*) as n from collections.quarantine "
        "where feed_date = %(d)s and portfolio = 'P1' group by 1",
        {"d": LAST},
    )
    assert found[("portfolio-P1", "quarantined")][1:] == [[r["reason"], str(r["n"])] for r in quarantined] != []
    links = [(htmllib.unescape(h), int(n)) for h, n in re.findall(r'<a href="(list\?[^"]+)">(\d+)</a>', page)]
    assert len(links) > 20
    for href, n in links:
        assert _listed_total(ui, href) == n, href


def test_a_run_without_figures_and_a_run_of_another_dag_say_so(ui, book):
    for dag_id in ("collections_standard_outbox", "collections_standard_approvals", "collections_simulate", "etl"):
        page = ui("/collections/run", params={"dag_id": dag_id, "run_id": "manual__1"})
        assert page.status_code == 200 and "<h1>Not a collections run</h1>" in page.text, dag_id
        assert "is not a collections daily DAG" in page.text
    page = ui("/collections/run", params={"dag_id": "collections_standard", "run_id": "manual__never"})
    assert page.status_code == 200 and "<h1>No figures from this run</h1>" in page.text
    for bad in ({"dag_id": "collections_standard", "run_id": "manual\x00"}, {"dag_id": "x\x1b", "run_id": "r"}):
        answer = ui("/collections/run", params=bad)  # a 4xx naming the field, no traceback
        assert answer.status_code == 422 and "String should match pattern" in answer.text, answer.text
    # an earlier run of a day that a later run reported again (the tab of an Airflow run whose conf names its day
    # names the run that did: the Chromium test below)
    earlier = _run_of(book)
    book.run(LAST)
    later = _run_of(book)
    assert later != earlier
    page = ui("/collections/run", params={"dag_id": "collections_standard", "run_id": earlier}).text
    assert "<h1>No figures from this run</h1>" in page and "portfolio-P1" not in page


# -- through Airflow's UI, in Chromium ----------------------------------------------------------------------------
def _widget_numbers(browser) -> dict[str, dict[str, str]]:
    """The widget's numbers as Chromium shows them: portfolio -> column -> text."""
    from selenium.webdriver.common.by import By

    shown = {}
    for row in browser.find_elements(By.CSS_SELECTOR, "[data-collections-widget] tbody tr"):
        cells = row.find_elements(By.CSS_SELECTOR, "td[data-figure]")
        shown[row.get_attribute("data-portfolio")] = {c.get_attribute("data-figure"): c.text for c in cells}
    return shown


def _axe_of(browser, selector: str) -> list[dict]:
    """axe-core's violations inside the element ``selector`` of the page (Airflow's own page around it is not ours)."""
    _axe(browser)  # loads axe-core into the page
    return browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(arguments[0], {resultTypes: ['violations']})"
        ".then(r => done(r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.map(n => n.target.join(' '))}))))"
        ".catch(e => done([{id: 'axe-error', impact: 'critical', help: String(e), nodes: []}]));",
        selector,
    )


def test_chromium_shows_the_widget_on_airflows_dashboard_in_light_and_dark_mode_and_a_number_opens_its_list(
    live_api, ui, paid, browser, airflow_home
):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec

    browser.set_script_timeout(60)
    wait = _log_in(browser, live_api, airflow_home)
    expected = _expected(paid)
    widget = "[data-collections-widget='ready']"
    for mode in ("light", "dark"):
        browser.execute_script("window.localStorage.setItem('theme', arguments[0])", mode)
        browser.get(f"{live_api}/")
        wait.until(
            lambda b, m=mode: b.execute_script("return document.documentElement.classList.contains(arguments[0])", m)
        )
        section = wait.until(ec.visibility_of_element_located((By.CSS_SELECTOR, widget)))
        browser.execute_script("arguments[0].scrollIntoView()", section)
        browser.save_screenshot(str(SCREENSHOTS / f"airflow-dashboard-collections-{mode}.png"))
        assert _widget_numbers(browser) == {p: expected[p] for p in expected}
        assert section.find_element(By.TAG_NAME, "h2").text == "Collections"
        # its text in Airflow's own colour of the mode (Chakra's fg, as Airflow paints its body text)
        airflow_fg = browser.execute_script(RGB, browser.execute_script("return getComputedStyle(document.body).color"))
        widget_fg = browser.execute_script(RGB, section.value_of_css_property("color"))
        assert widget_fg == pytest.approx(airflow_fg, abs=2), mode
        assert (_luminance(widget_fg) > 0.7) if mode == "dark" else (_luminance(widget_fg) < 0.3), (mode, widget_fg)
        found = _axe_of(browser, "[data-collections-widget]")
        print(f"axe-core on the widget ({mode}):", [(v["impact"], v["id"]) for v in found] or "no violation")
        assert not [v for v in found if v["impact"] in BLOCKING], found
    # Airflow's UI switched to Chinese (i18next keeps the choice in localStorage): the widget follows, unreloaded
    zh = translations("zh-CN").gettext
    browser.execute_script("window.localStorage.setItem('i18nextLng', 'zh-CN')")
    wait.until(lambda b: b.find_element(By.CSS_SELECTOR, f"{widget} h2").text == zh("Collections"))
    headers = [th.text for th in browser.find_elements(By.CSS_SELECTOR, f"{widget} thead th")]
    browser.save_screenshot(str(SCREENSHOTS / "airflow-dashboard-collections-dark-zh-CN.png"))
    assert headers[2:4] == [zh("open cases"), zh("in legal")] and _widget_numbers(browser)["P1"] == expected["P1"]
    browser.execute_script("window.localStorage.setItem('i18nextLng', 'en')")
    wait.until(lambda b: b.find_element(By.CSS_SELECTOR, f"{widget} h2").text == "Collections")
    # a number opens the list behind it in the Collections view, inside Airflow's shell
    link = browser.find_element(By.CSS_SELECTOR, f"{widget} tr[data-portfolio='P1'] td[data-figure='planned'] a")
    link.click()
    wait.until(lambda b: "/plugin/collections/collections/list?" in b.current_url)
    wait.until(ec.frame_to_be_available_and_switch_to_it((By.TAG_NAME, "iframe")))
    heading = wait.until(ec.presence_of_element_located((By.TAG_NAME, "h1"))).text
    rows = browser.find_elements(By.CSS_SELECTOR, "#worklist tbody tr")
    browser.switch_to.default_content()
    browser.save_screenshot(str(SCREENSHOTS / "airflow-dashboard-collections-list.png"))
    assert heading.startswith(f"{expected['P1']['planned']} actions of ") and len(rows) == int(
        expected["P1"]["planned"]
    )
    browser.execute_script("window.localStorage.setItem('theme', 'light')")


def _dag_test_run(book, db: str, day: str) -> str:
    """A real run of collections_standard for ``day`` (``airflow dags test``, on the test's databases); its run id."""
    out = _dags_test(_env(db, book.root), "2026-11-29T05:00:00+00:00", {"as_of": day})
    assert dag_run_state(out) == "success", (out.stdout + out.stderr)[-4000:]
    (row,) = book.query("select distinct run_id from collections.portfolio_day where as_of = %(d)s", {"d": day})
    return row["run_id"]


def test_chromium_opens_a_runs_collections_tab_with_its_figures_and_another_dags_run_says_it_is_none(
    live_api, ui, book, db, browser, airflow_home, token
):
    import requests
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec

    run_id = _dag_test_run(book, db, LAST)
    assert not run_id.startswith("run_day__")  # the DAG's run wrote the day: the id is Airflow's
    browser.set_script_timeout(60)
    wait = _log_in(browser, live_api, airflow_home)
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "a[href$='plugin/collections']")))
    browser.get(f"{live_api}/dags/collections_standard/runs/{requests.utils.quote(run_id, safe='')}")
    wait.until(ec.element_to_be_clickable((By.CSS_SELECTOR, "a[href$='/plugin/collections-run']"))).click()
    wait.until(ec.frame_to_be_available_and_switch_to_it((By.CSS_SELECTOR, "iframe[title='Collections']")))
    cases = wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, '#portfolio-P1 td[data-figure="cases"]')))
    heading = browser.find_element(By.TAG_NAME, "h1").text
    shown = int(cases.text)
    findings = _axe(browser)
    browser.switch_to.default_content()
    browser.save_screenshot(str(SCREENSHOTS / "airflow-dag-run-collections-tab.png"))
    assert heading == f"Run of {LAST}"
    (sql,) = book.query(
        "select count(*) as n from collections.case_day where portfolio = 'P1' and as_of = %(d)s", {"d": LAST}
    )
    assert shown == sql["n"] > 0
    print("axe-core on the run tab:", [(v["impact"], v["id"]) for v in findings] or "no violation")
    blocking = [f"{v['impact']} {v['id']}: {v['help']} {v['nodes'][:3]}" for v in findings if v["impact"] in BLOCKING]
    assert not blocking, blocking

    # the count opens the list behind it, in the tab's frame
    wait.until(ec.frame_to_be_available_and_switch_to_it((By.CSS_SELECTOR, "iframe[title='Collections']")))
    browser.find_element(By.CSS_SELECTOR, '#portfolio-P1 td[data-figure="cases"] a').click()
    listed = wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "#worklist")))
    total = browser.find_element(By.TAG_NAME, "h1").text
    rows = listed.find_elements(By.CSS_SELECTOR, "tbody tr")
    browser.switch_to.default_content()
    browser.save_screenshot(str(SCREENSHOTS / "airflow-dag-run-collections-list.png"))
    assert total.startswith(f"{shown} cases of ") and len(rows) == min(shown, 50)

    # the day reported again by a later run: the tab says which run reported it
    book.run(LAST)
    later = _run_of(book)
    browser.refresh()
    wait.until(ec.frame_to_be_available_and_switch_to_it((By.CSS_SELECTOR, "iframe[title='Collections']")))
    wait.until(ec.presence_of_element_located((By.ID, "no-figures")))
    reported_by = [c.text for c in browser.find_elements(By.CSS_SELECTOR, "table.reported-by tbody td:last-child")]
    browser.switch_to.default_content()
    browser.save_screenshot(str(SCREENSHOTS / "airflow-dag-run-collections-tab-reported-again.png"))
    assert reported_by == [later] * 3 and later != run_id

    # a run of a DAG that evaluates no day: the tab says so
    other = requests.post(
        f"{live_api}/api/v2/dags/collections_simulate/dagRuns",
        json={"logical_date": None, "conf": {}},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert other.status_code == 200, other.text
    browser.get(
        f"{live_api}/dags/collections_simulate/runs/{requests.utils.quote(other.json()['dag_run_id'], safe='')}"
    )
    wait.until(ec.element_to_be_clickable((By.CSS_SELECTOR, "a[href$='/plugin/collections-run']"))).click()
    wait.until(ec.frame_to_be_available_and_switch_to_it((By.CSS_SELECTOR, "iframe[title='Collections']")))
    said = wait.until(ec.presence_of_element_located((By.ID, "not-collections"))).text
    browser.switch_to.default_content()
    browser.save_screenshot(str(SCREENSHOTS / "airflow-dag-run-collections-tab-other-dag.png"))
    assert said.startswith("collections_simulate is not a collections daily DAG")
