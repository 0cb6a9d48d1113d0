/*
 * browser.js - the helpdesk page in real headless Chromium (TAP)
 *
 * Run by tests/web/browser.sh with puppeteer-core (npm ci) on NODE_PATH
 * and: T, WEB_URL, TAP_START, FROM and UNTIL (today and the day after,
 * in Europe/Berlin, as the date picker takes them: MMDDYYYY), XSS (the
 * file of payloads), SHOT (where the screenshot goes).
 *
 * 1. The main flow with the keyboard only: Tab to each field, type,
 *    Enter to submit: log in as helga, find Alice, set her away every
 *    week in Europe/Berlin with Bob as delegate. browser.sh then checks
 *    slapd and the next deputy-lda delivery.
 * 2. The same person tries to change Alice's mail, then her password:
 *    slapd refuses, the page says so.
 * 3. Every payload of xss.txt, planted by browser.sh in a display name,
 *    a SUMMARY and delegate values, and pasted in a message, is shown
 *    as text: no element is injected, no script runs, no CSP violation.
 * 4. The other pages draw: the week, the team's timeline (SVG), check,
 *    the chart of decisions (SVG).
 * Prints one TAP line per check; writes "N FAILED" to $T/tap.state.
 */
'use strict';

const fs = require('fs');
const path = require('path');
const puppeteer = require('puppeteer-core');

const T = process.env.T;
const URL = process.env.WEB_URL;
const PAYLOADS = fs.readFileSync(process.env.XSS, 'utf8').split('\n')
	.filter((l) => l && !l.startsWith('#'));
let tapN = parseInt(process.env.TAP_START || '0', 10);
let tapFail = 0;
const consoleErrors = [];

function ok(cond, desc) {
	tapN++;
	if (!cond)
		tapFail++;
	console.log((cond ? 'ok ' : 'not ok ') + tapN + ' - ' + desc);
	return cond;
}

function diag(text) {
	for (const l of String(text).split('\n'))
		console.log('# ' + l);
}

/* tabTo - press Tab until element ID has the focus (at most MAX times) */
async function tabTo(page, id, max) {
	for (let i = 0; i < (max || 80); i++) {
		if (await page.evaluate(() => document.activeElement &&
		    document.activeElement.id) === id)
			return true;
		await page.keyboard.press('Tab');
	}
	return page.evaluate((want) => document.activeElement &&
		document.activeElement.id === want, id);
}

/* tabToText - press Tab until a link or button whose text has WORDS */
async function tabToText(page, words, max) {
	for (let i = 0; i < (max || 80); i++) {
		await page.keyboard.press('Tab');
		const t = await page.evaluate(() => document.activeElement ?
			document.activeElement.textContent : '');
		if (t.includes(words))
			return true;
	}
	return false;
}

/* text - the text of SELECTOR */
function text(page, selector) {
	return page.$eval(selector, (e) => e.textContent);
}

/* waitText - until SELECTOR's text contains WORDS; else say what the
   page said */
async function waitText(page, selector, words, timeout) {
	try {
		await page.waitForFunction((s, w) => {
			const e = document.querySelector(s);
			return e && e.textContent.includes(w);
		}, { timeout: timeout || 20000 }, selector, words);
	} catch (e) {
		const said = await page.evaluate(() => document.getElementById(
			'problem').textContent).catch(() => '?');
		throw new Error('no "' + words + '" in ' + selector +
			'; the page says: ' + said);
	}
}

/* injected - what an executed payload would leave behind */
function injected(page) {
	return page.evaluate(() => ({
		xss: window.__xss !== undefined,
		imgs: document.querySelectorAll('img').length,
		scripts: Array.from(document.querySelectorAll('script')).map(
			(e) => e.getAttribute('src')).join(' '),
		iframes: document.querySelectorAll('iframe, object, embed')
			.length,
		handlers: Array.from(document.querySelectorAll('*')).filter(
			(e) => Array.from(e.attributes).some(
				(a) => a.name.startsWith('on'))).length
	}));
}

