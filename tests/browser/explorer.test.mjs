// The web explorer (API.md sections 13 and 14) in headless chromium:
// readoutd with --sample-data serves /explore/; every view is opened from a
// deep link, every filter and a search are driven through the page, the
// principle chart is counted against the API's timeline, history works,
// the error states and the private-mode token prompt show, and axe-core
// finds no serious or critical violation on any view. Over the whole run no
// page logs a console error (but the 404s and failures a test provokes), no
// page throws, and no request leaves the origin.
//
// Run through run.sh, which sets READOUTD and CHROMIUM (and, to refresh the
// README's picture, EXPLORER_SCREENSHOT=docs/explorer.png).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';

const READOUTD = process.env.READOUTD;
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const SCREENSHOT = process.env.EXPLORER_SCREENSHOT;
const WAIT_MS = 20_000;
const TEST_MS = 90_000;
const AXE_SOURCE = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

let tmp;
let daemon;
let daemonLog = '';
let base; // http://127.0.0.1:PORT
let browser;
let context;
const problems = []; // console errors, page errors, foreign requests: none allowed
const expectedFailures = []; // URLs whose failure a test provoked (or the mentions probe)
const axeReport = []; // [view, violations by impact] for the log

function bounded(promise, ms, what) {
	let timer;
	const limit = new Promise((_, reject) => {
		timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
	});
	return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}

// Starts a readoutd with args beside the common ones; resolves to the
// process and its base URL once it listens.
function startReadoutd(args) {
	const proc = spawn(READOUTD, ['--bind', '127.0.0.1', '--port', '0', '--threads', '2', ...args],
		{ stdio: ['ignore', 'pipe', 'pipe'] });
	proc.stderr.setEncoding('utf8');
	proc.stderr.on('data', (chunk) => {
		daemonLog += chunk;
	});
	let out = '';
	return bounded(new Promise((resolve, reject) => {
		proc.once('error', reject);
		proc.once('exit', (code, signal) =>
			reject(new Error(`readoutd exited (${code ?? signal}) before listening:\n${daemonLog}`)));
		proc.stdout.setEncoding('utf8');
		proc.stdout.on('data', (chunk) => {
			out += chunk;
			const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
			if (m)
				resolve({ proc, base: m[1] });
		});
	}), WAIT_MS, 'readoutd start');
}

async function startDaemon() {
	const started = await startReadoutd(['--db', path.join(tmp, 'readout.db'), '--sample-data',
		'--token', 'explorer-test-token-0123456789']);
	daemon = started.proc;
	return started.base;
}

function stopProcess(proc) {
	if (!proc || proc.exitCode !== null || proc.signalCode !== null)
		return Promise.resolve();
	const exited = new Promise((resolve) => proc.once('exit', resolve));
	proc.kill('SIGTERM');
	const killer = setTimeout(() => proc.kill('SIGKILL'), 5000);
	return bounded(exited, 10_000, 'readoutd stop').finally(() => clearTimeout(killer));
}

function stopDaemon() {
	return stopProcess(daemon);
}

// The API from node, to know what the page should show.
async function api(pathAndQuery) {
	const r = await fetch(base + pathAndQuery, { signal: AbortSignal.timeout(10_000) });
	return { status: r.status, headers: r.headers, body: r.status === 204 ? null : await r.json() };
}

const expected = (url) => expectedFailures.some((e) => (e instanceof RegExp ? e.test(url) : e === url));

// A new page that reports its problems into `problems`.
async function newPage(viewport, within = context) {
	const page = await within.newPage();
	if (viewport)
		await page.setViewportSize(viewport);
	page.setDefaultTimeout(WAIT_MS);
	page.on('console', (m) => {
		if (m.type() !== 'error' && m.type() !== 'warning')
			return;
		const url = m.location().url || '';
		if (/^Failed to load resource/.test(m.text()) && expected(url))
			return;
		problems.push(`console ${m.type()} on ${page.url()}: ${m.text()} (${url})`);
	});
	page.on('pageerror', (e) => problems.push(`page error on ${page.url()}: ${e.message}`));
	return page;
}

