// DOM building for the views. Every string becomes a text node or an
// attribute value: nothing here parses HTML.
import { ApiError, NetworkError, token } from './api.js';

function appendAll(el, children) {
	for (const c of children.flat(Infinity)) {
		if (c === null || c === undefined || c === false)
			continue;
		el.append(c instanceof Node ? c : String(c));
	}
}

function setAttrs(el, attrs) {
	for (const [k, v] of Object.entries(attrs || {})) {
		if (v === null || v === undefined || v === false)
			continue;
		if (k.startsWith('on'))
			el.addEventListener(k.slice(2), v);
		else
			el.setAttribute(k, v === true ? '' : String(v));
	}
}

// Appends children to el, leaving out null, undefined and false.
export function put(el, ...children) {
	appendAll(el, children);
}

// An HTML element: h('a', { href: '...' }, 'text', child, ...).
export function h(tag, attrs, ...children) {
	const el = document.createElement(tag);
	setAttrs(el, attrs);
	appendAll(el, children);
	return el;
}

// An SVG element.
export function s(tag, attrs, ...children) {
	const el = document.createElementNS('http://www.w3.org/2000/svg', tag);
	setAttrs(el, attrs);
	appendAll(el, children);
	return el;
}

// The explorer URL of a view: params as for api.query.
export function href(params) {
	const q = new URLSearchParams();
	for (const [k, v] of Object.entries(params))
		for (const one of Array.isArray(v) ? v : [v])
			if (one !== undefined && one !== null && one !== '')
				q.append(k, String(one));
	const qs = q.toString();
	return `/explore/${qs ? `?${qs}` : ''}`;
}

export const link = (params, ...children) => h('a', { href: href(params) }, ...children);
export const meetingLink = (m) => link({ meeting: m.slug || m.id }, m.title);
export const participantLink = (p) => link({ participant: p.slug || p.id }, p.name);
export const principleLink = (p) => link({ principle: p.slug || p.id }, p.name);

// Goes to an explorer URL as a new history entry (replace: in place); the
// app renders it.
export function navigate(url, replace) {
	if (replace)
		history.replaceState(null, '', url);
	else if (url !== location.pathname + location.search)
		history.pushState(null, '', url);
	window.dispatchEvent(new CustomEvent('explore:navigate', { detail: { focus: true } }));
}

export const KIND_NAMES = {
	meeting: 'Meeting',
	talks: 'Talks',
	phone_call: 'Phone call',
	video_call: 'Video call',
	summit: 'Summit',
	visit: 'Visit',
	other: 'Other',
};
export const kindName = (k) => KIND_NAMES[k] || k;

// "26 April 2024" from "2024-04-26", in the reader's language, as a <time>.
export function date(iso) {
	if (!iso)
		return null;
	const d = new Date(`${iso}T00:00:00Z`);
	const text = Number.isNaN(d.getTime())
		? iso
		: d.toLocaleDateString(undefined, { year: 'numeric', month: 'long', day: 'numeric', timeZone: 'UTC' });
	return h('time', { datetime: iso }, text);
}

export const plural = (n, one, many) => `${n} ${n === 1 ? one : many}`;

// A description list from [label, value] pairs, leaving out empty values.
export function facts(pairs) {
	const dl = h('dl', { class: 'facts' });
	for (const [label, value] of pairs) {
		if (value === null || value === undefined || value === '' ||
		    (Array.isArray(value) && value.length === 0))
			continue;
		dl.append(h('div', null, h('dt', null, label), h('dd', null, value)));
	}
	return dl;
}

// Text split into paragraphs at blank lines (or at line ends when it has
// none).
export function paragraphs(text, attrs) {
	const parts = /\n\s*\n/.test(text) ? text.split(/\n\s*\n/) : text.split('\n');
	return h('div', { class: 'text', ...attrs },
		parts.map((p) => p.trim()).filter(Boolean).map((p) => h('p', null, p)));
}

// Shows "Loading ..." in place until done() is called.
export function loading(root, what) {
	const note = h('p', { class: 'loading', role: 'status' }, `Loading ${what}…`);
	root.append(note);
	root.setAttribute('aria-busy', 'true');
	return () => {
		note.remove();
		root.removeAttribute('aria-busy');
	};
}

// The token prompt shown when a read answers 401: the token is kept for
// this tab (sessionStorage) and the view is loaded again.
function tokenPrompt(ctx) {
	const input = h('input', { id: 'token-input', type: 'password', autocomplete: 'off', required: true });
	const stored = token.get();
	return h('form', {
		class: 'token-prompt',
		'aria-labelledby': 'token-title',
		onsubmit: (e) => {
			e.preventDefault();
			const value = input.value.trim();
			if (value) {
				token.set(value);
				ctx.retry();
			}
		},
	},
	h('h2', { id: 'token-title' }, 'An access token is needed'),
	h('p', null, stored
		? 'The server refused the token this tab holds. Enter another one.'
		: 'This Readout is private: reading it takes an access token. It is kept for this tab only and sent with each request.'),
	h('label', { for: 'token-input' }, 'Access token'),
	input,
	h('button', { type: 'submit' }, 'Use this token'));
}

// The error state of a view, into root: the token prompt for a 401, else
// what went wrong and, when trying again can help, a button for it.
export function showError(root, err, ctx, what) {
	if (err && err.name === 'AbortError')
		return;
	let box;
	if (err instanceof ApiError && err.status === 401) {
		box = tokenPrompt(ctx);
	} else {
		let title;
		let detail;
		let again = false;
		if (err instanceof ApiError && err.status === 404) {
			title = `Not found`;
			detail = `There is no such ${what || 'page'}.`;
		} else if (err instanceof ApiError && err.status === 503) {
			title = 'The service is busy';
			detail = `The database cannot answer now${err.retryAfter ? ` (try again in ${err.retryAfter} s)` : ''}.`;
			again = true;
		} else if (err instanceof ApiError) {
			title = (err.problem && err.problem.title) || `Error ${err.status}`;
			detail = err.message;
			again = err.status >= 500;
		} else if (err instanceof NetworkError) {
			title = 'No answer';
			detail = 'The server could not be reached. Check the connection.';
			again = true;
		} else {
			title = 'Something went wrong';
			detail = String((err && err.message) || err);
			again = true;
		}
		box = h('div', { class: 'error', role: 'alert' },
			h('h2', null, title), h('p', null, detail),
			again ? h('button', { type: 'button', onclick: () => ctx.retry() }, 'Try again') : null,
			h('p', null, link({}, 'Back to the meetings')));
	}
	root.append(box);
	if (box.tagName === 'FORM')
		box.querySelector('input').focus();
}

// A "Next page" link for a list whose answer has next_cursor.
export function nextPage(params, cursor, what) {
	if (!cursor)
		return null;
	return h('p', { class: 'pager' }, link({ ...params, cursor }, `Next page of ${what}`));
}

// The search parameters of the current URL as an object (repeated keys as
// arrays).
export function paramsObject(params, keys) {
	const out = {};
	for (const k of keys) {
		const all = params.getAll(k);
		if (all.length === 1)
			out[k] = all[0];
		else if (all.length > 1)
			out[k] = all;
	}
	return out;
}
