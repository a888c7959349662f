// The chart of a principle's invocations per year by stance: an SVG drawn
// here (one bar per year and stance that has any invocation), with the same
// numbers as a table for screen readers and keyboards.
import { h, s } from './dom.js';

export const STANCES = ['proposed', 'reaffirmed', 'cited'];

// { years: [y0..yN] (every year from the first to the last), stances,
//   counts: Map "year stance" -> n } of timeline items.
export function tally(items) {
	const counts = new Map();
	const stances = [...STANCES];
	let first = Infinity;
	let last = -Infinity;
	for (const it of items) {
		const year = Number(it.meeting.date.slice(0, 4));
		if (!stances.includes(it.stance))
			stances.push(it.stance);
		const key = `${year} ${it.stance}`;
		counts.set(key, (counts.get(key) || 0) + 1);
		first = Math.min(first, year);
		last = Math.max(last, year);
	}
	const years = [];
	for (let y = first; y <= last; y++)
		years.push(y);
	return { years, stances, counts };
}

const BAR = 18;     // bar width
const GAP = 24;     // space between years
const MIN_W = 360;  // the narrowest chart
const PLOT_H = 120; // height of the tallest bar
const TOP = 12;
const LEFT = 30;
const BOTTOM = 24;

export function stanceChart(items, name) {
	const { years, stances, counts } = tally(items);
	const max = Math.max(1, ...counts.values());
	const group = Math.max(stances.length * BAR + GAP, (MIN_W - LEFT - GAP) / years.length);
	const width = LEFT + years.length * group + GAP;
	const height = TOP + PLOT_H + BOTTOM;
	const y = (n) => TOP + PLOT_H - (n / max) * PLOT_H;
	const svg = s('svg', {
		class: 'chart',
		viewBox: `0 0 ${width} ${height}`,
		width,
		height,
		role: 'img',
		'aria-labelledby': 'chart-title',
	}, s('title', { id: 'chart-title' },
		`Invocations of ${name} per year by stance, ${years[0]} to ${years[years.length - 1]}. The table below gives the numbers.`));
	// Axis: integer ticks from 0 to max.
	const step = Math.max(1, Math.ceil(max / 4));
	for (let n = 0; n <= max; n += step) {
		svg.append(s('line', { class: 'grid', x1: LEFT, x2: width, y1: y(n), y2: y(n) }),
			s('text', { class: 'tick', x: LEFT - 6, y: y(n) + 4, 'text-anchor': 'end' }, String(n)));
	}
	years.forEach((year, i) => {
		const x0 = LEFT + GAP + i * group + (group - GAP - stances.length * BAR) / 2;
		svg.append(s('text', { class: 'year', x: x0 + (stances.length * BAR) / 2, y: height - 6, 'text-anchor': 'middle' },
			String(year)));
		stances.forEach((stance, k) => {
			const n = counts.get(`${year} ${stance}`) || 0;
			if (!n)
				return;
			svg.append(s('rect', {
				class: `bar stance-${STANCES.includes(stance) ? stance : 'other'}`,
				x: x0 + k * BAR,
				y: y(n),
				width: BAR - 2,
				height: TOP + PLOT_H - y(n),
				'data-year': year,
				'data-stance': stance,
				'data-count': n,
			}, s('title', null, `${year}: ${n} ${stance}`)));
		});
	});
	const legend = h('ul', { class: 'legend', 'aria-hidden': 'true' },
		stances.map((st) => h('li', null,
			h('span', { class: `swatch stance-${STANCES.includes(st) ? st : 'other'}` }), st)));
	const table = h('table', { class: 'chart-table' },
		h('caption', null, 'Invocations per year by stance'),
		h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Year'),
			stances.map((st) => h('th', { scope: 'col' }, st)))),
		h('tbody', null, years.map((year) => h('tr', null, h('th', { scope: 'row' }, String(year)),
			stances.map((st) => h('td', null, String(counts.get(`${year} ${st}`) || 0)))))));
	return h('figure', { class: 'chart-figure' },
		h('div', { class: 'chart-scroll' }, svg), legend, table);
}