// Waits until the view has settled: a heading, nothing loading.
async function settled(page) {
	await page.waitForFunction(() => document.querySelector('main h1') &&
		!document.querySelector('main [aria-busy], main .loading'), null, { timeout: WAIT_MS });
}

async function open(page, url) {
	const r = await page.goto(base + url, { timeout: WAIT_MS });
	assert.equal(r.status(), 200);
	await settled(page);
}

const h1 = (page) => page.locator('main h1').innerText();
const texts = (page, selector) => page.locator(selector).allInnerTexts();

// axe-core's rules on the page as it is; fails on a serious or critical
// violation. The script is evaluated through the debugging protocol, as the
// page's CSP forbids injected <script> elements.
async function axe(page, view) {
	await page.evaluate(AXE_SOURCE);
	const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
	const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
	const byImpact = {};
	for (const v of result.violations)
		byImpact[v.impact] = [...(byImpact[v.impact] || []), v.id];
	axeReport.push([view, byImpact]);
	assert.deepEqual(bad.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target).join(' ')})`), [],
		`axe on ${view}`);
}

before(async () => {
	assert.ok(READOUTD, 'READOUTD names the readoutd binary (run through run.sh)');
	tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'readout-explorer-'));
	base = await startDaemon();
	browser = await chromium.launch({
		executablePath: CHROMIUM,
		headless: true,
		args: ['--no-sandbox', '--disable-dev-shm-usage'],
		timeout: WAIT_MS,
	});
	context = await browser.newContext({ viewport: { width: 1100, height: 800 } });
	context.on('request', (r) => {
		const url = new URL(r.url());
		if (url.origin !== base)
			problems.push(`request to another origin: ${r.url()}`);
	});
	// The meeting view asks for /mentions, which this version answers 404.
	expectedFailures.push(/\/v1\/meetings\/[^/]+\/mentions$/);
});

after(async () => {
	for (const [view, impacts] of axeReport)
		console.log(`axe ${view}: ${JSON.stringify(impacts)}`);
	if (browser)
		await bounded(browser.close(), 10_000, 'browser close').catch(() => {});
	await stopDaemon().catch(() => daemon && daemon.kill('SIGKILL'));
	if (tmp)
		fs.rmSync(tmp, { recursive: true, force: true });
});
process.once('exit', () => {
	if (daemon && daemon.exitCode === null)
		daemon.kill('SIGKILL');
});

test('the index and its assets: CSP, types, caching by content hash', { timeout: TEST_MS }, async () => {
	const r = await fetch(`${base}/explore/`);
	assert.equal(r.status, 200);
	assert.equal(r.headers.get('content-security-policy'), "default-src 'self'");
	assert.equal(r.headers.get('cache-control'), 'no-cache');
	assert.match(r.headers.get('content-type'), /^text\/html/);
	assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
	const html = await r.text();
	const assets = [...html.matchAll(/(?:src|href)="\.\/([\w.-]+)"/g)].map((m) => m[1]);
	assert.ok(assets.some((a) => /^app\.[0-9a-f]{12}\.js$/.test(a)), `hashed app.js in ${assets}`);
	assert.ok(assets.some((a) => /^style\.[0-9a-f]{12}\.css$/.test(a)), `hashed style.css in ${assets}`);
	assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/, 'no inline script');
	assert.doesNotMatch(html, /\sstyle=/, 'no inline style');
	for (const a of assets) {
		const f = await fetch(`${base}/explore/${a}`);
		assert.equal(f.status, 200, a);
		assert.equal(f.headers.get('cache-control'), 'public, max-age=31536000, immutable', a);
		assert.equal(f.headers.get('content-security-policy'), "default-src 'self'", a);
		const type = { js: 'text/javascript', css: 'text/css', svg: 'image/svg+xml' }[a.split('.').pop()];
		assert.equal(f.headers.get('content-type'), type, a);
		const again = await fetch(`${base}/explore/${a}`, { headers: { 'If-None-Match': f.headers.get('etag') } });
		assert.equal(again.status, 304, a);
	}
});

test('every view opens from a deep link, shows the record, and passes axe', { timeout: TEST_MS }, async () => {
	const page = await newPage();
	const meetings = (await api('/v1/meetings?count=true')).body;

	await open(page, '/explore/');
	assert.equal(await h1(page), 'Meetings');
	assert.deepEqual(await texts(page, 'main ol.cards > li h2'), meetings.data.map((m) => m.title));
	assert.match(await page.locator('main .count').innerText(), new RegExp(`^${meetings.total} meetings`));
	await axe(page, 'meetings');

	// The meeting with everything: the 2024-04-26 readout.
	const slug = meetings.data.find((m) => m.date === '2024-04-26').slug;
	const m = (await api(`/v1/meetings/${slug}`)).body;
	await open(page, `/explore/?meeting=${slug}`);
	assert.equal(await h1(page), m.title);
	assert.equal(await page.title(), `${m.title} · Readout explorer`);
	const people = await texts(page, 'main ul.people > li');
	assert.equal(people.length, m.participants.length);
	for (const [i, p] of m.participants.entries()) {
		assert.ok(people[i].includes(p.name) && people[i].includes(p.role), `${people[i]} has ${p.name} ${p.role}`);
	}
	const invocations = await texts(page, 'main ul.invocations > li');
	assert.equal(invocations.length, m.principles.length);
	for (const [i, p] of m.principles.entries()) {
		assert.ok(invocations[i].includes(p.name) && invocations[i].includes(p.stance));
		if (p.quote)
			assert.ok(invocations[i].includes(p.quote), `the quote of ${p.name}`);
		if (p.invoked_by !== null) {
			const who = m.participants.find((x) => x.id === p.invoked_by);
			assert.ok(invocations[i].includes(`by ${who.name}`), `${p.name} invoked by ${who.name}`);
		}
	}
	const readout = (await texts(page, 'main .readout .text')).join('\n');
	assert.ok(readout.includes('Wang Yi participated in the meeting.'), 'the readout text is shown');
	const related = await texts(page, 'main section[aria-labelledby="related-h"] li');
	assert.equal(related.length, m.related.length);
	for (const r of m.related)
		assert.ok(related.some((t) => t.includes(r.title)), `related ${r.title}`);
	const mentions = await api(`/v1/meetings/${m.id}/mentions`).catch(() => ({ status: 0 }));
	assert.equal(await page.locator('#mentions-h').count(), mentions.status === 200 ? 1 : 0,
		`the mentions section follows /mentions (${mentions.status})`);
	await axe(page, 'meeting');

	const p = (await api('/v1/participants/antony-blinken')).body;
	const attended = (await api('/v1/participants/antony-blinken/meetings')).body.data;
	await open(page, '/explore/?participant=antony-blinken');
	assert.equal(await h1(page), p.name);
	assert.ok((await page.locator('main dl.facts').innerText()).includes(p.aliases[0]), 'aliases shown');
	const rows = await texts(page, 'main table.rows tbody tr');
	assert.equal(rows.length, attended.length);
	assert.ok(rows[0].includes(attended[0].title) && rows[0].includes(attended[0].role));
	await axe(page, 'participant');

	const pr = (await api('/v1/principles/value-peace')).body;
	await open(page, '/explore/?principle=value-peace');
	assert.equal(await h1(page), pr.name);
	assert.equal(await page.locator('main svg.chart').count(), 1);
	assert.equal(await page.locator('main ol.timeline > li').count(), pr.invocation_count);
	await axe(page, 'principle');
	if (SCREENSHOT) {
		// The README's picture: a principle invoked in two years.
		await open(page, '/explore/?principle=jointly-developing-a-right-perception');
		await page.setViewportSize({ width: 900, height: 760 });
		await page.screenshot({ path: SCREENSHOT });
		await page.setViewportSize({ width: 1100, height: 800 });
	}

	const hits = (await api('/v1/search?q=peace&limit=20')).body.data;
	await open(page, '/explore/?view=search&q=peace');
	assert.deepEqual(await texts(page, 'main ol.cards > li h2'), hits.map((x) => x.title));
	assert.ok(await page.locator('main .snippet mark').count() > 0, 'snippets are highlighted');
	await axe(page, 'search');

	for (const [view, path, count] of [['participants', '/v1/participants?count=true', 'meeting_count'],
		['principles', '/v1/principles?count=true', 'invocation_count']]) {
		const all = (await api(path)).body;
		await open(page, `/explore/?view=${view}`);
		assert.equal(await page.locator('main table.rows tbody tr').count(), all.data.length, view);
		assert.ok(all.data[0][count] !== undefined);
		await axe(page, view);
	}

	await open(page, '/explore/?view=nonsense');
	assert.equal(await h1(page), 'No such page');
	await page.close();
});

test('each filter of the meetings list, driven through the form', { timeout: TEST_MS }, async () => {
	const page = await newPage();
	const cases = [
		['from', async () => page.fill('#f-from', '2024-01-01'), 'from=2024-01-01'],
		['to', async () => page.fill('#f-to', '2024-04-02'), 'to=2024-04-02'],
		['kind', async () => page.selectOption('#f-kind', 'phone_call'), 'kind=phone_call'],
		['country', async () => page.fill('#f-country', 'us'), 'country=US'],
		['participant', async () => page.fill('#f-participant', 'xi-jinping, joe-biden'),
			'participant=xi-jinping&participant=joe-biden'],
		['principle', async () => page.selectOption('#f-principle', 'jointly-managing-disagreements-effectively'),
			'principle=jointly-managing-disagreements-effectively'],
		['q', async () => page.fill('#f-q', 'credibility'), 'q=credibility'],
		['sort', async () => page.selectOption('#f-sort', 'date'), 'sort=date'],
	];
	for (const [name, fill, query] of cases) {
		await open(page, '/explore/');
		await fill();
		await page.click('form.filters button[type=submit]');
		await page.waitForURL((u) => u.search.includes(query), { timeout: WAIT_MS });
		await settled(page);
		const want = (await api(`/v1/meetings?${query}&count=true`)).body;
		assert.deepEqual(await texts(page, 'main ol.cards > li h2'), want.data.map((m) => m.title), name);
		assert.match(await page.locator('main .count').innerText(), new RegExp(`^${want.total} meeting`), name);
		assert.ok(want.total < 3 || name === 'sort', `the ${name} case filters something`);
		if (name === 'q')
			assert.ok(await page.locator('main .snippet mark').count() > 0, 'search snippets are highlighted');
		// The form shows the filter it applied.
		const params = new URL(page.url()).searchParams;
		assert.equal(params.get('view'), 'meetings');
	}
	// A filter the server refuses: its message, and the form to fix it.
	expectedFailures.push(/\/v1\/meetings\?from=2024-02-30&/);
	await open(page, '/explore/?view=meetings&from=2024-02-30');
	assert.match(await page.locator('main [role=alert]').innerText(), /date/);
	assert.equal(await page.locator('#f-from').count(), 1);
	await page.close();
});

test('a search across all kinds from the header, and by type', { timeout: TEST_MS }, async () => {
	const page = await newPage();
	await open(page, '/explore/');
	await page.fill('#quick-q', 'Blinken');
	await page.press('#quick-q', 'Enter');
	await page.waitForURL(/view=search&q=Blinken/);
	await settled(page);
	const all = (await api('/v1/search?q=Blinken&limit=20')).body.data;
	assert.deepEqual(await texts(page, 'main ol.cards > li h2'), all.map((x) => x.title));
	assert.ok(new Set(all.map((x) => x.type)).size > 1, 'the sample finds more than one kind');
	await page.selectOption('#s-type', 'participant');
	await page.click('main form button[type=submit]');
	await page.waitForURL(/type=participant/);
	await settled(page);
	const people = (await api('/v1/search?q=Blinken&type=participant&limit=20')).body.data;
	assert.deepEqual(await texts(page, 'main ol.cards > li h2'), people.map((x) => x.title));
	await page.click('main ol.cards > li h2 a');
	await page.waitForURL(/participant=/);
	await settled(page);
	assert.equal(await h1(page), people[0].title);
	await page.close();
});

test('the chart has one bar per year and stance of every principle\'s timeline', { timeout: TEST_MS }, async () => {
	const page = await newPage();
	const principles = (await api('/v1/principles?limit=200')).body.data;
	assert.ok(principles.length > 0);
	for (const pr of principles) {
		const items = (await api(`/v1/principles/${pr.slug}/timeline?limit=200`)).body.data;
		const bars = new Map();
		for (const it of items) {
			const key = `${it.meeting.date.slice(0, 4)} ${it.stance}`;
			bars.set(key, (bars.get(key) || 0) + 1);
		}
		await open(page, `/explore/?principle=${pr.slug}`);
		const drawn = await page.locator('main svg.chart rect.bar').evaluateAll((rs) =>
			rs.map((r) => [`${r.dataset.year} ${r.dataset.stance}`, Number(r.dataset.count)]));
		assert.equal(drawn.length, bars.size, `${pr.slug}: bars`);
		assert.deepEqual(new Map(drawn), bars, `${pr.slug}: counts`);
	}
	await page.close();
});

test('history: links, back, forward, reload; focus moves to the heading', { timeout: TEST_MS }, async () => {
	const page = await newPage();
	await open(page, '/explore/');
	const first = page.locator('main ol.cards > li h2 a').first();
	const title = await first.innerText();
	await first.click();
	await page.waitForURL(/\?meeting=/);
	await settled(page);
	assert.equal(await h1(page), title);
	assert.equal(await page.evaluate(() => document.activeElement.tagName + ' ' + document.activeElement.textContent), `H1 ${title}`);
	const person = page.locator('main ul.people a').first();
	const name = await person.innerText();
	await person.click();
	await page.waitForURL(/\?participant=/);
	await settled(page);
	assert.equal(await h1(page), name);

	await page.goBack();
	await settled(page);
	assert.equal(await h1(page), title);
	assert.equal(await page.evaluate(() => document.activeElement.tagName), 'H1');
	await page.goBack();
	await settled(page);
	assert.equal(await h1(page), 'Meetings');
	await page.goForward();
	await settled(page);
	assert.equal(await h1(page), title);
	await page.reload();
	await settled(page);
	assert.equal(await h1(page), title);
	assert.match(page.url(), /\?meeting=/);

	// A filter is a history entry too.
	await open(page, '/explore/');
	await page.selectOption('#f-kind', 'summit');
	await page.click('form.filters button[type=submit]');
	await page.waitForURL(/kind=summit/);
	await settled(page);
	const filtered = await page.locator('main ol.cards > li').count();
	await page.goBack();
	await settled(page);
	assert.ok(await page.locator('main ol.cards > li').count() > filtered);
	assert.equal(await page.inputValue('#f-kind'), '');
	await page.close();
});

test('keyboard alone: skip link, then a link opened with Enter', { timeout: TEST_MS }, async () => {
	const page = await newPage();
	await open(page, '/explore/');
	await page.keyboard.press('Tab');
	assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Skip to content');
	await page.keyboard.press('Enter');
	assert.equal(await page.evaluate(() => document.activeElement.id), 'main');
	// Tab on until a meeting link has focus, then follow it.
	let onLink = false;
	for (let i = 0; i < 40 && !onLink; i++) {
		await page.keyboard.press('Tab');
		onLink = await page.evaluate(() => !!document.activeElement.closest('ol.cards h2'));
	}
	assert.ok(onLink, 'a meeting link is reachable by Tab');
	await page.keyboard.press('Enter');
	await page.waitForURL(/\?meeting=/);
	await settled(page);
	assert.equal(await page.evaluate(() => document.activeElement.tagName), 'H1');
	await page.close();
});

test('error states: 404, 503 with a retry, a network failure', { timeout: TEST_MS }, async () => {
	const page = await newPage();
	expectedFailures.push(`${base}/v1/meetings/no-such-meeting`);
	await open(page, '/explore/?meeting=no-such-meeting');
	assert.equal(await h1(page), 'Meeting not found');
	assert.match(await page.locator('main [role=alert]').innerText(), /no such meeting/);
	await axe(page, 'meeting 404');

	let busy = true;
	await page.route('**/v1/principles/value-peace', (route) => (busy
		? route.fulfill({
			status: 503,
			headers: { 'Content-Type': 'application/problem+json', 'Retry-After': '1' },
			body: JSON.stringify({ type: 'urn:readout:problem:unavailable', title: 'Unavailable', status: 503 }),
		})
		: route.continue()));
	expectedFailures.push(`${base}/v1/principles/value-peace`);
	await open(page, '/explore/?principle=value-peace');
	assert.match(await page.locator('main [role=alert]').innerText(), /busy/);
	await axe(page, 'principle 503');
	busy = false;
	await page.click('main [role=alert] button');
	await settled(page);
	assert.equal(await h1(page), 'Value peace');
	assert.equal(await page.locator('main svg.chart').count(), 1);

	await page.route('**/v1/participants/xi-jinping', (route) => route.abort('connectionrefused'));
	expectedFailures.push(`${base}/v1/participants/xi-jinping`);
	await open(page, '/explore/?participant=xi-jinping');
	assert.match(await page.locator('main [role=alert]').innerText(), /could not be reached/);
	assert.equal(await page.locator('main [role=alert] button').count(), 1);
	await page.close();
});

// A real private server (readoutd --private with a read token): a read
// without the right bearer token is 401 with WWW-Authenticate, the
// explorer's own files stay public. What is tested is the explorer's side:
// the prompt, the token in sessionStorage, the header on every later
// request, forgetting.
test('private mode: a 401 read asks for a token, kept for the tab, forgettable', { timeout: TEST_MS }, async () => {
	const secret = 'read-token-for-the-explorer-test';
	const tokens = path.join(tmp, 'tokens');
	fs.writeFileSync(tokens, `explorer read ${secret}\n`);
	const priv = await startReadoutd(['--db', path.join(tmp, 'private.db'), '--sample-data',
		'--private', '--token-file', tokens]);
	const within = await browser.newContext({ viewport: { width: 1100, height: 800 } });
	within.on('request', (r) => {
		if (new URL(r.url()).origin !== priv.base)
			problems.push(`request to another origin: ${r.url()}`);
	});
	try {
		const index = await fetch(`${priv.base}/explore/`);
		assert.equal(index.status, 200);
		const refused = await fetch(`${priv.base}/v1/meetings`);
		assert.equal(refused.status, 401);
		assert.match(refused.headers.get('www-authenticate'), /^Bearer/);

		const page = await newPage(undefined, within);
		const seen = [];
		page.on('request', (r) => {
			if (/\/v1\//.test(r.url()))
				seen.push(r.headers().authorization || null);
		});
		expectedFailures.push(/\/v1\//);
		const r = await page.goto(`${priv.base}/explore/`, { timeout: WAIT_MS });
		assert.equal(r.status(), 200);
		await settled(page);
		assert.equal(await page.locator('form.token-prompt').count(), 1);
		assert.equal(await page.evaluate(() => document.activeElement.id), 'token-input');
		await axe(page, 'token prompt');
		assert.equal(await page.locator('#token-bar').isVisible(), false);

		await page.fill('#token-input', 'a-wrong-token');
		await page.press('#token-input', 'Enter');
		await settled(page);
		assert.match(await page.locator('form.token-prompt').innerText(), /refused/);

		await page.fill('#token-input', secret);
		await page.press('#token-input', 'Enter');
		await settled(page);
		assert.equal(await page.locator('form.token-prompt').count(), 0);
		assert.ok(await page.locator('main ol.cards > li').count() > 0);
		assert.equal(await page.evaluate(() => sessionStorage.getItem('readout-explorer-token')), secret);
		assert.equal(await page.locator('#token-bar').isVisible(), true);
		seen.length = 0;
		await page.locator('main ol.cards > li h2 a').first().click();
		await settled(page);
		assert.ok(seen.length > 0 && seen.every((a) => a === `Bearer ${secret}`), JSON.stringify(seen));

		await page.click('#forget-token');
		await settled(page);
		assert.equal(await page.evaluate(() => sessionStorage.getItem('readout-explorer-token')), null);
		assert.equal(await page.locator('form.token-prompt').count(), 1);
		assert.equal(await page.locator('#token-bar').isVisible(), false);
		expectedFailures.pop();
		await page.close();
	} finally {
		await within.close();
		await stopProcess(priv.proc);
	}
});

// Fields and a route of later versions (API.md section 12), played by the
// browser's request interception on top of readoutd's real answers: a
// meeting's `readouts`, its /mentions, a principle's `aliases`.
test('later versions: readouts side by side, mentions, principle aliases', { timeout: TEST_MS }, async () => {
	const page = await newPage();
	const m = (await api('/v1/meetings?limit=1&sort=-date')).body.data[0];
	const readouts = [
		{ language: 'zh-Hans', publisher: '中华人民共和国外交部', url: 'https://www.mfa.gov.cn/', published: '2024-04-26', text: '习近平会见美国国务卿布林肯。\n\n王毅参加会见。' },
		{ language: 'en', publisher: 'U.S. Department of State', url: null, published: null, text: 'Secretary Blinken met President Xi.' },
	];
	await page.route(new RegExp(`/v1/meetings/${m.slug}$`), async (route) => {
		const real = await route.fetch();
		route.fulfill({ response: real, json: { ...(await real.json()), readouts } });
	});
	await page.route(/\/v1\/meetings\/\d+\/mentions$/, (route) => route.fulfill({
		json: { data: [
			{ text: 'readout', language: 'en', publisher: null, participants: [{ id: 1, slug: 'xi-jinping', name: 'Xi Jinping', count: 7 }], principles: [] },
			{ text: 0, language: 'zh-Hans', publisher: '中华人民共和国外交部', participants: [{ id: 1, slug: 'xi-jinping', name: 'Xi Jinping', count: 1 }, { id: 3, slug: 'wang-yi', name: 'Wang Yi', count: 1 }], principles: [{ id: 9, slug: 'value-peace', name: 'Value peace', count: 2 }] },
		] },
	}));
	await open(page, `/explore/?meeting=${m.slug}`);
	const columns = page.locator('main .readouts > article');
	assert.equal(await columns.count(), 1 + readouts.length);
	assert.equal(await columns.nth(1).locator('.text').getAttribute('lang'), 'zh-Hans');
	assert.match(await columns.nth(1).innerText(), /王毅参加会见/);
	const boxes = await columns.evaluateAll((els) => els.map((e) => e.getBoundingClientRect().top));
	assert.equal(new Set(boxes).size, 1, `side by side: ${boxes}`);
	const mentions = page.locator('main .mentions > article');
	assert.equal(await mentions.count(), 2);
	assert.match(await mentions.nth(1).innerText(), /Value peace, 2 times/);
	await axe(page, 'meeting with readouts and mentions');

	await page.route(/\/v1\/principles\/value-peace$/, async (route) => {
		const real = await route.fetch();
		route.fulfill({ response: real, json: { ...(await real.json()), aliases: ['和平'] } });
	});
	await open(page, '/explore/?principle=value-peace');
	assert.match(await page.locator('main dl.facts').innerText(), /Also called\s+和平/);
	await page.close();
});

test('a phone-sized screen: no view scrolls sideways', { timeout: TEST_MS }, async () => {
	const page = await newPage({ width: 375, height: 740 });
	const slug = (await api('/v1/meetings?limit=1')).body.data[0].slug;
	for (const url of ['/explore/', `/explore/?meeting=${slug}`, '/explore/?participant=xi-jinping',
		'/explore/?principle=jointly-developing-a-right-perception', '/explore/?view=search&q=peace',
		'/explore/?view=participants']) {
		await open(page, url);
		const [scroll, width] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
		assert.equal(width, 375);
		assert.ok(scroll <= width, `${url}: ${scroll} px wide in ${width}`);
	}
	await axe(page, 'meetings (phone)');
	await page.close();
});

test('over the whole run: no console error, no page error, no request to another origin', () => {
	assert.deepEqual(problems, []);
});
