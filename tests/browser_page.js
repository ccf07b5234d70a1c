// Load a page in headless Chromium through playwright-core and print, as JSON, what a reader
// would see (the DOM's text and structure) and everything the page did: console messages,
// uncaught errors, dialogs (an injected alert), and every request it made.
// Usage: NODE_PATH=<node_modules> node browser_page.js CHROMIUM_EXECUTABLE FILE_URL
const { chromium } = require("playwright-core");

async function main() {
  const [executablePath, url] = process.argv.slice(2);
  const browser = await chromium.launch({
    executablePath,
    // Without these Chromium phones home at start, and a closed network refuses it noisily.
    args: [
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
  const seen = { console: [], errors: [], dialogs: [], requests: [] };
  try {
    const page = await browser.newPage();
    page.on("console", (message) => seen.console.push({ type: message.type(), text: message.text() }));
    page.on("pageerror", (error) => seen.errors.push(String(error)));
    page.on("dialog", async (dialog) => {
      seen.dialogs.push(dialog.message());
      await dialog.dismiss();
    });
    page.on("request", (request) => seen.requests.push(request.url()));
    await page.goto(url, { waitUntil: "load" });
    seen.dom = await page.evaluate(() => ({
      title: document.title,
      text: document.body.innerText,
      ruleSections: [...document.querySelectorAll("section.rule:not(.waived) h3 code")].map(
        (code) => code.textContent,
      ),
      findings: [...document.querySelectorAll("section.rule:not(.waived) li")].map((item) => ({
        where: item.querySelector(".where").textContent,
        fixable: item.querySelector(".badge") !== null,
      })),
      scripts: document.scripts.length,
      images: document.images.length,
      elements: [...new Set([...document.querySelectorAll("*")].map((e) => e.localName))].sort(),
      styled: getComputedStyle(document.querySelector(".counts")).display,
      charts: [...document.querySelectorAll("figure.chart")].map((figure) => ({
        rule: figure.dataset.rule,
        width: figure.querySelector("svg").getBoundingClientRect().width,
        commits: [...figure.querySelectorAll("g.commit")].map((bar) => ({
          title: bar.querySelector("title").textContent,
          drawn: [...bar.querySelectorAll("rect")].map((rect) => ({
            fill: rect.getAttribute("fill"),
            height: rect.getBoundingClientRect().height,
          })),
        })),
      })),
    }));
  } finally {
    await browser.close();
  }
  process.stdout.write(JSON.stringify(seen));
}

main().catch((error) => {
  process.stderr.write(String(error && error.stack ? error.stack : error));
  process.exit(1);
});
