// The Collections pages' front end, built with esbuild from the packages package-lock.json pins
// (`npm ci`): each entry below into plugins/collections/ui/static/ (gitignored), which the
// Collections app serves at /collections/static/. `make install` runs it (`npm run build`);
// nothing built is committed. Same input, same output: no timestamps, no source maps.
import { build } from "esbuild";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "..", "static");
mkdirSync(out, { recursive: true });

const entries = [
  // the charts of the Trends page (Apache ECharts), a classic script
  { in: "charts.js", out: "charts.js", format: "iife" },
  // the widget on Airflow's dashboard (react_apps): Airflow imports it as an ES module
  { in: "dashboard.jsx", out: "dashboard.js", format: "esm" },
];

for (const entry of entries) {
  await build({
    entryPoints: [join(here, entry.in)],
    outfile: join(out, entry.out),
    bundle: true,
    minify: true,
    format: entry.format,
    target: ["es2020"],
    jsx: "automatic",
    define: { "process.env.NODE_ENV": '"production"' },
    legalComments: "linked",
    logLevel: "warning",
  });
}
writeFileSync(join(out, "BUILT"), "built by plugins/collections/ui/web/build.mjs from package-lock.json\n");
