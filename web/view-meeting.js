// One meeting: its facts, participants with roles, principles with stance,
// who invoked them and the quote, the readout (and the other readouts side
// by side when the meeting has them), sources, related meetings, and the
// mentions per text when the server offers them.
import { ApiError, get, ref } from './api.js';
import {
	date, facts, h, kindName, link, loading, meetingLink, paragraphs, participantLink, principleLink, put, showError,
} from './dom.js';

const RELATION = { references: 'Refers to', follows_up: 'Follows up on' };

function section(id, title, ...content) {
	return h('section', { 'aria-labelledby': id }, h('h2', { id }, title), ...content);
}

function participants(m) {
	if (!m.participants.length)
		return h('p', { class: 'empty' }, 'No participant is recorded.');
	return h('ul', { class: 'people' }, m.participants.map((p) => h('li', null,
		participantLink(p), ' ', h('span', { class: `role role-${p.role}` }, p.role),
		p.title ? h('span', { class: 'sub' }, p.title) : null)));
}

function principles(m) {
	if (!m.principles.length)
		return h('p', { class: 'empty' }, 'No principle is recorded.');
	const byId = new Map(m.participants.map((p) => [p.id, p]));
	return h('ul', { class: 'invocations' }, m.principles.map((p) => {
		const who = p.invoked_by !== null ? byId.get(p.invoked_by) : null;
		return h('li', null,
			h('p', null, principleLink(p), ' ', h('span', { class: `stance stance-${p.stance}` }, p.stance),
				who ? [' by ', participantLink(who)] : null,
				p.framework ? h('span', { class: 'sub' }, p.framework) : null),
			p.quote ? h('blockquote', null, h('p', null, p.quote)) : null);
	}));
}

function source(m) {
	return m.sources && m.sources.length ? m.sources[0] : null;
}

// A column of text with its language and where it comes from.
function textColumn(title, text, lang, origin) {
	return h('article', { class: 'readout', 'aria-label': title },
		h('h3', null, title),
		origin ? h('p', { class: 'meta' }, origin) : null,
		text ? paragraphs(text, lang ? { lang } : null) : h('p', { class: 'empty' }, 'No text is recorded.'));
}

function readouts(m) {
	const src = source(m);
	const others = Array.isArray(m.readouts) ? m.readouts : [];
	if (!m.readout && !others.length)
		return h('p', { class: 'empty' }, 'No readout text is recorded.');
	const main = textColumn(
		src && src.language ? `Readout (${src.language})` : 'Readout',
		m.readout, src && src.language,
		src && src.publisher ? src.publisher : null);
	if (!others.length)
		return main;
	return h('div', { class: 'readouts' }, main, others.map((r, i) => textColumn(
		`${r.language || `Text ${i + 2}`}${r.publisher ? ` · ${r.publisher}` : ''}`,
		r.text, r.language,
		[r.published ? ['Published ', date(r.published)] : null,
			r.url ? [r.published ? ' · ' : '', h('a', { href: r.url, rel: 'noopener noreferrer' }, 'source')] : null])));
}

function sources(m) {
	if (!m.sources.length)
		return null;
	return h('ul', null, m.sources.map((s) => h('li', null,
		h('a', { href: s.url, rel: 'noopener noreferrer' }, s.publisher || s.url),
		s.language ? ` (${s.language})` : '')));
}

function related(m) {
	// The API gives the links this meeting makes; the meetings that link to
	// it are not offered (yet), so they are not shown.
	const list = m.related || [];
	if (!list.length)
		return h('p', { class: 'empty' }, 'This meeting refers to no other meeting.');
	return h('ul', null,
		list.map((r) => h('li', null, `${RELATION[r.relation] || r.relation} `, meetingLink(r), ', ', date(r.date))));
}

function mentionList(title, items, toLink) {
	return h('div', null, h('h4', null, title), items.length
		? h('ul', null, items.map((x) => h('li', null, toLink(x), `, ${x.count} ${x.count === 1 ? 'time' : 'times'}`)))
		: h('p', { class: 'empty' }, 'None.'));
}

// Fills box with GET /v1/meetings/{ref}/mentions; a 404 (a server without
// that route) removes the section.
async function mentions(m, box, ctx) {
	try {
		const r = await get(`/v1/meetings/${ref(m.id)}/mentions`, null, ctx.signal);
		box.querySelector('.loading')?.remove();
		box.append(h('div', { class: 'mentions' }, r.body.data.map((t) => {
			const what = t.text === 'readout' ? 'Readout' : `Text ${Number(t.text) + 2}`;
			const title = [what, t.language, t.publisher].filter(Boolean).join(' · ');
			return h('article', { 'aria-label': title }, h('h3', null, title),
				mentionList('Participants named', t.participants || [], participantLink),
				mentionList('Principles named', t.principles || [], principleLink));
		})));
	} catch (e) {
		if (e instanceof ApiError && e.status === 404) {
			box.remove();
			return;
		}
		box.querySelector('.loading')?.remove();
		if (e.name !== 'AbortError')
			box.append(h('p', { class: 'error' }, 'The mentions could not be loaded.'));
	}
}

export async function render(params, root, ctx) {
	const r = params.get('meeting');
	const heading = h('h1', { tabindex: '-1' }, 'Meeting');
	put(root, heading);
	ctx.setTitle('Meeting');
	const done = loading(root, 'the meeting');
	let m;
	try {
		m = (await get(`/v1/meetings/${ref(r)}`, null, ctx.signal)).body;
	} catch (e) {
		done();
		if (e instanceof ApiError && e.status === 404)
			heading.textContent = 'Meeting not found';
		showError(root, e, ctx, 'meeting');
		return;
	}
	done();
	heading.textContent = m.title;
	ctx.setTitle(m.title);
	const place = [m.location, m.city, m.country].filter(Boolean).join(', ');
	const mentionBox = section('mentions-h', 'Mentions in each text',
		h('p', { class: 'loading' }, 'Loading the mentions…'));
	put(root, 
		facts([['Date', date(m.date)], ['Kind', kindName(m.kind)], ['Place', place]]),
		m.summary ? h('p', { class: 'lead' }, m.summary) : null,
		section('participants-h', 'Participants', participants(m)),
		section('readout-h', m.readouts && m.readouts.length ? 'Readouts' : 'Readout', readouts(m)),
		section('principles-h', 'Principles', principles(m)),
		mentionBox,
		section('related-h', 'Related meetings', related(m)),
		m.sources.length ? section('sources-h', 'Sources', sources(m)) : null,
		m.participants.length > 1 ? h('p', null, link({ view: 'meetings', participant: m.participants.map((p) => p.slug) },
			'Every meeting all these participants attended')) : null);
	await mentions(m, mentionBox, ctx);
}
