// One participant: names, title, and the meetings attended, with roles.
import { ApiError, get, ref } from './api.js';
import {
	date, facts, h, kindName, link, loading, meetingLink, nextPage, plural, put, showError,
} from './dom.js';

export async function render(params, root, ctx) {
	const r = params.get('participant');
	const cursor = params.get('cursor');
	const heading = h('h1', { tabindex: '-1' }, 'Participant');
	put(root, heading);
	ctx.setTitle('Participant');
	const done = loading(root, 'the participant');
	try {
		const [p, list] = await Promise.all([
			get(`/v1/participants/${ref(r)}`, null, ctx.signal),
			get(`/v1/participants/${ref(r)}/meetings`, { limit: 50, cursor }, ctx.signal),
		]).then((a) => a.map((x) => x.body));
		done();
		heading.textContent = p.name;
		ctx.setTitle(p.name);
		put(root, 
			facts([
				['Also written', p.aliases.join('; ')],
				['Title', p.title],
				['Organization', p.organization],
				['Country', p.country],
				['Meetings', String(p.meeting_count)],
				['First', date(p.first_meeting_date)],
				['Last', date(p.last_meeting_date)],
			]),
			h('section', { 'aria-labelledby': 'attended-h' },
				h('h2', { id: 'attended-h' }, 'Meetings attended'),
				h('p', { class: 'count' }, `${plural(p.meeting_count, 'meeting', 'meetings')}, oldest first.`),
				list.data.length
					? h('table', { class: 'rows' },
						h('thead', null, h('tr', null, ['Date', 'Meeting', 'Kind', 'Role'].map((c) => h('th', { scope: 'col' }, c)))),
						h('tbody', null, list.data.map((m) => h('tr', null,
							h('td', null, date(m.date)), h('td', null, meetingLink(m)),
							h('td', null, kindName(m.kind)), h('td', null, m.role)))))
					: h('p', { class: 'empty' }, 'No meeting is recorded for this participant.'),
				nextPage({ participant: r }, list.next_cursor, 'meetings'),
				h('p', null, link({ view: 'meetings', participant: p.slug }, 'Filter the meetings list by this participant'))));
	} catch (e) {
		done();
		if (e instanceof ApiError && e.status === 404)
			heading.textContent = 'Participant not found';
		showError(root, e, ctx, 'participant');
	}
}
