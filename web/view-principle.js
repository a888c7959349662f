// One principle: its description and aliases, a chart of invocations per
// year by stance, and the timeline of every invocation.
import { ApiError, get, ref } from './api.js';
import { stanceChart } from './chart.js';
import {
	date, facts, h, link, loading, meetingLink, participantLink, plural, put, showError,
} from './dom.js';

const PAGES_MAX = 50; // 50 pages of 200: more than any principle has been invoked

// Every invocation, following next_cursor.
async function timeline(r, signal) {
	const all = [];
	let cursor = null;
	for (let i = 0; i < PAGES_MAX; i++) {
		const page = (await get(`/v1/principles/${ref(r)}/timeline`, { limit: 200, cursor }, signal)).body;
		all.push(...page.data);
		cursor = page.next_cursor;
		if (!cursor)
			break;
	}
	return all;
}

export async function render(params, root, ctx) {
	const r = params.get('principle');
	const heading = h('h1', { tabindex: '-1' }, 'Principle');
	put(root, heading);
	ctx.setTitle('Principle');
	const done = loading(root, 'the principle');
	try {
		const [p, items] = await Promise.all([
			get(`/v1/principles/${ref(r)}`, null, ctx.signal).then((x) => x.body),
			timeline(r, ctx.signal),
		]);
		done();
		heading.textContent = p.name;
		ctx.setTitle(p.name);
		put(root, 
			facts([
				['Framework', p.framework],
				['Also called', Array.isArray(p.aliases) ? p.aliases.join('; ') : null],
				['Invocations', String(p.invocation_count)],
				['First invoked', date(p.first_invoked_date)],
			]),
			p.description ? h('p', { class: 'lead' }, p.description) : null,
			h('section', { 'aria-labelledby': 'chart-h' },
				h('h2', { id: 'chart-h' }, 'Invocations per year'),
				items.length ? stanceChart(items, p.name) : h('p', { class: 'empty' }, 'This principle has not been invoked yet.')),
			h('section', { 'aria-labelledby': 'timeline-h' },
				h('h2', { id: 'timeline-h' }, 'Timeline'),
				h('p', { class: 'count' }, `${plural(items.length, 'invocation', 'invocations')}, oldest first.`),
				items.length ? h('ol', { class: 'timeline' }, items.map((it) => h('li', null,
					h('p', null, date(it.meeting.date), ' · ', meetingLink(it.meeting)),
					h('p', null, h('span', { class: `stance stance-${it.stance}` }, it.stance),
						it.invoked_by ? [' by ', participantLink(it.invoked_by)] : null),
					it.quote ? h('blockquote', null, h('p', null, it.quote)) : null))) : null,
				h('p', null, link({ view: 'meetings', principle: p.slug }, 'Filter the meetings list by this principle'))));
	} catch (e) {
		done();
		if (e instanceof ApiError && e.status === 404)
			heading.textContent = 'Principle not found';
		showError(root, e, ctx, 'principle');
	}
}
