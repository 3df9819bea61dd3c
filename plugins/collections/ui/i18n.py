"""The Collections pages in English and Simplified Chinese: the language of a request, and its messages.

The catalogs are the ``.po`` files under ``ui/locale/`` (msgids are the English text); they are read with
Babel when first needed, so nothing generated is kept in the repository or built at install time. A request's
language is the ``collections_lang`` cookie when it names one we have, else the browser's preference
(``Accept-Language``), else English. Money and dates are not localised: amounts keep their thousands
separators and currency, days stay ISO (they are what the operations team copies into queries and tickets).
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import io
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, Any

import jinja2
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from fastapi import Query

LANGUAGES = {"en": "English", "zh-CN": "中文"}
DEFAULT = "en"
COOKIE = "collections_lang"
LOCALE = Path(__file__).resolve().parent / "locale"
# the Babel locale of each language with a catalog (English is the msgids themselves)
CATALOGS = {"zh-CN": "zh_CN"}

_language: contextvars.ContextVar[str] = contextvars.ContextVar("collections_language", default=DEFAULT)
_here: contextvars.ContextVar[str] = contextvars.ContextVar("collections_here", default="today")


def N_(message: str) -> str:
    """Marks ``message`` for the catalog where it is defined; it is translated where it is shown."""
    return message


def catalog_path(language: str) -> Path:
    """The ``.po`` file of ``language``."""
    return LOCALE / CATALOGS[language] / "LC_MESSAGES" / "messages.po"


@functools.cache
def translations(language: str) -> NullTranslations:
    """The messages of ``language`` (English: the msgids as they are)."""
    if language not in CATALOGS:
        return NullTranslations()
    with catalog_path(language).open("rb") as po:
        catalog = read_po(po, locale=CATALOGS[language])
    compiled = io.BytesIO()
    write_mo(compiled, catalog)  # fuzzy entries are left out, as msgfmt does
    compiled.seek(0)
    return Translations(compiled)


def _accepted(header: str) -> list[str]:
    """The language tags of an ``Accept-Language`` header, most wanted first (q=0 left out)."""
    ranked = []
    for n, part in enumerate(header.split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        match = re.search(r"q=([0-9.]+)", params)
        try:
            q = float(match.group(1)) if match else 1.0
        except ValueError:
            q = 0.0
        if tag and q > 0:
            ranked.append((-q, n, tag.strip().lower()))
    return [tag for _, _, tag in sorted(ranked)]


def choose(cookie: str | None, accept_language: str | None) -> str:
    """The language of a request: the cookie's choice, else the first of the browser's we have, else English.
    Any Chinese (``zh``, ``zh-Hans``, ``zh-TW``) reads the zh-CN catalog, the only Chinese one."""
    if cookie in LANGUAGES:
        return cookie
    for tag in _accepted(accept_language or ""):
        found = ours(tag) or ("en" if tag == "*" else None)
        if found:
            return found
    return DEFAULT


def ours(tag: str) -> str | None:
    """The language of ours a language tag reads (any Chinese: zh-CN, the only Chinese catalog), or None."""
    tag = tag.strip().lower()
    if tag == "zh" or tag.startswith("zh-"):
        return "zh-CN"
    return "en" if tag == "en" or tag.startswith("en-") else None


def current() -> str:
    """The language of the request being answered."""
    return _language.get()


def gettext(message: str, **values: Any) -> str:
    """``message`` in the request's language, with ``%(name)s`` placeholders filled from ``values``."""
    text = translations(current()).gettext(message)
    return text % values if values else text


def ngettext(singular: str, plural: str, n: int, **values: Any) -> str:
    """The singular or plural form of a message for ``n``, in the request's language (``%(num)d`` is ``n``)."""
    return translations(current()).ngettext(singular, plural, n) % {"num": n, **values}


_ = gettext


@contextlib.contextmanager
def speaking(tag: str | None) -> Iterator[str]:
    """Messages in the language ``tag`` names (e.g. the language of Airflow's UI, for a widget shown in it) when
    it is one of ours, else in the request's."""
    token = _language.set(ours(tag or "") or current())
    try:
        yield current()
    finally:
        _language.reset(token)


def here() -> str:
    """Where the language switch leads back to: this page, or Today after a form's post."""
    return _here.get()


