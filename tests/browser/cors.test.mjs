// CORS in a real browser (API.md section 6). readoutd runs with
// --cors-origin naming origin A only; two static servers serve the same probe
// page as origin A (allowed) and origin B (not allowed); headless chromium
// loads each page and the page's own fetch() calls the API, so the browser's
// CORS checks (preflight included) decide what the page may do.
//
// Run through run.sh, which sets READOUTD and CHROMIUM.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const READOUTD = process.env.READOUTD;
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const TOKEN = 'browser-cors-token-0123456789';
const WAIT_MS = 20_000; // the bound on any single wait
const TEST_MS = 60_000; // the bound on one test

let tmp;
let daemon; // the readoutd child process
let daemonLog = ''; // its stderr: one JSON line per request
let api; // http://127.0.0.1:PORT of readoutd
const pageServers = [];
let browser;
let pageA;
let pageB;
const consoleB = [];

// Rejects when promise has not settled within ms.
function bounded(promise, ms, what) {
	let timer;
	const limit = new Promise((_, reject) => {
		timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
	});
	return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// The probe page. Each function returns a plain object that tells what the
// page could see, or how fetch failed.
const PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>Readout CORS probe</title></head>
<body><p>Readout CORS probe</p>
<script>
async function probe(fn) {
	try {
		return { threw: false, ...(await fn()) };
	} catch (e) {
		return { threw: true, name: e.name, message: String(e.message),
		         isTypeError: e instanceof TypeError };
	}
}
window.readList = (api) => probe(async () => {
	const r = await fetch(api + '/v1/meetings?count=true&limit=5',
	                      { signal: AbortSignal.timeout(10000) });
	const body = await r.json();
	return { status: r.status, totalHeader: r.headers.get('X-Total-Count'),
	         bodyTotal: body.total, items: body.data.length, firstId: body.data[0] && body.data[0].id };
});
window.createParticipant = (api, token, name) => probe(async () => {
	const headers = { 'Content-Type': 'application/json' };
	if (token)
		headers.Authorization = 'Bearer ' + token;
	const r = await fetch(api + '/v1/participants', {
		method: 'POST', headers, body: JSON.stringify({ name }),
		signal: AbortSignal.timeout(10000) });
	const text = await r.text();
	let body = null;
	try { body = JSON.parse(text); } catch (e) { body = text; }
	return { status: r.status, location: r.headers.get('Location'),
	         contentType: r.headers.get('Content-Type'), body };
});
</script></body></html>
`;

// A static server for the probe page on 127.0.0.1; resolves to its origin.
function servePage() {
	const server = http.createServer((req, res) => {
		if (req.method === 'GET' && (req.url === '/' || req.url.startsWith('/?'))) {
			res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
			res.end(PAGE);
		} else {
			res.writeHead(404, { 'Content-Type': 'text/plain' });
			res.end('not found\n');
		}
	});
	pageServers.push(server);
	return bounded(
		new Promise((resolve, reject) => {
			server.once('error', reject);
			server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${server.address().port}`));
		}),
		WAIT_MS,
		'page server listen',
	);
}

// Starts readoutd on a free port (port 0; it prints the one it got).
function startDaemon(allowedOrigin) {
	const args = ['--bind', '127.0.0.1', '--port', '0', '--db', path.join(tmp, 'readout.db'),
		'--token', TOKEN, '--cors-origin', allowedOrigin, '--sample-data', '--threads', '2'];
	daemon = spawn(READOUTD, args, { stdio: ['ignore', 'pipe', 'pipe'] });
	daemon.stderr.setEncoding('utf8');
	daemon.stderr.on('data', (chunk) => {
		daemonLog += chunk;
	});
	let out = '';
	return bounded(
		new Promise((resolve, reject) => {
			daemon.once('error', reject);
			daemon.once('exit', (code, signal) =>
				reject(new Error(`readoutd exited (${code ?? signal}) before listening:\n${daemonLog}`)));
			daemon.stdout.setEncoding('utf8');
			daemon.stdout.on('data', (chunk) => {
				out += chunk;
				const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
				if (m)
					resolve(m[1]);
			});
		}),
		WAIT_MS,
		'readoutd start',
	);
}

