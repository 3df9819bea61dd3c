// The Collections widget on Airflow's dashboard (the plugin's react app, destination "dashboard"): each
// portfolio's latest evaluated day in a few numbers, from GET /collections/api/headline, each number a link to
// the accounts behind it, opened in the Collections view inside Airflow's shell.
//
// Airflow imports this module and renders globalThis.AirflowPlugin with its own React, which it does not share:
// a component of ours that called hooks would run them against a React copy that is not rendering. So the
// exported component only returns a host element (a plain React element object, the same in every React 19)
// whose ref callback mounts a root of our own React on it and unmounts it in the ref's cleanup; everything
// else renders in that root. It is styled with Airflow's Chakra CSS variables, present on the host document,
// so it follows Airflow's light and dark mode; its words come from the server in Airflow's UI language.
import { useEffect, useState } from "react";
import { createRoot } from "react-dom/client";

const APP = "collections/"; // the Collections app (plugin.py's UI_PREFIX), relative to Airflow's base URL
const NAV = "plugin/collections"; // Airflow's route of the Collections entry (plugin.py's NAV_ROUTE)

// Airflow's UI language as its i18next keeps it (the server answers in it when it has it)
function uiLanguage() {
  try {
    return window.localStorage.getItem("i18nextLng") || "";
  } catch {
    return "";
  }
}

// A page of the Collections app ("list?...", relative to the app) inside Airflow's shell: Airflow's route
// /plugin/collections/<the page's path> shows that page in the Collections entry's frame.
function inAirflow(href) {
  const page = new URL(APP + href, document.baseURI);
  return new URL(NAV + page.pathname + page.search + page.hash, document.baseURI).href;
}

const muted = { color: "var(--chakra-colors-fg-muted)" };
const link = { color: "var(--chakra-colors-fg-info)", textDecoration: "underline" };
const cell = {
  borderBottom: "1px solid var(--chakra-colors-border)",
  padding: "4px 10px",
  textAlign: "right",
  fontVariantNumeric: "tabular-nums",
  whiteSpace: "nowrap",
};
const head = { ...cell, ...muted, fontWeight: 600, background: "var(--chakra-colors-bg-subtle)" };
const card = {
  color: "var(--chakra-colors-fg)",
  background: "var(--chakra-colors-bg)",
  border: "1px solid var(--chakra-colors-border)",
  borderRadius: "var(--chakra-radii-l3, 8px)",
  padding: "12px 16px",
  fontSize: "14px",
};

function Figure({ cellOf }) {
  return cellOf.text === "0" ? cellOf.text : <a style={link} href={inAirflow(cellOf.href)}>{cellOf.text}</a>;
}

function Row({ row, columns, labels }) {
  return (
    <tr data-portfolio={row.portfolio}>
      <th scope="row" style={{ ...cell, textAlign: "left" }}>
        <a style={link} href={inAirflow(row.href)}>{row.portfolio}</a>
        <div style={{ ...muted, fontWeight: 400, fontSize: "12px" }}>{row.dag_id}</div>
      </th>
      <td style={{ ...cell, ...(row.behind ? muted : {}) }} title={row.behind ? labels.behind : undefined}>
        {row.as_of}
        {row.dry_run ? ` · ${labels.dry_run}` : ""}
      </td>
      {columns.map((c) => (
        <td key={c.key} style={cell} data-figure={c.key}>
          <Figure cellOf={row.cells[c.key]} />
        </td>
      ))}
    </tr>
  );
}

function Table({ data }) {
  const { columns, labels, rows, total } = data;
  return (
    <div style={{ overflowX: "auto" }}>
      <table style={{ borderCollapse: "collapse", width: "100%" }}>
        <thead>
          <tr>
            <th scope="col" style={{ ...head, textAlign: "left" }}>{labels.portfolio}</th>
            <th scope="col" style={head}>{labels.day}</th>
            {columns.map((c) => (
              <th scope="col" key={c.key} style={head}>{c.label}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <Row key={r.portfolio} row={r} columns={columns} labels={labels} />
          ))}
        </tbody>
        <tfoot>
          <tr data-portfolio="">
            <th scope="row" colSpan={2} style={{ ...cell, textAlign: "left" }}>{labels.total}</th>
            {columns.map((c) => (
              <td key={c.key} style={{ ...cell, fontWeight: 600 }} data-figure={c.key}>
                <Figure cellOf={total[c.key]} />
              </td>
            ))}
          </tr>
        </tfoot>
      </table>
    </div>
  );
}

function Headline() {
  const [language, setLanguage] = useState(uiLanguage);
  const [answer, setAnswer] = useState({ data: null, error: null });
  useEffect(() => {
    // Airflow changes its language without reloading: follow it
    const timer = setInterval(() => setLanguage(uiLanguage()), 2000);
    return () => clearInterval(timer);
  }, []);
  useEffect(() => {
    const stop = new AbortController();
    const url = new URL(`${APP}api/headline?lang=${encodeURIComponent(language)}`, document.baseURI);
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" }, signal: stop.signal })
      .then((r) => (r.ok ? r.json() : Promise.reject(new Error(`HTTP ${r.status}`))))
      .then(
        (data) => setAnswer({ data, error: null }),
        (e) => e.name !== "AbortError" && setAnswer({ data: null, error: String(e.message || e) }),
      );
    return () => stop.abort();
  }, [language]);
  const { data, error } = answer;
  return (
    <section style={card} aria-labelledby="collections-today-title" data-collections-widget={data ? "ready" : "loading"}>
      <div style={{ display: "flex", gap: "12px", alignItems: "baseline", flexWrap: "wrap", marginBottom: "8px" }}>
        <h2 id="collections-today-title" style={{ fontSize: "18px", fontWeight: 600, margin: 0 }}>
          {data ? data.labels.title : "Collections"}
        </h2>
        {data && <span style={muted}>{data.labels.latest}</span>}
        {data && (
          <a style={{ ...link, marginLeft: "auto" }} href={inAirflow("today")}>{data.labels.open}</a>
        )}
      </div>
      {error && <p style={muted}>Collections: {error}</p>}
      {data && (data.rows.length ? <Table data={data} /> : <p style={muted}>{data.labels.empty}</p>)}
    </section>
  );
}

// React 19 calls a ref callback's returned function when the element goes: the root goes with it. A function
// defined once, so that Airflow's re-renders keep the same ref and the root stays mounted.
function mount(node) {
  const root = createRoot(node);
  root.render(<Headline />);
  return () => root.unmount();
}

export default function CollectionsToday() {
  return <div ref={mount} data-collections-root="" />;
}

globalThis.AirflowPlugin = CollectionsToday;
