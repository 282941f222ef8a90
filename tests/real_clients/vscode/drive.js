// Drive the real VS Code workbench (code-server) with Debian's chromium (playwright-core).
// Usage: node drive.js URL WORKSPACE OUT_DIR EXPECTED_JSON
//   EXPECTED_JSON: {"files": {"orders/migrations/0002_order_number.py": 1, ...},   (problems per file)
//                   "fix": {"path": "...", "line": 26, "title": "Add reverse noop"}}
// Writes OUT_DIR/vscode-result.json ({ok, error, steps}) and screenshots; exit 0 = pass.
'use strict';
const fs = require('fs');
const path = require('path');
const { chromium } = require('playwright-core');

const [BASE, WS, OUT, EXPECTED] = process.argv.slice(2);
const expected = JSON.parse(fs.readFileSync(EXPECTED, 'utf8'));
const T = Number(process.env.DJMIG_E2E_TIMEOUT_MS || 45000);
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

const result = { ok: false, steps: [] };
const t0 = Date.now();
function step(name, data) {
  result.steps.push({ name, t_ms: Date.now() - t0, data });
  console.log(`${((Date.now() - t0) / 1000).toFixed(1)}s ${name} ${JSON.stringify(data ?? '')}`.slice(0, 600));
}

const expectedTotal = Object.values(expected.files).reduce((a, b) => a + b, 0);

/** The Problems panel as {file: number of problems}, read from its tree rows. */
async function problems(page) {
  return page.evaluate(() => {
    const rows = [...document.querySelectorAll('.markers-panel .monaco-list-row')];
    const files = {};
    const markers = [];
    let current = null;
    for (const row of rows) {
      const label = row.getAttribute('aria-label') || '';
      if (row.querySelector('.file-icon, .monaco-icon-label.file-icon') && row.getAttribute('aria-level') === '1') {
        current = row.querySelector('.label-name')?.textContent || label;
        const description = row.querySelector('.label-description')?.textContent || '';
        current = description ? `${description}/${current}` : current;
        files[current] = 0;
      } else if (current !== null && row.getAttribute('aria-level') === '2') {
        // level 3 rows are a marker's related information
        files[current] += 1;
        markers.push(row.innerText.replace(/\s+/g, ' ').trim());
      }
    }
    return { files, markers };
  });
}

async function runCommand(page, title) {
  await page.keyboard.press('Control+Shift+P');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ timeout: T });
  await page.keyboard.type(title);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first().waitFor({ timeout: T });
  await page.keyboard.press('Enter');
}

async function openFile(page, relative) {
  await page.keyboard.press('Control+P');
  await page.locator('.quick-input-widget input').waitFor({ timeout: T });
  await page.keyboard.type(relative);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: path.basename(relative) }).first().waitFor({ timeout: T });
  await page.keyboard.press('Enter');
  await page.locator('.tab.active', { hasText: path.basename(relative) }).waitFor({ timeout: T });
}