SAFE_NEXT = re.compile(r"^[a-z][a-z0-9_-]*(\?[^\s#\\]*)?$")


def safe_next(target: str) -> str:
    """``target`` when it is a page of this app (relative, no scheme or host), else Today."""
    return target if SAFE_NEXT.match(target) else "today"


class LanguageMiddleware:
    """Sets the request's language (and the page to come back to) for the templates and messages."""

    def __init__(self, app: Callable[..., Any]) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Callable[..., Any], send: Callable[..., Any]) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        cookies = _cookies(headers.get("cookie", ""))
        language = _language.set(choose(cookies.get(COOKIE), headers.get("accept-language")))
        page = scope.get("path", "").rsplit("/", 1)[-1] or "today"
        query = scope.get("query_string", b"").decode("latin-1")
        here = _here.set(safe_next(f"{page}?{query}" if query else page) if scope.get("method") == "GET" else "today")
        try:
            await self.app(scope, receive, send)
        finally:
            _language.reset(language)
            _here.reset(here)


def switch(lang: Annotated[str, Query(max_length=16)], next: Annotated[str, Query(max_length=2000)] = "today") -> Any:
    """The language switch of every page: remember the choice in a cookie for a year, back to the page."""
    from fastapi.responses import RedirectResponse

    answer = RedirectResponse(safe_next(next), status_code=303)
    if lang in LANGUAGES:
        answer.set_cookie(COOKIE, lang, max_age=365 * 24 * 3600, path="/", samesite="lax", httponly=True)
    return answer


def _cookies(header: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for part in header.split(";"):
        name, _, value = part.strip().partition("=")
        found.setdefault(name, value.strip('"'))
    return found


def environments(make: Callable[[], jinja2.Environment]) -> dict[str, jinja2.Environment]:
    """A template environment per language, each with its catalog installed (``{% trans %}``, ``_()``): one
    per language rather than one switched per request, so that concurrent requests never share a catalog."""
    envs = {}
    for language in LANGUAGES:
        env = make()
        env.add_extension("jinja2.ext.i18n")
        env.policies["ext.i18n.trimmed"] = True  # a message's line breaks and indentation are not part of it
        env.install_gettext_translations(translations(language), newstyle=True)  # type: ignore[attr-defined]
        env.globals.update(lang=language, languages=LANGUAGES, here=here)
        envs[language] = env
    return envs


# -- the catalogs: what the pages say, gathered from the code (``make messages``) --------------------------
SOURCES = [
    ("templates/**.html", "jinja2"),
    ("app.py", "python"),
    ("pages.py", "python"),
]
# as the environments above read the templates; not silent: a template that does not parse is an error here
TEMPLATE_OPTIONS = {"trimmed": "true", "newstyle_gettext": "true", "trim_blocks": "true", "lstrip_blocks": "true"}


def extract() -> Any:
    """The messages of the templates and of ``app.py``/``pages.py`` (``_``, ``gettext``, ``ngettext``, ``N_``),
    as a Babel catalog."""
    from babel.messages.catalog import Catalog
    from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir

    catalog = Catalog(project="debt-collections", fuzzy=False)
    found = extract_from_dir(
        str(Path(__file__).resolve().parent),
        method_map=SOURCES,
        options_map={"templates/**.html": {**TEMPLATE_OPTIONS, "silent": "false"}},
        keywords={**DEFAULT_KEYWORDS, "N_": None},
    )
    for filename, lineno, message, comments, context in found:
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def update_catalogs() -> None:
    """Bring each language's ``.po`` up to date with the code: new messages added untranslated, gone ones
    kept as obsolete (``make messages``; then translate what is new)."""
    from babel.messages.pofile import write_po

    template = extract()
    for language, locale in CATALOGS.items():
        path = catalog_path(language)
        with path.open("rb") as po:
            catalog = read_po(po, locale=locale)
        before = {(m.id, m.string, m.fuzzy) for m in catalog if m.id}
        catalog.update(template, update_creation_date=False)
        if before == {(m.id, m.string, m.fuzzy) for m in catalog if m.id} and not catalog.obsolete:
            continue  # the code says nothing new: the file stays as it is
        with path.open("wb") as po:
            write_po(po, catalog, width=120, include_lineno=False)
