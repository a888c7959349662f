// The explorer's shell: which view a URL names, rendering it into <main>,
// links and history without page loads, and the token bar.
//
// URLs (all on /explore/, so the server needs no catch-all route):
//   /explore/                           the meetings list
//   /explore/?view=meetings&kind=summit the meetings list, filtered (API names)
//   /explore/?meeting=REF               one meeting (REF: slug or id)
//   /explore/?participant=REF           one participant
//   /explore/?principle=REF             one principle
//   /explore/?view=search&q=TEXT        search across every kind
//   /explore/?view=participants, ?view=principles   the lists
// A `view` parameter decides; without one, the entity key does.
import { token } from './api.js';
import { h, link } from './dom.js';
import { render as meetings } from './view-meetings.js';
import { render as meeting } from './view-meeting.js';
import { render as participant } from './view-participant.js';
import { render as principle } from './view-principle.js';
import { render as search } from './view-search.js';
import { renderer as list } from './view-lists.js';

const VIEWS = {
	meetings,
	meeting,
	participant,
	principle,
	search,
	participants: list('participants'),
	principles: list('principles'),
};
const NAV = { meeting: 'meetings', participant: 'participants', principle: 'principles' };

function viewOf(params) {
	const v = params.get('view');
	if (v !== null)
		return Object.hasOwn(VIEWS, v) && !Object.hasOwn(NAV, v) ? v : null;
	for (const k of ['meeting', 'participant', 'principle'])
		if (params.get(k))
			return k;
	return 'meetings';
}

function unknown(params, root, ctx) {
	root.append(h('h1', { tabindex: '-1' }, 'No such page'),
		h('p', null, 'The explorer has no view of that name. ', link({}, 'See the meetings.')));
	ctx.setTitle('No such page');
}

let current = null; // the AbortController of the view being shown
let shown = null; // the query string of the view being shown

function render(focus) {
	if (current)
		current.abort();
	const controller = new AbortController();
	current = controller;
	shown = location.search;
	const params = new URLSearchParams(location.search);
	const name = viewOf(params);
	const main = document.getElementById('main');
	const root = h('div', { class: `view view-${name || 'unknown'}` });
	main.replaceChildren(root);
	for (const a of document.querySelectorAll('nav a[data-view]')) {
		if (a.dataset.view === (NAV[name] || name))
			a.setAttribute('aria-current', 'page');
		else
			a.removeAttribute('aria-current');
	}
	const ctx = {
		signal: controller.signal,
		setTitle: (t) => {
			if (current === controller)
				document.title = `${t} · Readout explorer`;
		},
		retry: () => render(true),
	};
	const done = (name ? VIEWS[name] : unknown)(params, root, ctx);
	if (focus) {
		const heading = root.querySelector('h1');
		if (heading)
			heading.focus();
		window.scrollTo(0, 0);
	}
	return Promise.resolve(done).catch((e) => {
		if (e.name !== 'AbortError')
			throw e;
	});
}

// Same-origin links to /explore/ change the view in place.
document.addEventListener('click', (e) => {
	if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey)
		return;
	const a = e.target.closest('a[href]');
	if (!a || a.target || a.hasAttribute('download') || a.getAttribute('href').startsWith('#'))
		return;
	const url = new URL(a.href);
	if (url.origin !== location.origin || url.pathname !== '/explore/')
		return;
	e.preventDefault();
	if (url.search !== location.search)
		history.pushState(null, '', url.pathname + url.search);
	render(true);
});

// The header's search form.
document.querySelector('form.quick-search').addEventListener('submit', (e) => {
	e.preventDefault();
	const q = new FormData(e.target).get('q').trim();
	if (!q)
		return;
	history.pushState(null, '', `/explore/?${new URLSearchParams({ view: 'search', q })}`);
	render(true);
});

// Back and forward; a move within the page (the skip link's #main) keeps
// the view.
window.addEventListener('popstate', () => {
	if (location.search !== shown)
		render(true);
});
window.addEventListener('explore:navigate', (e) => render(e.detail.focus));

function tokenBar() {
	document.getElementById('token-bar').hidden = !token.get();
}
window.addEventListener('explore:token', tokenBar);
document.getElementById('forget-token').addEventListener('click', () => {
	token.forget();
	render(true);
});
tokenBar();
render(false);