(async () => {
  fs.mkdirSync(OUT, { recursive: true });
  const profile = fs.mkdtempSync(path.join(OUT, 'chromium-profile-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1400, height: 1800 }, // tall enough for every Problems row (the list is virtual)
  });
  const page = context.pages()[0] || (await context.newPage());
  page.on('pageerror', (e) => step('pageerror', String(e).slice(0, 300)));
  try {
    await page.goto(`${BASE}/?folder=${encodeURIComponent(WS)}`);
    await page.waitForSelector('.monaco-workbench', { timeout: T });
    step('workbench');
    await page.waitForTimeout(1500); // keybindings are registered a moment after the DOM

    // 1. Problems panel, no file opened: every file with findings, each problem once.
    await page.keyboard.press('Control+Shift+M');
    await page.locator('.markers-panel').first().waitFor({ timeout: T });
    await runCommand(page, 'View: Toggle Maximized Panel');
    let seen = { files: {}, markers: [] };
    const deadline = Date.now() + T;
    for (;;) {
      seen = await problems(page);
      const total = Object.values(seen.files).reduce((a, b) => a + b, 0);
      if (total >= expectedTotal && Object.keys(seen.files).length >= Object.keys(expected.files).length) break;
      if (Date.now() > deadline) throw new Error(`Problems panel: ${JSON.stringify(seen)}`);
      await page.waitForTimeout(250);
    }
    await page.waitForTimeout(2500); // would a second (push + pull) copy show up?
    seen = await problems(page);
    step('problems', seen);
    result.problems = seen;
    result.open_editors = await page.locator('.tabs-container .tab').count();
    await page.screenshot({ path: path.join(OUT, 'problems.png') });
    await runCommand(page, 'View: Toggle Maximized Panel');

    // 2. Quick fix on the DM201 line: Ctrl+. → "Add reverse noop".
    await openFile(page, expected.fix.path);
    await page.keyboard.press('Control+G');
    await page.locator('.quick-input-widget input').waitFor({ timeout: T });
    await page.keyboard.type(`${expected.fix.line}:${expected.fix.column}`); // on the squiggle
    await page.locator('.quick-input-widget', { hasText: `character ${expected.fix.column}` }).waitFor({ timeout: T });
    await page.keyboard.press('Enter');
    await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: T });
    await page.locator('.statusbar', { hasText: `Ln ${expected.fix.line}, Col ${expected.fix.column}` }).waitFor({ timeout: T });
    step('editor', await page.locator('.monaco-editor .view-lines').first().innerText());
    await page.keyboard.press('Control+.');
    const rows = page.locator('.action-widget .monaco-list-row');
    await page.locator('.action-widget .monaco-list-row', { hasText: expected.fix.title }).first().waitFor({ timeout: T });
    const titles = await rows.allInnerTexts();
    step('quickfix_menu', titles);
    result.quickfix_menu = titles;
    await page.screenshot({ path: path.join(OUT, 'quickfix.png') });
    // A click is swallowed by .context-view-pointerBlock: move the focus with the keyboard.
    const target = titles.findIndex((t) => t.includes(expected.fix.title));
    const focused = await rows.evaluateAll((els) => els.findIndex((e) => e.classList.contains('focused')));
    for (let i = Math.max(focused, 0); i < target; i++) await page.keyboard.press('ArrowDown');
    for (let i = target; i < focused; i++) await page.keyboard.press('ArrowUp');
    await page.keyboard.press('Enter');
    await page.waitForFunction(
      () => (document.querySelector('.monaco-editor .view-lines')?.textContent || '').includes('RunPython.noop'),
      null, { timeout: T });
    step('applied', await page.locator('.monaco-editor .view-lines').first().innerText());
    // The edit marks the tab dirty a moment after the text shows: wait for it, so that the
    // save below is not taken as done before it began (and is not sent to the closing menu).
    await page.locator('.tab.active.dirty').waitFor({ timeout: T });
    await page.locator('.monaco-editor textarea').first().focus();
    await page.keyboard.press('Control+S');
    await page.locator('.tab.active.dirty').waitFor({ state: 'detached', timeout: T });
    step('saved');

    // 3. The DM201 problem goes away.
    await page.keyboard.press('Control+Shift+M');
    await page.waitForFunction(
      (n) => document.querySelectorAll('.markers-panel .monaco-list-row').length > 0
        && ![...document.querySelectorAll('.markers-panel .monaco-list-row')].some((r) => r.innerText.includes('DM201')),
      expectedTotal, { timeout: T });
    result.after_fix = await problems(page);
    step('after_fix', result.after_fix);
    await page.screenshot({ path: path.join(OUT, 'after-fix.png') });

    // 4. djmig: Show Migration Graph renders the graph in a webview.
    await page.keyboard.press('Control+J'); // hide the panel: more room for the graph
    await runCommand(page, 'djmig: Show Migration Graph');
    let nodes = 0;
    const graphDeadline = Date.now() + T;
    while (nodes === 0 && Date.now() < graphDeadline) {
      for (const frame of page.frames()) {
        nodes = Math.max(nodes, await frame.locator('svg.graph .node').count().catch(() => 0));
      }
      if (nodes === 0) await page.waitForTimeout(250);
    }
    step('graph', { nodes });
    result.graph_nodes = nodes;
    if (nodes === 0) throw new Error('the migration graph webview shows no node');
    await page.screenshot({ path: path.join(OUT, 'graph.png') });

    // 5. djmig: Create Merge Migration writes and opens catalog's merge migration.
    await runCommand(page, 'djmig: Create Merge Migration');
    const merge = page.locator('.tab.active', { hasText: '_merge_' });
    await merge.waitFor({ timeout: T });
    result.merge_tab = await merge.innerText();
    step('merge', result.merge_tab);

    // 6. djmig: Restart Server brings the server (and the status-bar item) back.
    await runCommand(page, 'djmig: Restart Server');
    await page.locator('.statusbar-item', { hasText: 'djmig' }).locator('.codicon-check').waitFor({ timeout: T });
    result.status = await page.locator('.statusbar-item', { hasText: 'djmig' }).first().getAttribute('aria-label');
    step('restarted', result.status);
    result.ok = true;
  } catch (e) {
    result.error = String(e).slice(0, 3000);
    await page.screenshot({ path: path.join(OUT, 'failure.png') }).catch(() => {});
  } finally {
    result.total_ms = Date.now() - t0;
    fs.writeFileSync(path.join(OUT, 'vscode-result.json'), JSON.stringify(result, null, 1));
    await context.close().catch(() => {});
    fs.rmSync(profile, { recursive: true, force: true });
    process.exit(result.ok ? 0 : 1);
  }
})();
