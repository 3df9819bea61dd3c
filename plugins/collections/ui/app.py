"""The collections UI as a FastAPI app, mounted by the Airflow plugin under ``/collections``."""

from __future__ import annotations

import datetime as dt
import urllib.parse
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import jinja2
from airflow.api_fastapi.core_api.security import GetUserDep, requires_authenticated
from fastapi import Depends, FastAPI, Form, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from debt_collections import clock
from debt_collections.domain import outcomes
from debt_collections.domain.policy import DAY_STEPS, PORTFOLIO_NAME
from debt_collections.errors import CollectionsError
from debt_collections.store import ui as queries
from debt_collections.ui import i18n, metadata, pages, rerun
from debt_collections.ui.database import collections_conninfo
from debt_collections.ui.i18n import _

TEMPLATES = Path(__file__).resolve().parent / "templates"
# The built front end (plugins/collections/ui/web/build.mjs, run by `make install`): scripts without data,
# served to anyone who reaches the API server, like Airflow's own assets.
STATIC = Path(__file__).resolve().parent / "static"
# Account pages show personal data: never keep them in a shared cache.
NO_STORE = {"Cache-Control": "no-store"}


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=jinja2.select_autoescape(["html"], default=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["money"] = pages.money
    env.filters["local_time"] = pages.local_time
    return env


_envs = i18n.environments(_environment)  # one per language (ui/i18n.py)

ConninfoDep = Annotated[str, Depends(collections_conninfo)]

# no control characters (a NUL byte would reach PostgreSQL and fail there): a 422 naming the field
PRINTABLE = r"^[^\x00-\x1f\x7f]*$"


def render(name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """A page rendered from ``ui/templates/<name>`` (autoescaped)."""
    page = _envs[i18n.current()].get_template(name).render(**context)
    return HTMLResponse(page, status_code=status_code, headers=NO_STORE)


def _user_token(request: Request) -> str:
    """The token Airflow authenticated this request with: the bearer header, or the UI's cookie."""
    header = request.headers.get("authorization", "")
    return header[7:] if header.lower().startswith("bearer ") else request.cookies.get("_token", "")


def today(
    request: Request,
    user: GetUserDep,
    conninfo: ConninfoDep,
    as_of: dt.date | None = None,
    portfolio: Annotated[str | None, Query(max_length=64, pattern=PORTFOLIO_NAME.pattern)] = None,
    stage: Annotated[str | None, Query(max_length=31, pattern=r"^[a-z][a-z0-9_]*$")] = None,
    run_id: Annotated[str | None, Query(max_length=250)] = None,
) -> HTMLResponse:
    """The day's figures per portfolio (the latest reported day unless ``as_of`` is given).

    ``portfolio`` and ``stage`` narrow the page to one portfolio and one rung (a task's link).
    """
    with queries.reading(conninfo) as conn:
        day = as_of or queries.latest_as_of(conn)
        rows = queries.portfolio_days(conn, day) if day else []
        unscoped = queries.unscoped_quarantine(conn, day) if day and not portfolio else {}
        recent = queries.recent_days(conn)
    if portfolio:
        rows = [r for r in rows if r["portfolio"] == portfolio]
    return render(
        "today.html",
        user=user.get_name(),
        as_of=day,
        recent=recent,
        portfolios=[pages.portfolio_view(r, stage=stage) for r in rows],
        unscoped=pages.by_reason(unscoped),
        rerun_token=rerun.form_token(_user_token(request)),
        focus={"portfolio": portfolio, "stage": stage, "run_id": run_id},
    )


WORD = r"^[a-z0-9_+-]{1,40}$"
Word = Annotated[str | None, Query(pattern=WORD)]


def worklist(
    user: GetUserDep,
    conninfo: ConninfoDep,
    as_of: dt.date,
    portfolio: Annotated[str, Query(max_length=64, pattern=PORTFOLIO_NAME.pattern)],
    what: Annotated[str, Query(pattern=r"^(cases|actions)$")] = "cases",
    stage: Annotated[str | None, Query(pattern=r"^([a-z][a-z0-9_]{0,30}|-)$")] = None,
    bucket: Annotated[str | None, Query(pattern=r"^M[0-7]\+?$")] = None,
    case_status: Annotated[str | None, Query(pattern=r"^(open|on_hold|cured|closed|active)$")] = None,
    kind: Word = None,
    status: Word = None,
    reason: Word = None,
    variant: Word = None,
    sort: Annotated[str, Query(pattern=r"^(dpd|overdue_amount|account_id)$")] = "dpd",
    order: Annotated[str, Query(pattern=r"^(asc|desc)$")] = "desc",
    page: Annotated[int, Query(ge=1, le=100000)] = 1,
    format: Annotated[str, Query(pattern=r"^(html|csv)$")] = "html",
) -> Response:
    """The accounts behind a figure of a day (every count on Today links here): a case list, or an action
    list when a kind, an action status or a reason narrows it; sorted, paged, or the whole list as CSV."""
    what = "actions" if what == "actions" or kind or status or reason else "cases"
    filters = {
        "as_of": as_of,
        "portfolio": portfolio,
        "stage": stage,
        "bucket": bucket,
        "case_status": case_status,
        "kind": kind,
        "status": status,
        "reason": reason,
        "variant": variant,
        "sort": sort,
        "descending": order == "desc",
    }
    with queries.reading(conninfo) as conn:
        rows = queries.worklist(conn, what, filters, page, csv=format == "csv")
    if format == "csv":
        name = f"collections-{portfolio}-{as_of}-{what}.csv"
        return Response(
            pages.csv_text(rows),
            media_type="text/csv; charset=utf-8",
            headers={**NO_STORE, "Content-Disposition": f'attachment; filename="{name}"'},
        )
    shown = {k: v for k, v in filters.items() if v is not None and k not in ("sort", "descending", "as_of")}
    shown = {**shown, "what": what}
    return render(
        "list.html",
        user=user.get_name(),
        what=what,
        rows=rows,
        total=rows[0]["total"] if rows else 0,
        page=page,
        limit=queries.LIST_LIMIT,
        as_of=as_of,
        filters={k: v for k, v in shown.items() if k != "what"},
        sort=sort,
        order=order,
        query=urllib.parse.urlencode({"as_of": as_of, **shown}),
    )


def start_rerun(
    request: Request,
    user: GetUserDep,
    conninfo: ConninfoDep,
    as_of: Annotated[dt.date, Form()],
    csrf: Annotated[str, Form(max_length=64)],
    portfolios: Annotated[list[str] | None, Form()] = None,
    dry_run: Annotated[bool, Form()] = False,
) -> HTMLResponse:
    """Rerun a day for the chosen portfolios: one ordinary DAG run per DAG, started as the user."""
    token = _user_token(request)
    try:
        rerun.check_form_token(token, csrf)
        with queries.reading(conninfo) as conn:
            owners = {r["portfolio"]: r["dag_id"] for r in queries.portfolio_days(conn, as_of)}
        confs = rerun.plan(as_of, list(portfolios or [])[:200], owners, dry_run=dry_run)
    except rerun.RerunError as exc:
        return render(
            "rerun.html", status_code=400, user=user.get_name(), as_of=as_of, error=str(exc), started=[], refused=[]
        )
    started, refused = rerun.trigger(rerun.api_base(), token, confs)
    return render(
        "rerun.html",
        status_code=502 if refused and not started else 200,
        user=user.get_name(),
        as_of=as_of,
        error=None,
        started=started,
        refused=refused,
    )


def rerun_range(
    request: Request,
    user: GetUserDep,
    conninfo: ConninfoDep,
    from_day: Annotated[dt.date, Form()],
    csrf: Annotated[str, Form(max_length=64)],
    portfolios: Annotated[list[str] | None, Form()] = None,
    dry_run: Annotated[bool, Form()] = False,
    confirm: Annotated[bool, Form()] = False,
) -> HTMLResponse:
    """Rerun from ``from_day`` to the latest evaluated day for chosen portfolios, in date order, as Airflow's
    backfill of each owning DAG (SPEC 12). First a confirmation naming the days and what stays sent; then,
    confirmed, the backfills, started as the user."""
    token = _user_token(request)
    chosen = list(portfolios or [])[:200]
    try:
        rerun.check_form_token(token, csrf)
        with queries.reading(conninfo) as conn:
            last = queries.latest_as_of(conn)
            plans = rerun.range_plan(from_day, last, chosen, queries.portfolio_policies(conn), dry_run=dry_run)
            days = queries.range_actions(conn, chosen, from_day, last) if last else []
    except rerun.RerunError as exc:
        return render(
            "rerun_range.html", status_code=400, user=user.get_name(), error=str(exc), results=[], from_day=None
        )
    results = [(p, *rerun.backfill(rerun.api_base(), token, p, dry_run=not confirm)) for p in plans]
    return render(
        "rerun_range.html",
        status_code=502 if all(answer is None for _, answer, _ in results) else 200,
        user=user.get_name(),
        error=None,
        confirmed=confirm,
        from_day=from_day,
        to_day=last,
        dry_run=dry_run,
        chosen=chosen,
        days=days,
        results=results,
        form_token=rerun.form_token(token),
    )


def account(
    request: Request,
    user: GetUserDep,
    conninfo: ConninfoDep,
    id: Annotated[str | None, Query(max_length=200, pattern=PRINTABLE)] = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
) -> HTMLResponse:
    """One account by its id (the lists link here); the search is the POST of the same path."""
    if q is not None:
        # a phone number in a URL lands in the API server's access log: the search form posts it
        raise StarletteHTTPException(400, _("search with the form (POST /collections/account): a URL is logged"))
    with queries.reading(conninfo) as conn:
        return _account_page(conn, user.get_name(), (id or "").strip(), "", _user_token(request))


def record_outcome(
    request: Request,
    user: GetUserDep,
    conninfo: ConninfoDep,
    account_id: Annotated[str, Form(max_length=200, pattern=PRINTABLE)],
    kind: Annotated[str, Form(max_length=40)],
    csrf: Annotated[str, Form(max_length=64)],
    amount: Annotated[str, Form(max_length=40, pattern=PRINTABLE)] = "",
    until: Annotated[str, Form(max_length=40, pattern=PRINTABLE)] = "",
    reason: Annotated[str, Form(max_length=40, pattern=PRINTABLE)] = "",
) -> HTMLResponse:
    """Record what the customer said (SPEC 2's promise, plan, reason or outcome) as an event with source ``ui``
    and the user's name, in effect from the next run. Only a user who may start runs of the account's policy's
    DAG may; bad input is refused with its message and nothing is stored."""
    token = _user_token(request)
    with queries.reading(conninfo) as conn:
        context = queries.outcome_context(conn, account_id)
    if context is None:
        raise StarletteHTTPException(404, _("no account %(id)s", id=account_id))
    if not _may_record(user, context["dag_id"]):
        raise StarletteHTTPException(403, _("recording an outcome needs the permission to run this account's DAG"))
    try:
        rerun.check_form_token(token, csrf)
        today = clock.now(context["timezone"]).date()
        found = outcomes.check_outcome(kind, amount, until, reason, today=today, case_status=context["case_status"])
    except CollectionsError as exc:  # the form's token, or what was typed
        with queries.reading(conninfo) as conn:
            return _account_page(conn, user.get_name(), account_id, "", token, outcome_error=str(exc))
    queries.record_event(conninfo, _event_row(account_id, found, user.get_name(), today))
    with queries.reading(conninfo) as conn:
        return _account_page(conn, user.get_name(), account_id, "", token, recorded=_said(found))


def _may_record(user: Any, dag_id: str | None) -> bool:
    """Whether Airflow's auth manager lets ``user`` start runs of ``dag_id`` (the DAG of the account's policy)."""
    from airflow.api_fastapi.app import get_auth_manager
    from airflow.api_fastapi.auth.managers.models.resource_details import DagAccessEntity, DagDetails

    return get_auth_manager().is_authorized_dag(
        method="POST", access_entity=DagAccessEntity.RUN, details=DagDetails(id=dag_id), user=user
    )


def _event_row(account_id: str, found: outcomes.Outcome, user: str, today: dt.date) -> dict[str, Any]:
    return {
        "event_id": f"UI-{uuid.uuid4().hex}",
        "account_id": account_id,
        "at": clock.now("UTC"),
        "kind": found.kind,
        "amount": found.amount,
        "until": found.until,
        "reason": found.reason,
        "recorded_by": user,
        "feed_date": today,
    }


def _said(found: outcomes.Outcome) -> str:
    what = _(pages.OUTCOME_KINDS.get(found.kind, found.kind.replace("_", " ")))
    if found.amount is not None:
        amount = f"{found.amount:,}"
        return _("%(what)s of %(amount)s until %(until)s", what=what, amount=amount, until=found.until)
    return f"{what}: {found.reason}"


def search(
    request: Request,
    user: GetUserDep,
    conninfo: ConninfoDep,
    q: Annotated[str, Form(max_length=200, pattern=PRINTABLE)] = "",
    page: Annotated[int, Form(ge=1, le=10000)] = 1,
) -> HTMLResponse:
    """Search accounts as people type it (an id or its start in any case, a phone in local or E.164 form or its
    last digits, a part of a name), posted so that nothing personal reaches a URL; one match shows the account."""
    term = q.strip()
    with queries.reading(conninfo) as conn:
        matches = queries.search_accounts(conn, pages.search_terms(term), page) if term else []
        if len(matches) == 1 and page == 1 and matches[0]["total"] == 1:
            return _account_page(conn, user.get_name(), matches[0]["account_id"], term, _user_token(request))
        return render(
            "search.html",
            user=user.get_name(),
            q=term,
            matches=pages.masked_matches(matches),
            total=matches[0]["total"] if matches else 0,
            page=page,
            limit=queries.SEARCH_LIMIT,
        )


def _account_page(conn: Any, user: str, account_id: str, term: str, token: str = "", **outcome: Any) -> HTMLResponse:
    found = queries.account(conn, account_id) if account_id else None
    if found is None:
        return render(
            "search.html",
            status_code=404 if account_id else 200,
            user=user,
            q=account_id,
            matches=[],
            total=0,
            page=1,
            limit=queries.SEARCH_LIMIT,
        )
    history = queries.account_history(conn, account_id)
    why = None
    if history["cases"]:
        from debt_collections import simulate

        latest = max(c["as_of"] for c in history["cases"])
        policies = pages.deployed_policies(simulate.POLICIES)
        covering = next((p for p in policies if p.covers(found["portfolio"])), None)
        case = queries.case_explained(conn, account_id, latest, covering.timezone) if covering else None
        why = pages.why(covering, case) if covering and case else None
    return render(
        "account.html",
        why=why,
        status_code=400 if outcome.get("outcome_error") else 200,
        user=user,
        q=term,
        form_token=rerun.form_token(token),
        reasons=outcomes.REASONS,
        recorded=outcome.get("recorded"),
        outcome_error=outcome.get("outcome_error"),
        account=found,
        history=history,
        timeline=pages.timeline(history, found["timezone"]),
        superseded=pages.superseded(history, found["timezone"]),
    )


def trends(
    user: GetUserDep,
    conninfo: ConninfoDep,
    portfolio: Annotated[str | None, Query(max_length=64, pattern=PORTFOLIO_NAME.pattern)] = None,
) -> HTMLResponse:
    """The last 30 evaluated days as charts, for the book or one portfolio."""
    with queries.reading(conninfo) as conn:
        data = queries.trends(conn, portfolio or None)
        choices = queries.portfolios(conn)
    charts = pages.trend_charts(
        data["days"], data["cases"], data["actions"], data["recovered"], data["monthly_rolls"], data["reasons"]
    )
    return render(
        "trends.html",
        user=user.get_name(),
        portfolio=portfolio,
        choices=choices,
        days=data["days"],
        charts=[(c, pages.chart_figures(c, data["days"], data["currency"], _)) for c in charts],
    )


def variants(
    user: GetUserDep,
    conninfo: ConninfoDep,
    portfolio: Annotated[str | None, Query(max_length=64, pattern=PORTFOLIO_NAME.pattern)] = None,
) -> HTMLResponse:
    """Champion and challengers side by side over the last 30 evaluated days (SPEC 9)."""
    with queries.reading(conninfo) as conn:
        data = queries.variants(conn, portfolio or None)
        choices = queries.portfolios(conn)
    return render(
        "variants.html",
        user=user.get_name(),
        portfolio=portfolio,
        choices=choices,
        from_day=data["from_day"],
        to_day=data["to_day"],
        rows=pages.variant_rows(data["rows"]),
    )


def recoveries(
    user: GetUserDep,
    conninfo: ConninfoDep,
    portfolio: Annotated[str | None, Query(max_length=64, pattern=PORTFOLIO_NAME.pattern)] = None,
) -> HTMLResponse:
    """The money recovered over the last 30 evaluated days, by stage, contact, bucket and variant (SPEC 8)."""
    with queries.reading(conninfo) as conn:
        data = queries.recoveries(conn, portfolio or None)
        choices = queries.portfolios(conn)
    total, unattributed, tables = pages.recovery_tables(data["rows"])
    return render(
        "recoveries.html",
        user=user.get_name(),
        portfolio=portfolio,
        choices=choices,
        from_day=data["from_day"],
        to_day=data["to_day"],
        total=total,
        unattributed=unattributed,
        promises=data["promises"],
        tables=tables,
    )


def capacity(user: GetUserDep, conninfo: ConninfoDep, as_of: dt.date | None = None) -> HTMLResponse:
    """Each region's load of the day (the latest unless ``as_of`` is given) against the deployed rosters' capacity."""
    from debt_collections import simulate

    roster = pages.deployed_rosters(simulate.POLICIES)
    with queries.reading(conninfo) as conn:
        day = as_of or queries.latest_as_of(conn)
        rows = queries.capacity(conn, day, roster) if day and roster else []
        recent = queries.recent_days(conn)
    return render("capacity.html", user=user.get_name(), as_of=day, recent=recent, roster=roster, rows=rows)


def _approval_policies() -> list[Any]:
    """The deployed policies with rungs that require approval (SPEC 11)."""
    from debt_collections import simulate

    return pages.deployed_approval_policies(simulate.POLICIES)


def _may_decide(user: Any, policy: Any) -> bool:
    """Whether ``user`` may decide on ``policy``'s approvals: the auth manager lets them answer the human-in-the-loop
    requests of its approvals DAG, and the rungs' ``approvers`` (when listed) name them."""
    from airflow.api_fastapi.app import get_auth_manager
    from airflow.api_fastapi.auth.managers.models.resource_details import DagAccessEntity, DagDetails

    approvers = {a for r in policy.approval_rungs for a in r.approval.approvers}
    if approvers and str(user.get_id()) not in approvers and user.get_name() not in approvers:
        return False
    return get_auth_manager().is_authorized_dag(
        method="PUT",
        access_entity=DagAccessEntity.HITL_DETAIL,
        details=DagDetails(id=f"{policy.dag_id}_approvals"),
        user=user,
    )


def approvals_page(
    request: Request,
    user: GetUserDep,
    conninfo: ConninfoDep,
    portfolio: Annotated[str | None, Query(max_length=64, pattern=PORTFOLIO_NAME.pattern)] = None,
) -> HTMLResponse:
    """The actions waiting for a decision, per portfolio, with the approve and reject form; the decisions taken."""
    return _approvals(request, user, conninfo, portfolio)


def _approvals(
    request: Request, user: Any, conninfo: str, portfolio: str | None, status_code: int = 200, **said: Any
) -> HTMLResponse:
    from debt_collections import plan
    from debt_collections.store import approvals as store

    groups = []
    policies = _approval_policies()
    for policy in policies:
        may = _may_decide(user, policy)
        for name in plan.waiting_for_approval(conninfo, policy):
            if portfolio and name != portfolio:
                continue
            listed = plan.approval_request(conninfo, policy, name)
            if listed:
                total = sum((i.overdue_amount or Decimal(0) for i in listed), Decimal(0))
                groups.append(
                    {
                        "portfolio": name,
                        "dag_id": policy.dag_id,
                        "listed": listed,
                        "total": pages.money(total),
                        "may_decide": may,
                    }
                )
    decisions = [d for d in store.decisions(conninfo, portfolio) if any(p.covers(d["portfolio"]) for p in policies)]
    return render(
        "approvals.html",
        status_code=status_code,
        user=user.get_name(),
        groups=groups,
        decisions=decisions,
        zone=pages.display_zone(policies),
        form_token=rerun.form_token(_user_token(request)),
        said=said.get("said"),
        error=said.get("error"),
    )


def decide(
    request: Request,
    user: GetUserDep,
    conninfo: ConninfoDep,
    portfolio: Annotated[str, Form(max_length=64, pattern=PORTFOLIO_NAME.pattern)],
    decision: Annotated[str, Form(pattern=r"^(approve|reject)$")],
    csrf: Annotated[str, Form(max_length=64)],
    keys: Annotated[list[str] | None, Form(max_length=200)] = None,
    reason: Annotated[str, Form(max_length=500, pattern=PRINTABLE)] = "",
) -> HTMLResponse:
    """Approve the chosen actions of a portfolio, or reject them with a reason (SPEC 11), as the user; only those
    still waiting are decided, and each decision goes to the audit trail."""
    from debt_collections import plan
    from debt_collections.domain import approvals

    policy = next((p for p in _approval_policies() if p.covers(portfolio)), None)
    if policy is None:
        raise StarletteHTTPException(404, _("no deployed policy asks for approvals in %(p)s", p=portfolio))
    if not _may_decide(user, policy):
        raise StarletteHTTPException(
            403, _("deciding on %(dag)s's approvals needs the approver permission", dag=policy.dag_id)
        )
    try:
        rerun.check_form_token(_user_token(request), csrf)
    except CollectionsError as exc:
        return _approvals(request, user, conninfo, portfolio, 400, error=str(exc))
    listed = plan.approval_request(conninfo, policy, portfolio)
    posted = set(keys or [])
    # each chosen action by its label: an account id would choose every action of the account listed
    chosen = [approvals.label(i) for i in listed if i.idempotency_key in posted]
    gone = len(posted - {i.idempotency_key for i in listed})  # decided since the page was read, or case closed
    if not chosen:
        why = _("none of the chosen actions waits any more") if gone else _("choose at least one action")
        return _approvals(request, user, conninfo, portfolio, 400, error=_("Nothing decided: %(why)s.", why=why))
    answer = approvals.read_answer(
        listed, chosen if decision == "approve" else [], chosen if decision == "reject" else [], reason
    )
    if answer.problems:
        return _approvals(
            request,
            user,
            conninfo,
            portfolio,
            400,
            error=_("Nothing decided: %(why)s.", why="; ".join(answer.problems)),
        )
    done = plan.apply_answer(conninfo, portfolio, listed, answer, decided_by=user.get_name(), via="collections_view")
    return _approvals(request, user, conninfo, portfolio, said=_decided_text(done, decision, answer.reason, gone))


def _decided_text(done: Any, decision: str, reason: str, gone: int) -> str:
    """What the Approvals page says after a decision."""
    said = (
        _(
            "Approved %(n)s action(s) of %(p)s: they go out with the next delivery (the outbox runs hourly).",
            n=done.approved,
            p=done.portfolio,
        )
        if decision == "approve"
        else _("Rejected %(n)s action(s) of %(p)s: %(reason)s", n=done.rejected, p=done.portfolio, reason=reason)
    )
    if done.decided_before + gone:
        said += " " + _(
            "%(n)s no longer waited (decided meanwhile, or the case closed): left as is.", n=done.decided_before + gone
        )
    return said


def _deployment_zone() -> str:
    from debt_collections import simulate

    return pages.display_zone(pages.deployed_policies(simulate.POLICIES))


def _policy_choices() -> list[str]:
    """The policy files a simulation may name: the deployment's, and the candidates beside them."""
    from debt_collections.policy.lint import policy_files
    from debt_collections.simulate import POLICIES

    return [p.name for p in policy_files(POLICIES)] + [
        f"candidates/{p.name}" for p in policy_files(POLICIES / "candidates")
    ]


def simulations(request: Request, user: GetUserDep, conninfo: ConninfoDep) -> HTMLResponse:
    """The kept simulations (SPEC 10), and a form that starts one as a run of the ``collections_simulate`` DAG."""
    with queries.reading(conninfo) as conn:
        kept = queries.simulations(conn)
        choices = queries.portfolios(conn)
        last = queries.latest_as_of(conn)
    return render(
        "simulations.html",
        user=user.get_name(),
        simulations=kept,
        zone=_deployment_zone(),
        choices=choices,
        policies=_policy_choices(),
        from_day=last - dt.timedelta(days=13) if last else None,
        to_day=last,
        form_token=rerun.form_token(_user_token(request)),
    )


def start_simulation(
    request: Request,
    user: GetUserDep,
    candidate: Annotated[str, Form(max_length=200)],
    from_day: Annotated[dt.date, Form()],
    to_day: Annotated[dt.date, Form()],
    csrf: Annotated[str, Form(max_length=64)],
    baseline: Annotated[str, Form(max_length=200)] = "",
    portfolios: Annotated[list[str] | None, Form()] = None,
) -> HTMLResponse:
    """Start a simulation: one ordinary run of ``collections_simulate``, started as the user."""
    token = _user_token(request)
    try:
        rerun.check_form_token(token, csrf)
        conf = rerun.simulation_conf(
            candidate, baseline, from_day, to_day, list(portfolios or [])[:200], _policy_choices()
        )
    except rerun.RerunError as exc:
        return render("simulation_started.html", status_code=400, user=user.get_name(), error=str(exc), run_id=None)
    note = f"simulation of {candidate} over {from_day} to {to_day} from the collections view"
    run_id, reason = rerun.start_run(rerun.api_base(), token, rerun.SIMULATE_DAG_ID, conf, note)
    return render(
        "simulation_started.html",
        status_code=502 if run_id is None else 200,
        user=user.get_name(),
        error=reason or None,
        run_id=run_id,
    )


def simulation(
    user: GetUserDep, conninfo: ConninfoDep, simulation_id: Annotated[int, Query(alias="id", ge=1)]
) -> HTMLResponse:
    """One kept simulation: its two sides day by day (SPEC 10)."""
    with queries.reading(conninfo) as conn:
        found = queries.simulation(conn, simulation_id)
    if found is None:
        detail = _("no simulation %(id)s is kept", id=simulation_id)
        return render("error.html", status_code=404, status=404, detail=detail)
    return render(
        "simulation.html",
        user=user.get_name(),
        sim=found,
        zone=_deployment_zone(),
        tables=pages.simulation_tables(found["result"]),
    )


def task(
    user: GetUserDep,
    conninfo: ConninfoDep,
    dag_id: Annotated[str, Query(max_length=250, pattern=PRINTABLE)],
    run_id: Annotated[str, Query(max_length=250, pattern=PRINTABLE)],
    task_id: Annotated[str, Query(max_length=250, pattern=PRINTABLE)],
    map_index: Annotated[int, Query(ge=-1)] = -1,
) -> Response:
    """Where a task's "Collections view" link lands: Today, for the run's day, portfolio and stage."""
    portfolio, as_of = metadata.task_in_airflow(dag_id, run_id, task_id, map_index)
    if not as_of:
        with queries.reading(conninfo) as conn:
            day = queries.run_day(conn, dag_id, run_id)
        as_of = day.isoformat() if day else None
    if not as_of:
        return render(
            "error.html",
            status_code=404,
            status=404,
            detail=_("run %(run)s of %(dag)s has reported no day yet", run=run_id, dag=dag_id),
        )
    query = {"as_of": as_of, "run_id": run_id}
    if portfolio and PORTFOLIO_NAME.match(portfolio):
        query["portfolio"] = portfolio
    if map_index >= 0 and task_id not in DAY_STEPS:  # a rung's task, named after its stage
        query["stage"] = task_id
    return RedirectResponse("today?" + urllib.parse.urlencode(query), status_code=303)


def headline(
    user: GetUserDep,
    conninfo: ConninfoDep,
    lang: Annotated[str | None, Query(max_length=35, pattern=r"^[A-Za-z0-9-]*$")] = None,
) -> JSONResponse:
    """The widget on Airflow's dashboard (ui/web/dashboard.jsx): each portfolio's latest day in a few numbers,
    each with the address of what it opens, labelled in ``lang`` (the language of Airflow's UI) when we have it."""
    with queries.reading(conninfo) as conn:
        view = pages.headline_view(queries.headline(conn))
    with i18n.speaking(lang) as spoken:
        labels = {
            "title": _("Collections"),
            "latest": _("Latest evaluated day: %(day)s", day=view["latest"]) if view["latest"] else "",
            "portfolio": _("portfolio"),
            "day": _("day"),
            "total": _("whole book"),
            "dry_run": _("dry run"),
            "behind": _("an earlier day than the book's latest"),
            "empty": _("No reported day yet."),
            "open": _("Open Collections"),
        }
        columns = [{"key": key, "label": _(label)} for key, label, _narrowing in pages.HEADLINE]
    return JSONResponse({**view, "lang": spoken, "labels": labels, "columns": columns}, headers=NO_STORE)


def dag_run(
    user: GetUserDep,
    conninfo: ConninfoDep,
    dag_id: Annotated[str, Query(max_length=250, pattern=PRINTABLE)],
    run_id: Annotated[str, Query(max_length=250, pattern=PRINTABLE)],
) -> HTMLResponse:
    """The Collections tab of a DAG run in Airflow: the figures the run reported per portfolio, each count opening
    the list behind it; a short note for a run of another DAG, or one that reported nothing (yet)."""
    from debt_collections import simulate

    with queries.reading(conninfo) as conn:
        rows = queries.run_report(conn, dag_id, run_id)
        day = rows[0]["as_of"] if rows else _conf_day(dag_id, run_id)
        others = [r for r in queries.portfolio_days(conn, day) if r["dag_id"] == dag_id] if day and not rows else []
        reporting = {r["dag_id"] for r in queries.portfolio_policies(conn).values()}
    return render(
        "run.html",
        user=user.get_name(),
        dag_id=dag_id,
        run_id=run_id,
        daily=bool(rows) or dag_id in reporting or dag_id in pages.daily_dag_ids(simulate.POLICIES),
        as_of=day,
        portfolios=[pages.portfolio_view(r) for r in rows],
        others=others,
    )


def _conf_day(dag_id: str, run_id: str) -> dt.date | None:
    """The day a run's conf names, when it is one."""
    try:
        return dt.date.fromisoformat(metadata.run_conf_day(dag_id, run_id) or "")
    except ValueError:
        return None


def index() -> RedirectResponse:
    """The app's root leads to the Today page."""
    return RedirectResponse("today", status_code=307)


async def _http_error(request: Request, exc: Exception) -> HTMLResponse:
    # Browsers get a readable page; the status code stays what Airflow's security answered.
    if not isinstance(exc, StarletteHTTPException):  # registered for HTTP errors only
        raise exc
    page = render("error.html", status_code=exc.status_code, status=exc.status_code, detail=exc.detail)
    if exc.headers:
        page.headers.update(exc.headers)
    return page


def _not_built(name: str) -> Response:
    detail = f"{name}: the front end is not built; run `make install` (npm ci, npm run build)"
    return Response(detail, status_code=404, media_type="text/plain")


def create_app() -> FastAPI:
    """The UI app; every route requires a user authenticated by Airflow's auth manager."""
    app = FastAPI(
        title="Collections",
        # Every route, present and future, goes through Airflow's user resolution
        # (bearer token or the UI's JWT cookie); the docs routes would not, so there are none.
        dependencies=[Depends(requires_authenticated())],
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.add_api_route("/", index, methods=["GET"], include_in_schema=False)
    app.add_api_route("/language", i18n.switch, methods=["GET"], include_in_schema=False)
    app.add_api_route("/today", today, methods=["GET"], response_class=HTMLResponse)
    app.add_api_route("/account", account, methods=["GET"], response_class=HTMLResponse)
    app.add_api_route("/account", search, methods=["POST"], response_class=HTMLResponse)
    app.add_api_route("/outcome", record_outcome, methods=["POST"], response_class=HTMLResponse)
    app.add_api_route("/trends", trends, methods=["GET"], response_class=HTMLResponse)
    app.add_api_route("/variants", variants, methods=["GET"], response_class=HTMLResponse)
    app.add_api_route("/list", worklist, methods=["GET"])
    app.add_api_route("/recoveries", recoveries, methods=["GET"], response_class=HTMLResponse)
    app.add_api_route("/capacity", capacity, methods=["GET"], response_class=HTMLResponse)
    app.add_api_route("/approvals", approvals_page, methods=["GET"], response_class=HTMLResponse)
    app.add_api_route("/approvals", decide, methods=["POST"], response_class=HTMLResponse)
    app.add_api_route("/simulations", simulations, methods=["GET"], response_class=HTMLResponse)
    app.add_api_route("/simulate", start_simulation, methods=["POST"], response_class=HTMLResponse)
    app.add_api_route("/simulation", simulation, methods=["GET"], response_class=HTMLResponse)
    app.add_api_route("/rerun", start_rerun, methods=["POST"], response_class=HTMLResponse)
    app.add_api_route("/rerun-range", rerun_range, methods=["POST"], response_class=HTMLResponse)
    app.add_api_route("/task", task, methods=["GET"], response_class=HTMLResponse)
    app.add_api_route("/run", dag_run, methods=["GET"], response_class=HTMLResponse)
    app.add_api_route("/api/headline", headline, methods=["GET"])
    if STATIC.is_dir():
        app.mount("/static", StaticFiles(directory=STATIC), name="static")
    else:  # not built (an install without `make install`): say so, rather than fail on every script
        app.add_api_route("/static/{name:path}", _not_built, methods=["GET"], include_in_schema=False)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_middleware(i18n.LanguageMiddleware)
    return app