function stopDaemon() {
	if (!daemon || daemon.exitCode !== null || daemon.signalCode !== null)
		return Promise.resolve();
	const exited = new Promise((resolve) => daemon.once('exit', resolve));
	daemon.kill('SIGTERM');
	const killer = setTimeout(() => daemon.kill('SIGKILL'), 5000);
	return bounded(exited, 10_000, 'readoutd stop').finally(() => clearTimeout(killer));
}

// A request from node (no CORS involved), to check what the server holds.
async function nodeGet(pathAndQuery) {
	const r = await fetch(api + pathAndQuery, { signal: AbortSignal.timeout(10_000) });
	return { status: r.status, headers: r.headers, body: await r.json() };
}

// Request log lines of readoutd so far, parsed.
function requests() {
	return daemonLog
		.split('\n')
		.filter((l) => l.startsWith('{'))
		.map((l) => JSON.parse(l))
		.filter((l) => l.method);
}

// Lets the daemon finish logging the requests it has answered.
const settle = () => sleep(300);

function evaluate(page, fn, arg, what) {
	return bounded(page.evaluate(fn, arg), WAIT_MS, what);
}

before(async () => {
	assert.ok(READOUTD, 'READOUTD names the readoutd binary (run through run.sh)');
	tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'readout-browser-'));
	const originA = await servePage();
	const originB = await servePage();
	api = await startDaemon(originA);
	browser = await chromium.launch({
		executablePath: CHROMIUM,
		headless: true,
		args: ['--no-sandbox', '--disable-dev-shm-usage'],
		timeout: WAIT_MS,
	});
	const context = await browser.newContext();
	pageA = await context.newPage();
	pageB = await context.newPage();
	pageB.on('console', (m) => consoleB.push(m.text()));
	for (const [page, origin] of [[pageA, originA], [pageB, originB]]) {
		const r = await page.goto(origin + '/', { timeout: WAIT_MS });
		assert.equal(r.status(), 200);
		assert.equal(await page.evaluate(() => location.origin), origin);
	}
	assert.notEqual(originA, originB);
});

async function cleanup() {
	const steps = [];
	if (browser)
		steps.push(bounded(browser.close(), 10_000, 'browser close').catch(() => {}));
	steps.push(stopDaemon().catch(() => daemon && daemon.kill('SIGKILL')));
	for (const s of pageServers) {
		s.closeAllConnections?.();
		steps.push(new Promise((resolve) => s.close(() => resolve())));
	}
	await bounded(Promise.all(steps), 20_000, 'cleanup').catch(() => {});
	if (tmp)
		fs.rmSync(tmp, { recursive: true, force: true });
}

after(cleanup);
for (const sig of ['SIGINT', 'SIGTERM'])
	process.once(sig, () => {
		if (daemon)
			daemon.kill('SIGKILL');
		process.exit(1);
	});
process.once('exit', () => {
	if (daemon && daemon.exitCode === null)
		daemon.kill('SIGKILL');
});

test('allowed origin: a page reads a list and the exposed X-Total-Count', { timeout: TEST_MS }, async () => {
	const fromNode = await nodeGet('/v1/meetings?count=true&limit=5');
	assert.equal(fromNode.status, 200);
	const total = fromNode.headers.get('x-total-count');
	assert.ok(Number(total) > 0, `the sample data has meetings (X-Total-Count ${total})`);

	const r = await evaluate(pageA, (a) => window.readList(a), api, 'page A list');
	assert.equal(r.threw, false, `fetch failed: ${r.name}: ${r.message}`);
	assert.equal(r.status, 200);
	assert.equal(r.totalHeader, total, 'X-Total-Count is readable by the page');
	assert.equal(r.bodyTotal, Number(total));
	assert.equal(r.items, Math.min(5, Number(total)));
	assert.equal(r.firstId, fromNode.body.data[0].id);
});

