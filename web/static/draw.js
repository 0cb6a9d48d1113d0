/*
 * draw.js - what the helpdesk page draws with: element helpers, dates,
 * and its two pictures (the team timeline and the decisions chart)
 *
 * Loaded before app.js (both deferred, in this order); it defines one
 * global, deputyDraw, and nothing else. As in app.js, every value goes
 * into the page as text or as an SVG attribute, never as HTML.
 */

'use strict';

const deputyDraw = (function () {
	const SVG = 'http://www.w3.org/2000/svg';

	const PALETTE = ['#1b6ca8', '#d1495b', '#edae49', '#00798c',
		'#66a182', '#8d6a9f', '#c3423f', '#5bc0eb', '#9bc53d',
		'#404e4d', '#e55934', '#fa7921', '#2e4057', '#83b692',
		'#b56576', '#6d597a', '#355070', '#eaac8b', '#3d5a80',
		'#98c1d9', '#ee6c4d'];

	/* $ - the element with this id */
	function $(id) {
		return document.getElementById(id);
	}

	/* el - an element with attributes and children (strings are text) */
	function el(tag, attrs, ...kids) {
		const e = document.createElement(tag);

		for (const [k, v] of Object.entries(attrs || {})) {
			if (k === 'class')
				e.className = v;
			else if (k.startsWith('on'))
				e.addEventListener(k.slice(2), v);
			else
				e.setAttribute(k, v);
		}
		for (const k of kids)
			if (k !== null && k !== undefined)
				e.append(k);
		return e;
	}

	/* svg - an SVG element with attributes */
	function svg(tag, attrs) {
		const e = document.createElementNS(SVG, tag);

		for (const [k, v] of Object.entries(attrs || {}))
			e.setAttribute(k, String(v));
		return e;
	}

	/* clear - remove every child of E */
	function clear(e) {
		while (e.firstChild)
			e.removeChild(e.firstChild);
		return e;
	}

	/* say - a message for everyone (role=status) */
	function say(text) {
		$('message').textContent = text || '';
	}

	/* problem - an error for everyone (role=alert) */
	function problem(text) {
		$('problem').textContent = text || '';
	}

	/* when - an ISO time as "YYYY-MM-DD HH:MM", or the open end */
	function when(iso) {
		return iso ? iso.slice(0, 16).replace('T', ' ') : 'open end';
	}

	/* day - an ISO time's date */
	function day(iso) {
		return iso ? iso.slice(0, 10) : '';
	}

	/* dayBefore - YYYY-MM-DD of the day before ISO's date */
	function dayBefore(iso) {
		const d = new Date(iso.slice(0, 10) + 'T12:00:00Z');

		d.setUTCDate(d.getUTCDate() - 1);
		return d.toISOString().slice(0, 10);
	}

	/* span - "from … through …" of an absence, all-day or not */
	function span(start, end, allDay) {
		if (allDay && end && end.slice(11, 16) === '00:00')
			return [day(start), dayBefore(end) + ' (all day)'];
		return [when(start), when(end)];
	}

	/* today - YYYY-MM-DD in the browser's clock, N days on */
	function today(n) {
		const d = new Date();

		d.setDate(d.getDate() + (n || 0));
		return d.getFullYear() + '-' +
			String(d.getMonth() + 1).padStart(2, '0') + '-' +
			String(d.getDate()).padStart(2, '0');
	}

	/* timeline - one row per person, a bar per absence, in an SVG */
	function timeline(box, data) {
		const days = data.days, left = 210, dayW = Math.max(14,
			Math.floor(720 / days)), rowH = 26, top = 34;
		const width = left + days * dayW + 10;
		const height = top + Math.max(1, data.people.length) * rowH + 10;
		const t0 = Date.parse(data.from), t1 = Date.parse(data.to);
		const x = (t) => left + (Math.min(Math.max(t, t0), t1) - t0) /
			(t1 - t0) * days * dayW;
		const s = svg('svg', { width: width, height: height,
			viewBox: '0 0 ' + width + ' ' + height, role: 'img',
			class: 'timeline' });
		const title = svg('title');

		title.textContent = 'Absences from ' + day(data.from) + ' for ' +
			days + ' days';
		s.append(title);
		for (let i = 0; i <= days; i++) {
			s.append(svg('line', { x1: left + i * dayW, x2: left +
				i * dayW, y1: top - 6, y2: height - 10,
				class: 'grid' }));
			if (i < days && (days <= 14 || i % 7 === 0)) {
				const d = new Date(t0 + i * 86400000 + 43200000);
				const label = svg('text', { x: left + i * dayW + 2,
					y: top - 10, class: 'day' });

				label.textContent = d.toISOString().slice(5, 10);
				s.append(label);
			}
		}
		const now = Date.now();
		if (now > t0 && now < t1)
			s.append(svg('line', { x1: x(now), x2: x(now), y1: top - 6,
				y2: height - 10, class: 'now' }));
		data.people.forEach((p, row) => {
			const y = top + row * rowH;
			const name = svg('text', { x: 4, y: y + 17,
				class: 'name' });

			const who = p.name || p.user;
			const whoTitle = svg('title');

			name.textContent = who.length > 28 ? who.slice(0, 27) +
				'\u2026' : who;
			whoTitle.textContent = who;
			name.append(whoTitle);
			s.append(name);
			for (const sp of p.spans) {
				const a = Date.parse(sp.start);
				const b = sp.end ? Date.parse(sp.end) : t1;
				const r = svg('rect', { x: x(a), y: y + 4,
					width: Math.max(2, x(b) - x(a)),
					height: rowH - 8, rx: 3,
					class: p.away_now ? 'bar now' : 'bar' });
				const tip = svg('title');

				tip.textContent = (p.name || p.user) + ': ' +
					when(sp.start) + ' until ' + when(sp.end) +
					(sp.summary ? ' (' + sp.summary + ')' : '') +
					(p.covered_by.length ? ', covered by ' +
					p.covered_by.join(', ') : '');
				r.append(tip);
				s.append(r);
			}
		});
		if (data.people.length === 0) {
			const none = svg('text', { x: left, y: top + 17 });

			none.textContent = 'Nobody is away in this time.';
			s.append(none);
		}
		clear(box).append(s);
	}

	/* bars - stacked bars per day, one colour per reason */
	function bars(box, data, kind) {
		const rows = data[kind] || {};
		const reasons = Object.keys(rows).sort();
		const n = data.days.length, left = 48, barW = 64, gap = 24;
		const top = 20, plotH = 240;
		const width = left + n * (barW + gap) + 220;
		const height = top + plotH + 40;
		const totals = data.days.map((d, i) => reasons.reduce((sum, r) =>
			sum + rows[r][i], 0));
		const max = Math.max(1, ...totals);
		const s = svg('svg', { width: width, height: height,
			viewBox: '0 0 ' + width + ' ' + height, role: 'img',
			class: 'bars' });
		const title = svg('title');

		title.textContent = kind + ' decisions per day, by reason';
		s.append(title);
		for (let k = 0; k <= 4; k++) {
			const v = Math.round(max * k / 4);
			const y = top + plotH - plotH * v / max;
			const t = svg('text', { x: left - 6, y: y + 4,
				class: 'axis', 'text-anchor': 'end' });

			t.textContent = String(v);
			s.append(svg('line', { x1: left, x2: left + n *
				(barW + gap), y1: y, y2: y, class: 'grid' }), t);
		}
		data.days.forEach((d, i) => {
			const x = left + gap / 2 + i * (barW + gap);
			let y = top + plotH;
			const label = svg('text', { x: x + barW / 2,
				y: top + plotH + 18, class: 'day',
				'text-anchor': 'middle' });

			label.textContent = d.slice(5);
			s.append(label);
			reasons.forEach((r, ri) => {
				const h = plotH * rows[r][i] / max;
				if (h <= 0)
					return;
				y -= h;
				const rect = svg('rect', { x: x, y: y,
					width: barW, height: h,
					fill: PALETTE[ri % PALETTE.length] });
				const tip = svg('title');

				tip.textContent = d + ': ' + r + ' ' + rows[r][i];
				rect.append(tip);
				s.append(rect);
			});
		});
		reasons.forEach((r, ri) => {
			const y = top + ri * 18;
			const t = svg('text', { x: width - 190, y: y + 11,
				class: 'legend' });

			t.textContent = (r === 'none' ? (kind === 'notice' ?
				'sent' : 'forwarded') : r) + ' (' +
				rows[r].reduce((a, b) => a + b, 0) + ')';
			s.append(svg('rect', { x: width - 210, y: y, width: 12,
				height: 12, fill: PALETTE[ri % PALETTE.length] }),
				t);
		});
		if (reasons.length === 0) {
			const t = svg('text', { x: left + 10, y: top + 40 });

			t.textContent = 'No decisions in these days.';
			s.append(t);
		}
		clear(box).append(s);
	}

	return { $, el, svg, clear, say, problem, when, day, dayBefore, span,
		today, timeline, bars };
}());
