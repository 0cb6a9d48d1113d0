/*
 * app.js - the helpdesk page of deputy-web
 *
 * One page, two files (draw.js: the helpers and the two charts), no
 * build step. Every value from the server goes
 * into the page as text (textContent, Node.append of strings,
 * createTextNode), never as HTML: names, summaries, delegates and
 * pasted messages are shown as they are. The server's
 * Content-Security-Policy allows this file and nothing inline.
 *
 * Views follow the address's #fragment: #/search, #/person/ADDRESS,
 * #/week, #/team, #/explain, #/check, #/stats. Every POST sends the
 * session's CSRF token in X-CSRF-Token.
 */
'use strict';

(function () {
	const { $, el, svg, clear, say, problem, when,
		day, dayBefore, span, today, timeline, bars } = deputyDraw;
	const VIEWS = ['login', 'search', 'person', 'week', 'team', 'explain',
		'check', 'stats'];
	const RULES = {
		daily: 'FREQ=DAILY',
		weekdays: 'FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR',
		weekly: 'FREQ=WEEKLY',
		monthly: 'FREQ=MONTHLY',
		yearly: 'FREQ=YEARLY'
	};
	const FIELDS = {
		from: 'f-from', until: 'f-until', tz: 'f-tz',
		every: 'f-repeat', summary: 'f-summary',
		delegates: 'f-delegate-q', notice: 'f-notice',
		mail: 'f-mail', password: 'f-password'
	};

	let session = null;	/* {user, dn, csrf, backend, zone} */
	let person = null;	/* the person shown, as GET /api/person */
	let delegates = [];	/* the form's: {value, label, state} */
	let statsData = null;

	/* api - one request; rejects with {status, error, field} */
	async function api(method, path, body) {
		const opt = { method: method, credentials: 'same-origin',
			headers: {}, cache: 'no-store' };
		const ctl = new AbortController();
		const timer = setTimeout(() => ctl.abort(), 60000);
		let res, data = null;

		opt.signal = ctl.signal;
		if (body !== undefined) {
			opt.headers['Content-Type'] = 'application/json';
			opt.body = JSON.stringify(body);
			if (session)
				opt.headers['X-CSRF-Token'] = session.csrf;
		}
		try {
			res = await fetch(path, opt);
			data = await res.json();
		} catch (e) {
			throw { status: 0, error: res ? 'the answer is not ' +
				'JSON (HTTP ' + res.status + ')' :
				'deputy-web does not answer (' + e.message + ')' };
		} finally {
			clearTimeout(timer);
		}
		if (res.status === 401 && path !== '/api/login') {
			session = null;
			showSession();
			show('login');
		}
		if (!res.ok)
			throw { status: res.status, error: data.error ||
				'HTTP ' + res.status, field: data.field };
		return data;
	}

	/* show - one view, the others hidden */
	function show(name) {
		for (const v of VIEWS)
			$('view-' + v).hidden = v !== name;
		if (name === 'login')
			$('login-user').focus();
	}

	/* showSession - the header for who is logged in */
	function showSession() {
		$('nav').hidden = !session;
		$('who').hidden = !session;
		$('who-name').textContent = session ? 'Logged in as ' +
			session.user : '';
	}

	/* ------------------------------------------------------ routing */

	/* route - the view of the address's fragment */
	function route() {
		const h = location.hash || '#/search';

		problem('');
		say('');
		if (!session) {
			show('login');
			return;
		}
		if (h.startsWith('#/person/')) {
			loadPerson(decodeURIComponent(h.slice(9)));
		} else if (h === '#/week') {
			show('week');
			loadWeek();
		} else if (h === '#/team') {
			show('team');
			if (!$('team-from').value)
				$('team-from').value = today(0);
			loadTeam();
		} else if (h === '#/explain') {
			show('explain');
			if (person && !$('x-id').value)
				$('x-id').value = person.user;
		} else if (h === '#/check') {
			show('check');
			loadCheck();
		} else if (h === '#/stats') {
			show('stats');
			loadStats();
		} else {
			show('search');
			$('search-q').focus();
		}
	}

	/* -------------------------------------------------------- login */

	async function login(ev) {
		ev.preventDefault();
		problem('');
		try {
			session = await api('POST', '/api/login', {
				user: $('login-user').value,
				password: $('login-password').value
			});
		} catch (e) {
			problem(e.error);
			$('login-password').value = '';
			$('login-password').focus();
			return;
		}
		$('login-password').value = '';
		showSession();
		say('Logged in as ' + session.user + '.');
		if (!location.hash || location.hash === '#/')
			location.hash = '#/search';
		else
			route();
	}

	async function logout() {
		try {
			await api('POST', '/api/logout', {});
		} catch (e) {
			/* the session is gone either way */
		}
		session = null;
		person = null;
		showSession();
		say('Logged out.');
		show('login');
	}

	/* ------------------------------------------------------- search */

	/* stateText - "away until …" or "present" */
	function stateText(p) {
		return p.away ? 'away until ' + when(p.until) : 'present';
	}

	async function search(ev) {
		ev.preventDefault();
		const list = clear($('search-results'));
		let data;

		problem('');
		try {
			data = await api('GET', '/api/search?q=' +
				encodeURIComponent($('search-q').value));
		} catch (e) {
			problem(e.error);
			return;
		}
		for (const p of data.people) {
			list.append(el('li', {},
				el('a', { href: '#/person/' +
					encodeURIComponent(p.id) },
				p.name ? p.name + ' <' + p.mail + '>' : p.mail),
				' ', el('span', { class: p.away ? 'badge away' :
					'badge' }, stateText(p))));
		}
		say(data.people.length === 0 ? 'Nobody found.' :
			data.people.length + (data.more ? '+' : '') +
			' found.');
	}

	/* ------------------------------------------------------- person */

	/* chainList - the delegation tree as nested lists */
	function chainList(nodes) {
		const ul = el('ul', {});

		for (const n of nodes) {
			const who = n.name ? n.name + ' <' + (n.mail || '') + '>' :
				n.mail || n.value;
			let state;

			if (n.status === 'away')
				state = 'away until ' + when(n.until) +
					': passes the copy on';
			else if (n.status === 'cycle')
				state = 'cycle: back to ' + n.dn;
			else if (n.status === 'unknown')
				state = 'names nobody in the directory';
			else if (n.status === 'outside')
				state = 'outside address';
			else
				state = 'present: gets the copy';
			const li = el('li', { class: 'node ' + n.status },
				el('span', { class: 'who' }, who), ' ',
				el('span', { class: 'badge ' + n.status },
					state));
			if (n.delegates && n.delegates.length > 0)
				li.append(chainList(n.delegates));
			ul.append(li);
		}
		return ul;
	}

	/* renderPerson - the person page from PERSON */
	function renderPerson() {
		const p = person;
		const tbody = clear($('p-absences').querySelector('tbody'));
		const status = clear($('p-status'));

		$('p-name').textContent = p.name || p.user;
		$('p-ids').textContent = p.user + '  ·  ' + p.dn;
		if (p.away)
			status.append(el('p', { class: 'away' }, 'Away now, ' +
				'since ' + when(p.current.start) + ', until ' +
				when(p.current.end) + ' (' + p.zone + ').'));
		else
			status.append(el('p', { class: 'present' },
				'Present now.'));
		if (p.error)
			status.append(el('p', { class: 'error' }, p.error +
				': see Check.'));
		status.append(el('p', {}, p.next ? 'Next absence: ' +
			when(p.next.start) + ' until ' + when(p.next.end) +
			'.' : 'No absence to come.'));

		for (const a of p.absences) {
			const [s, e] = span(a.start, a.end, a.all_day);
			const uid = a.uid;

			tbody.append(el('tr', {},
				el('td', {}, s), el('td', {}, e),
				el('td', {}, a.rrule || 'no'),
				el('td', {}, a.summary || ''),
				el('td', {}, a.tzid || 'UTC'),
				el('td', {}, uid ? el('button', { type: 'button',
					'aria-label': 'Remove the absence ' +
					(a.summary || '') + ' from ' + s,
					onclick: () => removeAbsence(uid) },
				'Remove') : '')));
		}
		if (p.absences.length === 0)
			tbody.append(el('tr', {}, el('td', { colspan: '6' },
				'No absences.')));
		$('p-back').hidden = !p.away;

		clear($('p-chain')).append(...(p.delegates.length > 0 ?
			chainList(p.delegates).childNodes :
			[el('li', {}, 'No deputyDelegate, secretary or ' +
				'manager: nobody covers.')]));
		$('p-copies').textContent = p.copies_to.length > 0 ?
			'A message now goes to the mailbox and to: ' +
			p.copies_to.join(', ') + '.' : p.away ?
			'Nobody gets a copy now: mail stays in the mailbox.' :
			'Not away now: mail goes to the mailbox only.';
		const warns = clear($('p-warnings'));
		for (const w of p.warnings)
			warns.append(el('li', {}, w));

		/* the form: the person's current settings */
		delegates = (p.delegate_values || []).map((d) => ({
			value: d.mail || d.value,
			label: d.name ? d.name + ' <' + (d.mail || '') + '>' :
				d.mail || d.value,
			state: ''
		}));
		renderDelegates();
		$('f-notice').value = p.notice;
		$('f-tz').value = p.zone || (session && session.zone) || 'UTC';
		$('f-mail').value = '';
		$('f-mail').placeholder = p.user;
		$('f-password').value = '';
		$('f-error').textContent = '';
	}

	async function loadPerson(id) {
		show('person');
		try {
			person = await api('GET', '/api/person?id=' +
				encodeURIComponent(id));
		} catch (e) {
			clear($('p-absences').querySelector('tbody'));
			$('p-name').textContent = id;
			problem(e.error);
			return;
		}
		renderPerson();
		if (!$('f-from').value) {
			$('f-from').value = today(0);
			$('f-until').value = today(7);
		}
		loadNotice();
	}

	async function loadNotice() {
		let n;

		if (!person)
			return;
		try {
			n = await api('GET', '/api/notice?id=' +
				encodeURIComponent(person.user) + '&lang=' +
				encodeURIComponent($('notice-lang').value));
		} catch (e) {
			$('notice-subject').textContent = '';
			$('notice-body').textContent = e.error;
			return;
		}
		$('p-notice-hint').textContent = 'Template ' + n.template +
			', in ' + n.language + (n.away_now ? ', as if the ' +
			'message came now.' : n.at ? ', as if the message ' +
			'came at the start of the next absence (' +
			when(n.at) + ').' : ': no absence, so no date.') +
			' deputy sends it only when every rule of its gate ' +
			'passes.';
		$('notice-subject').textContent = 'Subject: ' + n.subject;
		$('notice-body').textContent = n.body;
	}

	/* renderDelegates - the form's delegate chips */
	function renderDelegates() {
		const ul = clear($('f-delegates'));

		delegates.forEach((d, i) => {
			ul.append(el('li', {}, el('span', {}, d.label),
				d.state ? el('span', { class: 'badge' },
					d.state) : null,
				el('button', { type: 'button',
					'aria-label': 'Remove delegate ' + d.label,
					onclick: () => {
						delegates.splice(i, 1);
						renderDelegates();
						$('f-delegate-q').focus();
					} }, '×')));
		});
		if (delegates.length === 0)
			ul.append(el('li', { class: 'none' }, 'No delegates.'));
	}

	/* addDelegate - one found person into the form's list */
	function addDelegate(p) {
		if (!delegates.some((d) => d.value.toLowerCase() ===
				    p.mail.toLowerCase()))
			delegates.push({ value: p.mail,
				label: p.name ? p.name + ' <' + p.mail + '>' :
					p.mail, state: stateText(p) });
		renderDelegates();
		clear($('f-delegate-results'));
		$('f-delegate-q').value = '';
		say('Delegate ' + (p.name || p.mail) + ' added; Save to ' +
			'keep it.');
		$('f-delegate-q').focus();
	}

	/* findDelegate - Enter in the delegate box: search, add or choose */
	async function findDelegate(ev) {
		if (ev.key !== 'Enter')
			return;
		ev.preventDefault();
		const q = $('f-delegate-q').value.trim();
		const list = clear($('f-delegate-results'));
		let data;

		if (!q)
			return;
		try {
			data = await api('GET', '/api/search?q=' +
				encodeURIComponent(q));
		} catch (e) {
			problem(e.error);
			return;
		}
		const found = data.people.filter((p) => !person ||
			p.mail.toLowerCase() !== person.user.toLowerCase());
		if (found.length === 1) {
			addDelegate(found[0]);
			return;
		}
		if (found.length === 0 && q.includes('@')) {
			addDelegate({ mail: q, name: null, away: false });
			return;
		}
		for (const p of found)
			list.append(el('li', {}, el('button', { type: 'button',
				onclick: () => addDelegate(p) }, 'Add ' +
				(p.name ? p.name + ' <' + p.mail + '>' :
					p.mail)), ' ', el('span', {
				class: 'badge' }, stateText(p))));
		if (found.length === 0)
			say('Nobody found for ' + q + '.');
		else
			list.querySelector('button').focus();
	}

	/* allDay - the date inputs follow the all-day box */
	function allDay() {
		const on = $('f-allday').checked;

		for (const id of ['f-from', 'f-until']) {
			const f = $(id), v = f.value;

			f.type = on ? 'date' : 'datetime-local';
			if (v)
				f.value = on ? v.slice(0, 10) : v.length === 10 ?
					v + (id === 'f-from' ? 'T09:00' :
						'T17:00') : v;
		}
	}

	/* repeat - show the rule and repeat-until fields when they apply */
	function repeat() {
		const r = $('f-repeat').value;

		$('f-rrule-label').hidden = r !== 'custom';
		$('f-repeat-until-label').hidden = r === '' || r === 'custom';
	}

	/* rule - the RRULE of the repeat fields, or '' */
	function rule() {
		const r = $('f-repeat').value;
		const until = $('f-repeat-until').value;
		let text;

		if (r === '')
			return '';
		if (r === 'custom')
			return $('f-rrule').value.trim();
		text = RULES[r];
		if (until)
			text += ';UNTIL=' + until.replace(/-/g, '') +
				($('f-allday').checked ? '' : 'T235959Z');
		return text;
	}

	/* fieldError - show an error next to the form, focus its field */
	function fieldError(e) {
		$('f-error').textContent = e.error;
		problem(e.error);
		const id = e.field === 'every' && $('f-repeat').value ===
			'custom' ? 'f-rrule' : FIELDS[e.field];
		if (id && $(id)) {
			if ($(id).closest('details'))
				$(id).closest('details').open = true;
			$(id).focus();
		}
	}

	async function save(ev) {
		ev.preventDefault();
		const body = {
			id: person.user,
			version: person.version,
			delegates: delegates.map((d) => d.value),
			notice: $('f-notice').value
		};
		let done;

		problem('');
		$('f-error').textContent = '';
		if (!$('f-no-absence').checked)
			body.absence = {
				from: $('f-from').value,
				until: $('f-until').value,
				tz: $('f-tz').value.trim(),
				every: rule(),
				summary: $('f-summary').value
			};
		if ($('f-mail').value.trim())
			body.mail = $('f-mail').value.trim();
		if ($('f-password').value)
			body.password = $('f-password').value;
		$('f-save').disabled = true;
		try {
			done = await api('POST', '/api/person', body);
		} catch (e) {
			$('f-save').disabled = false;
			fieldError(e);
			return;
		} finally {
			$('f-password').value = '';
		}
		$('f-save').disabled = false;
		say('Saved: ' + done.done + '.');
		$('f-mail').value = '';
		await loadPerson(person.user);
		$('f-save').focus();
	}

	async function removeAbsence(uid) {
		try {
			await api('POST', '/api/absence/remove', { id: person.user,
				version: person.version, uid: uid });
		} catch (e) {
			problem(e.error);
			return;
		}
		say('Absence removed.');
		loadPerson(person.user);
	}

	async function backNow() {
		try {
			await api('POST', '/api/absence/remove', { id: person.user,
				version: person.version, current: true });
		} catch (e) {
			problem(e.error);
			return;
		}
		say((person.name || person.user) + ' is back now.');
		loadPerson(person.user);
	}

	/* ----------------------------------------------------- timeline */

	async function loadWeek() {
		const tbody = clear($('week-table').querySelector('tbody'));
		let data;

		try {
			data = await api('GET', '/api/calendar?days=7');
		} catch (e) {
			problem(e.error);
			return;
		}
		for (const p of data.people) {
			const spans = p.spans.map((s) => {
				const [a, b] = span(s.start, s.end, s.all_day);

				return a + ' until ' + b;
			});
			tbody.append(el('tr', {},
				el('td', {}, el('a', { href: '#/person/' +
					encodeURIComponent(p.user) },
				p.name || p.user)),
				el('td', {}, spans.join('; ')),
				el('td', {}, p.covered_by.join(', ') ||
					'nobody')));
		}
		if (data.people.length === 0)
			tbody.append(el('tr', {}, el('td', { colspan: '3' },
				'Nobody is away this week.')));
		timeline($('week-chart'), data);
	}

	async function loadTeam(ev) {
		let data;

		if (ev)
			ev.preventDefault();
		try {
			data = await api('GET', '/api/calendar?team=' +
				encodeURIComponent($('team-q').value) +
				'&from=' + encodeURIComponent($('team-from').value) +
				'&days=' + encodeURIComponent($('team-days').value));
		} catch (e) {
			problem(e.error);
			return;
		}
		timeline($('team-chart'), data);
		say(data.people.length + ' people with absences.');
	}

	/* ------------------------------------------------------ explain */

	async function explain(ev) {
		ev.preventDefault();
		const tbody = clear($('x-summary').querySelector('tbody'));
		let data;

		problem('');
		$('x-text').textContent = '';
		try {
			data = await api('POST', '/api/explain', {
				id: $('x-id').value.trim(),
				sender: $('x-sender').value.trim(),
				client: $('x-client').value.trim(),
				message: $('x-message').value
			});
		} catch (e) {
			problem(e.error);
			$('x-summary').hidden = true;
			return;
		}
		const r = data.record;
		const rows = [
			['Sender', r.sender], ['Recipient', r.recipient],
			['Message-ID', r.message_id || ''],
			['Away', r.away ? 'yes, until ' + (r.away_until ||
				'open end') : 'no'],
			['Mailbox', r.mailbox],
			['Forward', r.forward === 'no' ? 'no (' +
				r.forward_reason + ')' : r.forward],
			['Notice', r.notice === 'yes' ? 'yes' : 'no (' +
				r.notice_reason + (r.notice_detail ? ': ' +
				r.notice_detail : '') + ')'],
			['Authenticated', r.authenticated ? 'yes' : 'no'],
			['Spam', r.spam || '']
		];
		for (const [k, v] of rows)
			tbody.append(el('tr', {}, el('th', { scope: 'row' }, k),
				el('td', {}, String(v))));
		$('x-summary').hidden = false;
		$('x-text').textContent = data.text;
		say('Explained: nothing was delivered, forwarded or sent.');
	}

	/* -------------------------------------------------------- check */

	async function loadCheck() {
		const tbody = clear($('check-table').querySelector('tbody'));
		let data;

		try {
			data = await api('GET', '/api/check');
		} catch (e) {
			problem(e.error);
			return;
		}
		$('check-count').textContent = data.entries + ' entries ' +
			'checked, ' + data.problems.length + ' problems.';
		for (const p of data.problems)
			tbody.append(el('tr', { class: 'problem ' + p.kind },
				el('td', {}, p.kind), el('td', {}, p.dn),
				el('td', {}, p.detail)));
	}

	/* -------------------------------------------------------- stats */

	async function loadStats() {
		try {
			statsData = await api('GET', '/api/stats');
		} catch (e) {
			problem(e.error);
			return;
		}
		$('stats-source').textContent = statsData.source === 'metrics' ?
			'From deputyd\'s counters at ' + statsData.where +
			' (sampled by deputy-web).' : statsData.source === 'log' ?
			'From the decision lines of the log file.' :
			statsData.note || 'No source.';
		bars($('stats-chart'), statsData, $('stats-kind').value);
	}

	/* ------------------------------------------------------- set up */

	function zones() {
		const list = $('zones');
		let names = ['UTC'];

		try {
			names = names.concat(Intl.supportedValuesOf('timeZone'));
		} catch (e) {
			/* an older browser: type the zone */
		}
		for (const z of names)
			list.append(el('option', { value: z }));
	}

	async function start() {
		$('login-form').addEventListener('submit', login);
		$('logout').addEventListener('click', logout);
		$('search-form').addEventListener('submit', search);
		$('away-form').addEventListener('submit', save);
		$('f-delegate-q').addEventListener('keydown', findDelegate);
		$('f-allday').addEventListener('change', allDay);
		$('f-repeat').addEventListener('change', repeat);
		$('notice-lang').addEventListener('change', loadNotice);
		$('p-back').addEventListener('click', backNow);
		$('team-form').addEventListener('submit', loadTeam);
		$('explain-form').addEventListener('submit', explain);
		$('stats-kind').addEventListener('change', () => {
			if (statsData)
				bars($('stats-chart'), statsData,
					$('stats-kind').value);
		});
		window.addEventListener('hashchange', route);
		zones();
		repeat();
		try {
			session = await api('GET', '/api/session');
		} catch (e) {
			session = null;
		}
		showSession();
		route();
		document.body.dataset.ready = '1';
	}

	if (document.readyState === 'loading')
		document.addEventListener('DOMContentLoaded', start);
	else
		start();
}());
