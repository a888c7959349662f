// The participants and principles lists, by name, with a name filter.
import { get } from './api.js';
import {
	date, h, href, loading, navigate, nextPage, participantLink, principleLink, put, showError,
} from './dom.js';

function nameForm(view, q, what) {
	const input = h('input', { id: 'l-q', name: 'q', type: 'search', value: q });
	const f = h('form', { class: 'filters', 'aria-label': `Filter ${what}` },
		h('div', { class: 'field wide' }, h('label', { for: 'l-q' }, 'Name contains'), input),
		h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Filter')));
	f.addEventListener('submit', (e) => {
		e.preventDefault();
		navigate(href({ view, q: input.value.trim() }));
	});
	return f;
}

function table(cols, rows) {
	return h('table', { class: 'rows' },
		h('thead', null, h('tr', null, cols.map((c) => h('th', { scope: 'col' }, c)))),
		h('tbody', null, rows.map((cells) => h('tr', null, cells.map((c) => h('td', null, c))))));
}

const LISTS = {
	participants: {
		title: 'Participants',
		path: '/v1/participants',
		cols: ['Name', 'Title', 'Country', 'Meetings', 'Last met'],
		row: (p) => [participantLink(p), p.title || '', p.country || '', String(p.meeting_count), date(p.last_meeting_date)],
	},
	principles: {
		title: 'Principles',
		path: '/v1/principles',
		cols: ['Name', 'Framework', 'Invocations', 'First invoked'],
		row: (p) => [principleLink(p), p.framework || '', String(p.invocation_count), date(p.first_invoked_date)],
	},
};

export function renderer(view) {
	const l = LISTS[view];
	return async (params, root, ctx) => {
		const q = params.get('q') || '';
		const cursor = params.get('cursor');
		put(root, h('h1', { tabindex: '-1' }, l.title));
		ctx.setTitle(l.title);
		put(root, nameForm(view, q, l.title.toLowerCase()));
		const done = loading(root, l.title.toLowerCase());
		try {
			const r = (await get(l.path, { q, cursor, limit: 50, count: 'true' }, ctx.signal)).body;
			done();
			put(root, h('p', { class: 'count', role: 'status' }, `${r.total} ${l.title.toLowerCase()}`));
			put(root, r.data.length ? table(l.cols, r.data.map(l.row))
				: h('p', { class: 'empty' }, q ? `No name contains “${q}”.` : `There are no ${l.title.toLowerCase()} yet.`));
			put(root, nextPage({ view, q }, r.next_cursor, l.title.toLowerCase()));
		} catch (e) {
			done();
			showError(root, e, ctx, 'list');
		}
	};
}