function clean(i) {
	/* the page's own two files, nothing more */
	return !i.xss && i.imgs === 0 && i.scripts === '/draw.js /app.js' &&
		i.iframes === 0 &&
		i.handlers === 0;
}

async function mainFlow(page) {
	const t0 = Date.now();

	await page.goto(URL + '/', { waitUntil: 'load' });
	await page.waitForFunction(() => document.body.dataset.ready === '1');
	ok(await page.evaluate(() => document.activeElement.id) ===
	   'login-user', 'the login page opens with the focus on the user name');
	await page.keyboard.type('helga');
	await page.keyboard.press('Tab');
	await page.keyboard.type('wrong password');
	await page.keyboard.press('Enter');
	await waitText(page, '#problem', 'wrong user name or password');
	ok(true, 'a wrong password: the page says "wrong user name or ' +
	   'password" (keyboard: Tab, type, Enter)');
	await page.keyboard.type('helpdesk-secret');	/* focus: password */
	await page.keyboard.press('Enter');
	await page.waitForFunction(() =>
		!document.getElementById('view-search').hidden, { timeout: 20000 });
	ok(await page.evaluate(() => document.activeElement.id) === 'search-q',
	   'logged in with Enter: the search box has the focus');

	await page.keyboard.type('alice');
	await page.keyboard.press('Enter');
	await waitText(page, '#search-results', 'alice@example.org');
	ok(await tabToText(page, 'alice@example.org', 10),
	   'Tab reaches the search result');
	await page.keyboard.press('Enter');
	await waitText(page, '#p-ids', 'alice@example.org');
	ok(await text(page, '#p-status') === 'Present now.No absence to come.',
	   'Alice\'s page: present, no absence (browser.sh cleared them)');

	/* the absence form, by the keyboard */
	ok(await tabTo(page, 'f-from'), 'Tab reaches "From"');
	await page.keyboard.type(process.env.FROM);
	await page.keyboard.press('Tab');
	await tabTo(page, 'f-until', 5);
	await page.keyboard.type(process.env.UNTIL);
	ok(await tabTo(page, 'f-tz', 5), 'Tab reaches the time zone');
	await page.keyboard.down('Control');
	await page.keyboard.press('KeyA');
	await page.keyboard.up('Control');
	await page.keyboard.type('Europe/Berlin');
	ok(await tabTo(page, 'f-repeat', 5), 'Tab reaches the repeat rule');
	await page.keyboard.press('ArrowDown');		/* every day */
	await page.keyboard.press('ArrowDown');		/* every weekday */
	await page.keyboard.press('ArrowDown');		/* every week */
	ok(await tabTo(page, 'f-summary', 8), 'Tab reaches the summary');
	await page.keyboard.type('Weekly lab day');
	ok(await tabTo(page, 'f-delegate-q', 8), 'Tab reaches the delegate box');
	await page.keyboard.type('Bob');
	await page.keyboard.press('Enter');
	await waitText(page, '#f-delegates', 'bob@example.org');
	ok(true, 'typing Bob and Enter picks him as the delegate');
	ok(await page.evaluate(() =>
		document.activeElement.id) === 'f-delegate-q' &&
	   await page.evaluate(() => !document.getElementById('view-person')
		.hidden), 'Enter in the delegate box does not submit the form');
	await tabTo(page, 'f-summary', 40);
	await page.keyboard.press('Enter');		/* submits the form */
	await waitText(page, '#message', 'Saved:');
	ok(true, 'Enter in the form saves it: "' + await text(page, '#message') +
	   '"');
	await waitText(page, '#p-chain', 'present: gets the copy');
	const status = await text(page, '#p-status');
	const chain = await text(page, '#p-chain');
	const rows = await page.$$eval('#p-absences tbody tr',
		(r) => r.map((x) => x.textContent));
	ok(status.startsWith('Away now') && chain.includes('bob@example.org') &&
	   rows.length === 1 && rows[0].includes('FREQ=WEEKLY') &&
	   rows[0].includes('Europe/Berlin') && rows[0].includes('Weekly lab day'),
	   'the page shows Alice away now, weekly in Europe/Berlin, Bob covering');
	await waitText(page, '#notice-body', 'bob@example.org');
	ok((await text(page, '#notice-body')).includes('bob@example.org'),
	   'the notice preview names Bob');
	await page.screenshot({ path: path.join(T, 'helpdesk-page.png'),
		clip: { x: 0, y: 0, width: 1100, height: 960 } });
	diag('main flow by keyboard: ' + (Date.now() - t0) + ' ms');
}

