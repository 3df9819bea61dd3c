// The charts of the Collections pages, drawn in the browser with Apache ECharts (only what a line chart needs:
// tree-shaken from echarts/core). The server renders, for each chart, an empty
//   <div class="chart-canvas" data-chart-id="KEY">  and  <script type="application/json" data-chart-figures="KEY">
// with its figures (ui/pages.py chart_figures: the days, the unit, each series' values as exact decimal text and
// the table's figure of each point); the same figures are in the table under the chart. Each chart takes its
// section's width and follows it; a tooltip lists every series' value of the day under the mouse, formatted in the
// page's language; the colours are the page's light or dark mode (base.html's CSS variables), redrawn when the
// mode changes.
import * as echarts from "echarts/core";
import { LineChart } from "echarts/charts";
import { GridSimpleComponent, LegendPlainComponent, TooltipComponent } from "echarts/components";
import { SVGRenderer } from "echarts/renderers";

echarts.use([LineChart, GridSimpleComponent, LegendPlainComponent, TooltipComponent, SVGRenderer]);

// line colours with contrast on the page's background: Tableau 10 on light, ECharts' dark theme's on dark
const PALETTES = {
  light: ["#4e79a7", "#f28e2b", "#e15759", "#59a14f", "#b07aa1", "#9c755f", "#76b7b2", "#ff9da7", "#edc948"],
  dark: ["#4992ff", "#fddd60", "#ff6e76", "#7cffb2", "#dd79ff", "#ff8a45", "#58d9f9", "#05c091", "#8d48e3"],
};
const lang = document.documentElement.lang || "en";

// a CSS colour as sRGB: base.html's variables are oklch(...), which ECharts does not read
const paint = document.createElement("canvas").getContext("2d", { willReadFrequently: true });
function rgb(css) {
  paint.clearRect(0, 0, 1, 1);
  paint.fillStyle = "#000";
  paint.fillStyle = css;
  paint.fillRect(0, 0, 1, 1);
  const [r, g, b] = paint.getImageData(0, 0, 1, 1).data;
  return `rgb(${r}, ${g}, ${b})`;
}

function theme() {
  const root = document.documentElement;
  const style = getComputedStyle(root);
  const css = (name) => rgb(style.getPropertyValue(name).trim());
  const mode = root.classList.contains("dark") ? "dark" : "light";
  return {
    mode,
    palette: PALETTES[mode],
    fg: css("--fg"),
    muted: css("--fg-muted"),
    border: css("--border"),
    bg: css("--bg"),
    font: getComputedStyle(document.body).fontFamily,
  };
}

// Intl formats a decimal string exactly (no float in between): the tooltip shows the server's figures as they are
function formats(unit, currency) {
  const nf = (options) => new Intl.NumberFormat(lang, options);
  if (unit === "percent") {
    return { value: nf({ style: "percent", maximumFractionDigits: 1 }), axis: nf({ style: "percent", maximumFractionDigits: 0 }) };
  }
  const axis = nf({ notation: "compact", maximumFractionDigits: 1 });
  if (unit === "money") {
    if (/^[A-Z]{3}$/.test(currency)) {
      return { value: nf({ style: "currency", currency, currencyDisplay: "code" }), axis };
    }
    // several currencies (the whole book), or none known: the amount and the codes, as the pages write them
    const amount = nf({ minimumFractionDigits: 2, maximumFractionDigits: 2 });
    return { value: { format: (v) => (currency ? `${amount.format(v)} ${currency}` : amount.format(v)) }, axis };
  }
  return { value: nf({ maximumFractionDigits: 0 }), axis };
}

const escape = (text) =>
  String(text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);

function option(state, look) {
  const { figures } = state;
  const format = formats(figures.unit, figures.currency);
  const tooltip = (params) => {
    const i = (Array.isArray(params) ? params[0] : params).dataIndex;
    const rows = figures.series
      .map((s, n) => ({ s, n }))
      .filter(({ s }) => state.selected[s.name] !== false)
      .map(({ s, n }) => {
        const v = s.values[i];
        let shown = v === null ? "–" : format.value.format(v);
        if (figures.unit === "percent") shown += ` (${s.figures[i]})`;
        const colour = look.palette[n % look.palette.length];
        return (
          `<div class="chart-tooltip-row" data-series="${escape(s.name)}" style="display:flex;gap:1.5em;justify-content:space-between">` +
          `<span><span style="display:inline-block;width:.7em;height:.7em;border-radius:50%;margin-right:.4em;background:${colour}"></span>` +
          `${escape(s.name)}</span><span class="chart-tooltip-value" style="font-variant-numeric:tabular-nums">${escape(shown)}</span></div>`
        );
      });
    return `<div class="chart-tooltip-day" style="font-weight:bold">${escape(figures.days[i])}</div>${rows.join("")}`;
  };
  return {
    animation: false,
    color: look.palette,
    textStyle: { color: look.fg, fontFamily: look.font },
    grid: { left: 8, right: 24, top: 56, bottom: 8, outerBoundsMode: "same", outerBoundsContain: "axisLabel" },
    legend: {
      top: 0,
      left: 0,
      textStyle: { color: look.fg },
      inactiveColor: look.muted,
      selected: state.selected,
    },
    tooltip: {
      trigger: "axis",
      className: "chart-tooltip",
      confine: true,
      backgroundColor: look.bg,
      borderColor: look.border,
      textStyle: { color: look.fg, fontFamily: look.font },
      axisPointer: { type: "line", lineStyle: { color: look.muted } },
      formatter: tooltip,
    },
    xAxis: {
      type: "category",
      boundaryGap: false,
      data: figures.days,
      axisLabel: { color: look.fg, hideOverlap: true },
      axisLine: { lineStyle: { color: look.muted } },
      axisTick: { alignWithLabel: true, lineStyle: { color: look.muted } },
    },
    yAxis: {
      type: "value",
      min: 0,
      minInterval: figures.unit === "count" ? 1 : 0,
      axisLabel: { color: look.fg, formatter: (v) => format.axis.format(v) },
      splitLine: { lineStyle: { color: look.border } },
    },
    series: figures.series.map((s) => ({
      type: "line",
      name: s.name,
      // the drawing only: the tooltip formats the exact text
      data: s.values.map((v) => (v === null ? null : Number(v))),
      connectNulls: false,
      showSymbol: true,
      symbolSize: 5,
      emphasis: { focus: "series" },
    })),
  };
}

const charts = [];
for (const el of document.querySelectorAll(".chart-canvas[data-chart-id]")) {
  const source = document.querySelector(`script[data-chart-figures="${CSS.escape(el.dataset.chartId)}"]`);
  if (!source) continue;
  const figures = JSON.parse(source.textContent);
  const chart = echarts.init(el, null, { renderer: "svg" });
  const state = { figures, chart, selected: {} };
  chart.on("legendselectchanged", (e) => {
    state.selected = e.selected;
  });
  chart.setOption(option(state, theme()));
  new ResizeObserver(() => chart.resize()).observe(el);
  charts.push(state);
}

// base.html sets class "dark" or "light" on <html> as Airflow's mode changes: draw again in the new colours
let mode = document.documentElement.classList.contains("dark");
new MutationObserver(() => {
  const now = document.documentElement.classList.contains("dark");
  if (now === mode) return;
  mode = now;
  const look = theme();
  for (const state of charts) state.chart.setOption(option(state, look), { notMerge: true });
}).observe(document.documentElement, { attributes: true, attributeFilter: ["class"] });
