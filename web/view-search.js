// Search across meetings, participants and principles (GET /v1/search),
// best match first, with the server's highlighted snippets.
import { get } from './api.js';
import {
	date, h, href, link, loading, navigate, nextPage, plural, put, showError,
} from './dom.js';

const TYPES = [['', 'Everything'], ['meeting', 'Meetings'], ['participant', 'Participants'], ['principle', 'Principles']];

function form(q, type) {
	const input = h('input', { id: 's-q', name: 'q', type: 'search', value: q, required: true, maxlength: 500 });
	const kind = h('select', { id: 's-type', name: 'type' },
		TYPES.map(([v, t]) => h('option', { value: v, selected: v === type }, t)));
	const f = h('form', { class: 'filters', role: 'search', 'aria-label': 'Search the records' },
		h('div', { class: 'field wide' }, h('label', { for: 's-q' }, 'Search for'), input),
		h('div', { class: 'field' }, h('label', { for: 's-type' }, 'In'), kind),
		h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Search')));
	f.addEventListener('submit', (e) => {
		e.preventDefault();
		navigate(href({ view: 'search', q: input.value.trim(), type: kind.value }));
	});
	return f;
}

function result(hit) {
	const snippet = h('p', { class: 'snippet' });
	// The server escapes every character of a snippet but its <mark> tags
	// (API.md section 4): the one place the explorer inserts HTML.
	snippet.innerHTML = hit.snippet || '';
	return h('li', { class: 'card' },
		h('h2', null, link({ [hit.type]: hit.slug || hit.id }, hit.title)),
		h('p', { class: 'meta' }, h('span', { class: 'type' }, hit.type), hit.date ? [' · ', date(hit.date)] : null),
		hit.snippet ? snippet : null);
}

export async function render(params, root, ctx) {
	const q = params.get('q') || '';
	const type = params.get('type') || '';
	const cursor = params.get('cursor');
	put(root, h('h1', { tabindex: '-1' }, q ? `Search: ${q}` : 'Search'));
	ctx.setTitle(q ? `Search: ${q}` : 'Search');
	put(root, form(q, type));
	if (!q) {
		put(root, h('p', { class: 'empty' }, 'Search the titles, summaries and readouts of meetings, the names of participants and the names and descriptions of principles.'));
		return;
	}
	const done = loading(root, 'the results');
	try {
		const r = (await get('/v1/search', { q, type, cursor, limit: 20 }, ctx.signal)).body;
		done();
		put(root, h('p', { class: 'count', role: 'status' },
			r.data.length ? `${plural(r.data.length, 'result', 'results')}${r.next_cursor ? ' on this page' : ''}, best match first` : ''));
		put(root, r.data.length
			? h('ol', { class: 'cards', 'aria-label': 'Results' }, r.data.map(result))
			: h('p', { class: 'empty' }, `Nothing matches “${q}”.`));
		put(root, nextPage({ view: 'search', q, type }, r.next_cursor, 'results'));
	} catch (e) {
		done();
		showError(root, e, ctx, 'search');
	}
}