async function refusals(page) {
	for (const [id, value, word] of [['f-mail', 'evil@example.org', 'mail'],
		['f-password', 'a-new-password-1', 'password']]) {
		await page.evaluate(() => {
			document.getElementById('f-account').open = true;
			document.getElementById('f-error').textContent = '';
		});
		await page.click('#f-summary', { clickCount: 3 });
		await page.type('#f-summary', 'must not exist');
		await page.type('#' + id, value);
		await page.click('#f-save');
		await waitText(page, '#f-error', 'refused');
		const err = await text(page, '#f-error');
		ok(err.includes('Insufficient access') &&
		   err.includes('nothing was written'), 'changing Alice\'s ' +
		   word + ': slapd refuses and the page says so ("' + err + '")');
		await page.evaluate(() => {
			document.getElementById('f-mail').value = '';
			document.getElementById('f-password').value = '';
		});
	}
}

async function xss(page) {
	await page.goto(URL + '/#/search', { waitUntil: 'load' });
	await page.waitForFunction(() => document.body.dataset.ready === '1');
	await page.$eval('#search-q', (e) => { e.value = ''; });
	await page.type('#search-q', 'mallory');
	await page.keyboard.press('Enter');
	await waitText(page, '#search-results', 'mallory@example.org');
	ok((await text(page, '#search-results')).includes(PAYLOADS[0]),
	   'search: the display name payload is shown as text');
	await page.click('#search-results a');
	await waitText(page, '#p-ids', 'mallory@example.org');
	await waitText(page, '#notice-body', 'Mallory');
	const name = await text(page, '#p-name');
	const absences = await text(page, '#p-absences');
	const chain = await text(page, '#p-chain');
	const notice = await text(page, '#notice-body');
	ok(name === PAYLOADS[0], 'person: the display name is the payload, ' +
	   'as text');
	ok(absences.includes(PAYLOADS[1]), 'person: the SUMMARY payload, as text');
	ok(PAYLOADS.slice(2, 4).every((p) => chain.includes(p)),
	   'person: the delegate payloads, as text, marked "names nobody"');
	ok(notice.includes(PAYLOADS[0]), 'the notice preview: the name ' +
	   'payload, as text');
	let inj = await injected(page);
	ok(clean(inj), 'person page: no element injected, no script ran (' +
	   JSON.stringify(inj) + ')');

	/* the week and the timeline draw the name in SVG text */
	await page.goto(URL + '/#/week', { waitUntil: 'load' });
	await page.waitForSelector('#week-chart svg rect.bar', { timeout: 20000 });
	const svgText = await page.$$eval('#week-chart svg text',
		(t) => t.map((x) => x.textContent).join('\n'));
	ok(svgText.includes(PAYLOADS[0]) && (await text(page, '#week-table'))
	   .includes(PAYLOADS[0]), 'the week and its timeline: the payload ' +
	   'name as text');

	/* a pasted message */
	await page.goto(URL + '/#/explain', { waitUntil: 'load' });
	await page.waitForSelector('#x-message');
	const msg = 'From: "' + PAYLOADS[4] + '" <paul@partner.example.net>\n' +
		'To: mallory@example.org\nSubject: ' + PAYLOADS.join(' ') +
		'\nMessage-ID: <e2@partner.example.net>\n\n' +
		PAYLOADS.join('\n') + '\n';
	await page.$eval('#x-id', (e) => { e.value = ''; });
	await page.type('#x-id', 'mallory@example.org');
	await page.$eval('#x-message', (e, m) => { e.value = m; }, msg);
	await page.click('#x-run');
	await waitText(page, '#message', 'Explained');
	const x = await text(page, '#x-text');
	ok(x.includes('recipient: mallory@example.org') &&
	   (await text(page, '#x-summary')).includes('partner.example.net'),
	   'explain: the record of the pasted message, shown as text');
	inj = await injected(page);
	ok(clean(inj), 'explain page: no element injected, no script ran (' +
	   JSON.stringify(inj) + ')');
}

