// Opens each HTML report given on the command line in headless Chromium
// (Debian's /usr/bin/chromium, driven by playwright-core from
// target/browser-node, which .ci/browser.sh installs) and fails, naming the
// report and the problem, on:
//   - a console error or an uncaught page error;
//   - any request other than the report's own file (reports are
//     self-contained: nothing from the network, no other file);
//   - an empty chart: an <svg> without a drawn mark of non-zero size
//     (rect, path, circle, polygon; lines count only beside those) or
//     without a text label;
//   - text that does not fit: a page wider than a 1280 px window, an svg
//     label outside its chart or over another label, a table cell
//     whose content is clipped (scrollWidth > clientWidth), an identifier
//     (<code> in a table cell) broken over two lines.
// It saves a full-page PNG of each report into the --screenshots directory.
//
//   node tests/browser/check-reports.mjs --screenshots DIR REPORT.html...
import { createRequire } from "node:module";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";

const require = createRequire(new URL("../../target/browser-node/", import.meta.url));
const { chromium } = require("playwright-core");

const args = process.argv.slice(2);
let shots = "target/browser-artifacts";
const files = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--screenshots") shots = args[++i];
  else files.push(args[i]);
}
if (files.length === 0) {
  console.error("usage: check-reports.mjs [--screenshots DIR] REPORT.html...");
  process.exit(2);
}
mkdirSync(shots, { recursive: true });

// What is measured inside the page; returns a list of problems.
function inspect() {
  const problems = [];
  const label = (el, i) => el.getAttribute("aria-label") || `svg #${i + 1}`;
  document.querySelectorAll("svg").forEach((svg, i) => {
    const box = svg.getBoundingClientRect();
    const sized = (el) => {
      const r = el.getBoundingClientRect();
      return r.width > 0.5 && r.height > 0.5;
    };
    const marks = [...svg.querySelectorAll("rect, path, circle, ellipse, polygon, polyline")].filter(sized);
    const texts = [...svg.querySelectorAll("text")].filter((t) => t.textContent.trim() !== "");
    if (box.width < 1 || box.height < 1) problems.push(`empty chart \`${label(svg, i)}\`: the svg has no size`);
    else if (marks.length === 0) problems.push(`empty chart \`${label(svg, i)}\`: no drawn mark of non-zero size`);
    if (texts.length === 0) problems.push(`empty chart \`${label(svg, i)}\`: no text label`);
    for (const t of texts) {
      const r = t.getBoundingClientRect();
      if (r.left < box.left - 1 || r.right > box.right + 1 || r.top < box.top - 1 || r.bottom > box.bottom + 1) {
        problems.push(`clipped label in chart \`${label(svg, i)}\`: \`${t.textContent.trim()}\` runs outside the chart`);
      }
    }
  });
  // Texts of two labels that overlap each other (cheap: pairwise in a chart).
  document.querySelectorAll("svg").forEach((svg, i) => {
    const ts = [...svg.querySelectorAll("text")];
    const rs = ts.map((t) => [t.textContent.trim(), t.getBoundingClientRect()]);
    // The box of a slanted label is not its outline: only upright ones.
    const rotated = (k) => ts[k].hasAttribute("transform");
    for (let a = 0; a < rs.length; a++) {
      for (let b = a + 1; b < rs.length; b++) {
        const [ta, x] = rs[a];
        const [tb, y] = rs[b];
        const w = Math.min(x.right, y.right) - Math.max(x.left, y.left);
        const h = Math.min(x.bottom, y.bottom) - Math.max(x.top, y.top);
        if (w > 2 && h > 2 && !rotated(a) && !rotated(b)) problems.push(`overlapping labels in chart \`${label(svg, i)}\`: \`${ta}\` and \`${tb}\``);
      }
    }
  });
  const page = document.documentElement.scrollWidth;
  if (page > window.innerWidth) {
    problems.push(`page wider than the window: ${page}px in ${window.innerWidth}px (a table or chart does not fit)`);
  }
  document.querySelectorAll("td, th").forEach((cell) => {
    if (cell.scrollWidth > cell.clientWidth + 1) {
      problems.push(`clipped cell: \`${cell.textContent.trim().slice(0, 60)}\` (${cell.scrollWidth}px of content in ${cell.clientWidth}px)`);
    }
    cell.querySelectorAll("code").forEach((c) => {
      const lines = new Set([...c.getClientRects()].map((r) => Math.round(r.top)));
      if (lines.size > 1) problems.push(`clipped id: \`${c.textContent}\` wraps onto ${lines.size} lines in its cell`);
    });
  });
  return problems;
}

const userDataDir = mkdtempSync(path.join(tmpdir(), "semaforo-chromium-"));
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  viewport: { width: 1280, height: 900 },
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
});
let failed = 0;
try {
  for (const file of files) {
    const url = pathToFileURL(path.resolve(file)).href;
    const problems = [];
    const page = await context.newPage();
    page.on("console", (m) => {
      if (m.type() === "error") problems.push(`console error: ${m.text()}`);
    });
    page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
    // Only the report itself may load; everything else is refused.
    await page.route("**/*", (route) => {
      const u = route.request().url();
      if (u === url) return route.continue();
      problems.push(`network request: ${u} (a report must be self-contained)`);
      return route.abort();
    });
    await page.goto(url, { waitUntil: "load" });
    problems.push(...(await page.evaluate(inspect)));
    // The console error of a refused request is already named above.
    const seen = new Set();
    const report = problems.filter((p) => !p.startsWith("console error: Failed to load resource") && !seen.has(p) && seen.add(p));
    const shot = path.join(shots, path.basename(file, ".html") + ".png");
    await page.screenshot({ path: shot, fullPage: true });
    await page.close();
    if (report.length > 0) {
      failed++;
      console.log(`FAIL ${file} (screenshot ${shot}):`);
      for (const p of report) console.log(`  - ${p}`);
    } else {
      console.log(`ok   ${file} (screenshot ${shot})`);
    }
  }
} finally {
  await context.close();
  rmSync(userDataDir, { recursive: true, force: true });
}
console.log(`screenshots (the CI artifact): ${shots}/`);
if (failed > 0) {
  console.log(`${failed} of ${files.length} report(s) failed the browser check`);
  process.exit(1);
}
console.log(`${files.length} report(s) passed the browser check`);
