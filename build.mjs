// Bundles the widget's front end (js/) into what anywidget loads: src/live_transcriber/static/widget.js and widget.css.
// `npm run build` writes them once; `npm run watch` rewrites them on every change of a source.
// The bundle is committed, so that installing from git or running the demo needs no Node: it must
// stay readable (not minified) and come out byte-identical from the same sources (scripts/test.sh
// checks that the committed files match).
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";

import * as esbuild from "esbuild";

const banner = "Built from js/ by build.mjs (`npm run build`): edit the sources there, not this file.";

/** @type {esbuild.BuildOptions} */
const options = {
  // Paths in the bundle's comments are relative to this, so they do not depend on where the build runs.
  absWorkingDir: dirname(fileURLToPath(import.meta.url)),
  entryPoints: ["js/widget.js", "js/widget.css"],
  outdir: "src/live_transcriber/static",
  bundle: true,
  format: "esm",
  // Non-ASCII text (…, ×, ↑) as written, not as \u escapes.
  charset: "utf8",
  banner: { js: `// ${banner}`, css: `/* ${banner} */` },
  logLevel: "info",
};

if (process.argv.includes("--watch")) {
  const context = await esbuild.context(options);
  await context.watch();
} else {
  await esbuild.build(options);
}