async function pages(page) {
	await page.goto(URL + '/#/check', { waitUntil: 'load' });
	await waitText(page, '#check-count', 'entries checked');
	const kinds = await page.$$eval('#check-table tbody td:first-child',
		(t) => t.map((x) => x.textContent));
	ok(kinds.includes('unknown-delegate'), 'check: the table of problems ' +
	   '(' + kinds.join(', ') + ')');
	await page.goto(URL + '/#/team', { waitUntil: 'load' });
	await page.waitForSelector('#team-chart svg', { timeout: 20000 });
	await page.click('#team-q', { clickCount: 3 });
	await page.type('#team-q', 'ou=people');
	await page.click('#team-form button');
	await waitText(page, '#message', 'people with absences');
	const bars = await page.$$eval('#team-chart svg rect.bar',
		(r) => r.length);
	ok(bars >= 3, 'the team calendar draws ' + bars + ' absences as SVG bars');
	await page.screenshot({ path: path.join(T, 'helpdesk-team.png') });
	await page.goto(URL + '/#/stats', { waitUntil: 'load' });
	await page.waitForSelector('#stats-chart svg', { timeout: 20000 });
	const legend = await page.$$eval('#stats-chart svg text.legend',
		(t) => t.map((x) => x.textContent));
	const rects = await page.$$eval('#stats-chart svg rect[fill] title',
		(t) => t.map((x) => x.textContent));
	ok(rects.length >= 1 && legend.length >= 1 && (await text(page,
	   '#stats-source')).includes('log'), 'the chart of decisions: bars by ' +
	   'reason from the log (' + legend.join(', ') + ')');
	await page.screenshot({ path: path.join(T, 'helpdesk-stats.png') });
	const inj = await injected(page);
	ok(clean(inj) && consoleErrors.length === 0, 'no script ran that ' +
	   'should not, and the browser logged no error or CSP violation (' +
	   consoleErrors.slice(0, 3).join(' | ') + ')');
}

(async () => {
	const profile = fs.mkdtempSync(path.join(T, 'chromium-'));
	let browser;
	const t0 = Date.now();

	try {
		browser = await puppeteer.launch({
			executablePath: '/usr/bin/chromium',
			headless: true,
			userDataDir: profile,
			args: ['--no-sandbox', '--disable-gpu', '--disable-quic',
				'--no-first-run', '--lang=en-US',
				'--disable-background-networking',
				'--disable-component-update', '--disable-sync',
				'--disable-dev-shm-usage',
				'--host-resolver-rules=MAP * ~NOTFOUND, ' +
				'EXCLUDE 127.0.0.1, EXCLUDE localhost']
		});
		const page = await browser.newPage();
		await page.setViewport({ width: 1100, height: 900 });
		page.setDefaultTimeout(20000);
		page.on('console', (m) => {
			if (m.type() === 'error' && !/status of 4\d\d/.test(
			    m.text()))
				consoleErrors.push(m.text());
		});
		page.on('pageerror', (e) => consoleErrors.push(String(e)));
		diag('Chromium ' + await browser.version() + ' started in ' +
		     (Date.now() - t0) + ' ms');
		await mainFlow(page);
		await refusals(page);
		await xss(page);
		await pages(page);
	} catch (e) {
		ok(false, 'the browser run: ' + (e && e.stack ? e.stack : e));
	} finally {
		if (browser)
			await browser.close();
		fs.rmSync(profile, { recursive: true, force: true });
		ok(!fs.existsSync(profile), 'the browser profile is removed');
		diag('browser run: ' + (Date.now() - t0) + ' ms');
		fs.writeFileSync(path.join(T, 'tap.state'), tapN + ' ' +
			tapFail + '\n');
	}
})();
