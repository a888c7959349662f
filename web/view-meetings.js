// The meetings list: every filter of GET /v1/meetings, search text with the
// highlighted snippets of /v1/search, a count, and next pages.
import { ApiError, get } from './api.js';
import {
	date, h, href, KIND_NAMES, kindName, link, loading, meetingLink, navigate, nextPage, paramsObject, participantLink, plural, put, showError,
} from './dom.js';

export const FILTERS = ['q', 'from', 'to', 'kind', 'country', 'participant', 'principle', 'sort'];

let choices = null; // participants and principles for the form, once per page load

function loadChoices(signal) {
	if (!choices) {
		choices = Promise.all([
			get('/v1/participants', { limit: 200, sort: '-meeting_count' }, signal),
			get('/v1/principles', { limit: 200 }, signal),
		]).then(([p, q]) => ({ participants: p.body.data, principles: q.body.data }));
		choices.catch(() => {
			choices = null;
		});
	}
	return choices;
}

function field(id, label, control, hint) {
	const hintId = hint ? `${id}-hint` : null;
	if (hintId)
		control.setAttribute('aria-describedby', hintId);
	return h('div', { class: 'field' }, h('label', { for: id }, label), control,
		hint ? h('small', { id: hintId }, hint) : null);
}

function select(id, name, value, options) {
	return h('select', { id, name },
		options.map(([v, text]) => h('option', { value: v, selected: v === (value || '') }, text)));
}

function filterForm(f, ch) {
	const participants = [].concat(f.participant || []);
	const form = h('form', { class: 'filters', 'aria-label': 'Filter meetings' },
		field('f-q', 'Text', h('input', { id: 'f-q', name: 'q', type: 'search', value: f.q || '', maxlength: 500 }),
			'Words are all required; "quoted text" is a phrase, word* a prefix, OR an alternative.'),
		field('f-from', 'From', h('input', { id: 'f-from', name: 'from', type: 'date', value: f.from || '' })),
		field('f-to', 'To', h('input', { id: 'f-to', name: 'to', type: 'date', value: f.to || '' })),
		field('f-kind', 'Kind', select('f-kind', 'kind', f.kind,
			[['', 'Any kind'], ...Object.entries(KIND_NAMES)])),
		field('f-country', 'Country', h('input', {
			id: 'f-country', name: 'country', value: f.country || '', maxlength: 2, size: 3,
			autocapitalize: 'characters', autocomplete: 'off', pattern: '[A-Za-z]{2}',
		}), 'Two letters (ISO 3166-1), e.g. CN.'),
		field('f-participant', 'Participants', h('input', {
			id: 'f-participant', name: 'participant', value: participants.join(', '),
			list: 'participant-choices', autocomplete: 'off',
		}), 'Slugs, separated by commas: meetings every one of them attended.'),
		h('datalist', { id: 'participant-choices' },
			ch.participants.map((p) => h('option', { value: p.slug }, p.name))),
		field('f-principle', 'Principle', select('f-principle', 'principle', f.principle,
			[['', 'Any principle'], ...ch.principles.map((p) => [p.slug, p.name])])),
		field('f-sort', 'Order', select('f-sort', 'sort', f.sort, [
			['', 'Default'],
			['-date', 'Newest first'],
			['date', 'Oldest first'],
		]), 'By default newest first; with text, best match first.'),
		h('div', { class: 'actions' },
			h('button', { type: 'submit' }, 'Show meetings'),
			link({}, 'Clear the filters')));
	form.addEventListener('submit', (e) => {
		e.preventDefault();
		const data = new FormData(form);
		const params = { view: 'meetings' };
		for (const k of FILTERS) {
			const v = String(data.get(k) || '').trim();
			if (k === 'participant')
				params[k] = v.split(/[\s,]+/).filter(Boolean);
			else if (k === 'country')
				params[k] = v.toUpperCase();
			else
				params[k] = v;
		}
		navigate(href(params));
	});
	// Folded on a narrow screen unless a filter is set, so the meetings
	// come first.
	const active = FILTERS.some((k) => f[k]);
	return h('details', { class: 'filter-box', open: active || matchMedia('(min-width: 40rem)').matches },
		h('summary', null, active ? 'Filters (some are set)' : 'Filters'), form);
}

function item(m, snippet) {
	const place = [m.location, m.city, m.country].filter(Boolean).join(', ');
	const text = h('p', { class: 'summary' });
	if (snippet) {
		// The only HTML the explorer inserts: the server escapes every
		// character of a snippet but its <mark> tags (API.md section 4).
		text.className = 'snippet';
		text.innerHTML = snippet;
	} else if (m.summary) {
		text.textContent = m.summary;
	}
	return h('li', { class: 'card' },
		h('h2', null, meetingLink(m)),
		h('p', { class: 'meta' }, date(m.date), ` · ${kindName(m.kind)}`, place ? ` · ${place}` : ''),
		m.participants.length ? h('p', { class: 'who' }, 'With ',
			m.participants.map((p, i) => [i ? ', ' : '', participantLink(p)])) : null,
		text.textContent || snippet ? text : null);
}

export async function render(params, root, ctx) {
	const f = paramsObject(params, [...FILTERS, 'cursor']);
	const filtered = FILTERS.some((k) => f[k]);
	put(root, h('h1', { tabindex: '-1' }, filtered ? 'Meetings found' : 'Meetings'));
	ctx.setTitle('Meetings');
	const done = loading(root, 'meetings');
	try {
		const query = { ...f, count: 'true', limit: 20 };
		const [list, ch, hits] = await Promise.all([
			get('/v1/meetings', query, ctx.signal),
			loadChoices(ctx.signal).catch(() => ({ participants: [], principles: [] })),
			f.q ? get('/v1/search', { q: f.q, type: 'meeting', limit: 200 }, ctx.signal).catch(() => null) : null,
		]);
		done();
		const snippets = new Map();
		for (const hit of hits ? hits.body.data : [])
			snippets.set(hit.id, hit.snippet);
		const total = list.body.total;
		put(root, filterForm(f, ch),
			h('p', { class: 'count', role: 'status' },
				f.cursor ? `${plural(total, 'meeting', 'meetings')} in all; a later page` : plural(total, 'meeting', 'meetings')));
		if (!list.body.data.length) {
			put(root, h('p', { class: 'empty' }, filtered
				? 'No meeting matches these filters.' : 'There are no meetings yet.'));
		} else {
			put(root, h('ol', { class: 'cards', 'aria-label': 'Meetings' },
				list.body.data.map((m) => item(m, snippets.get(m.id)))));
		}
		const { cursor, ...rest } = f;
		put(root, nextPage({ view: 'meetings', ...rest }, list.body.next_cursor, 'meetings'));
	} catch (e) {
		done();
		// A filter the server refuses (400) is shown with the form, to fix it.
		if (e instanceof ApiError && e.status === 400)
			put(root, filterForm(f, await loadChoices(ctx.signal).catch(() => ({ participants: [], principles: [] }))));
		showError(root, e, ctx, 'list');
	}
}