test('allowed origin: a page sends an authenticated, preflighted write and reads Location', { timeout: TEST_MS }, async () => {
	const name = `Browser Allowed ${process.pid}-${Date.now()}`;
	const before = requests().length;
	const r = await evaluate(pageA, ([a, t, n]) => window.createParticipant(a, t, n), [api, TOKEN, name], 'page A write');
	assert.equal(r.threw, false, `fetch failed: ${r.name}: ${r.message}`);
	assert.equal(r.status, 201, JSON.stringify(r.body));
	assert.equal(r.body.name, name);
	assert.ok(r.location, 'Location is readable by the page');
	const created = await nodeGet(new URL(r.location, api).pathname);
	assert.equal(created.status, 200);
	assert.equal(created.body.name, name);
	assert.equal(created.body.id, r.body.id);

	await settle();
	const seen = requests().slice(before);
	const preflight = seen.findIndex((l) => l.method === 'OPTIONS' && l.path === '/v1/participants');
	const post = seen.findIndex((l) => l.method === 'POST' && l.path === '/v1/participants');
	assert.ok(preflight >= 0, `the browser sent a preflight: ${JSON.stringify(seen)}`);
	assert.equal(seen[preflight].status, 204);
	assert.ok(post > preflight, 'the POST followed the preflight');
	assert.equal(seen[post].status, 201);
});

test('allowed origin: a page reads an error response (401 problem)', { timeout: TEST_MS }, async () => {
	const name = `Browser No Token ${process.pid}-${Date.now()}`;
	const r = await evaluate(pageA, ([a, n]) => window.createParticipant(a, null, n), [api, name], 'page A 401');
	assert.equal(r.threw, false, `fetch failed: ${r.name}: ${r.message}`);
	assert.equal(r.status, 401);
	assert.equal(r.contentType, 'application/problem+json');
	assert.equal(r.body.status, 401);
	assert.equal(r.body.type, 'urn:readout:problem:unauthorized');
	const check = await nodeGet(`/v1/participants?count=true&q=${encodeURIComponent(name)}`);
	assert.equal(check.headers.get('x-total-count'), '0');
});

test('other origin: the same list fetch is blocked by CORS', { timeout: TEST_MS }, async () => {
	// The server answers node, so a failure in the page is the browser's CORS check.
	const fromNode = await nodeGet('/v1/meetings?count=true&limit=5');
	assert.equal(fromNode.status, 200);
	consoleB.length = 0;
	const r = await evaluate(pageB, (a) => window.readList(a), api, 'page B list');
	assert.equal(r.threw, true, `the page read the list: ${JSON.stringify(r)}`);
	assert.equal(r.name, 'TypeError');
	assert.equal(r.isTypeError, true);
	await sleep(200);
	assert.ok(consoleB.some((m) => /blocked by CORS policy/.test(m)),
		`chromium reports a CORS block: ${JSON.stringify(consoleB)}`);
});

test('other origin: an authenticated write is blocked at the preflight and writes nothing', { timeout: TEST_MS }, async () => {
	const name = `Browser Blocked ${process.pid}-${Date.now()}`;
	const totalBefore = (await nodeGet('/v1/participants?count=true&limit=1')).headers.get('x-total-count');
	const before = requests().length;
	consoleB.length = 0;
	const r = await evaluate(pageB, ([a, t, n]) => window.createParticipant(a, t, n), [api, TOKEN, name], 'page B write');
	assert.equal(r.threw, true, `the page wrote: ${JSON.stringify(r)}`);
	assert.equal(r.name, 'TypeError');
	assert.equal(r.isTypeError, true);

	await settle();
	const seen = requests().slice(before);
	assert.ok(seen.some((l) => l.method === 'OPTIONS' && l.path === '/v1/participants'),
		`the browser asked with a preflight: ${JSON.stringify(seen)}`);
	assert.equal(seen.filter((l) => l.method === 'POST').length, 0, 'no POST reached the server');
	assert.ok(consoleB.some((m) => /blocked by CORS policy/.test(m)),
		`chromium reports a CORS block: ${JSON.stringify(consoleB)}`);

	const check = await nodeGet(`/v1/participants?count=true&q=${encodeURIComponent(name)}`);
	assert.equal(check.status, 200);
	assert.equal(check.headers.get('x-total-count'), '0');
	assert.deepEqual(check.body.data, []);
	const totalAfter = (await nodeGet('/v1/participants?count=true&limit=1')).headers.get('x-total-count');
	assert.equal(totalAfter, totalBefore);
});
