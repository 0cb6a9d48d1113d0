#!/usr/bin/env python3
"""api.py - deputy-web's JSON API against deputyctl and the directory (TAP)

Run by tests/web/api.sh, which prepares $T (directory, configuration,
users file), starts slapd and deputy-web, and passes:
  T, WEB_URL, DEPUTYCTL, DEPUTY_LDA, TAP_START (the TAP number so far);
  for "ldap": LDAP_URI, BASE, SLAPD_PID.
Mode "ldif" or "ldap" is the first argument. Every check prints one TAP
line; the last number and the failures go to $T/tap.state.
"""

import base64
import hashlib
import http.client
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.parse

T = os.environ["T"]
URL = urllib.parse.urlparse(os.environ["WEB_URL"])
CONF = os.path.join(T, "deputy.conf")
DEPUTYCTL = os.environ["DEPUTYCTL"]
DEPUTY_LDA = os.environ["DEPUTY_LDA"]
MODE = sys.argv[1]
BASE = os.environ.get("BASE", "dc=example,dc=org")
HD = "uid=helga,ou=people," + BASE

tap_n = int(os.environ.get("TAP_START", "0"))
tap_fail = 0


def ok(cond, desc):
    """one TAP line"""
    global tap_n, tap_fail
    tap_n += 1
    if cond:
        print("ok %d - %s" % (tap_n, desc))
    else:
        tap_fail += 1
        print("not ok %d - %s" % (tap_n, desc))
    sys.stdout.flush()
    return cond


def diag(text):
    for line in str(text).splitlines():
        print("# " + line)


class Client:
    """a browser without a browser: one cookie, one CSRF token"""

    def __init__(self):
        self.cookie = None
        self.csrf = None
        self.set_cookie = None

    def req(self, method, path, body=None, raw=None, ctype="application/json",
            csrf=True, timeout=30):
        conn = http.client.HTTPConnection(URL.hostname, URL.port,
                                          timeout=timeout)
        headers = {}
        if self.cookie:
            headers["Cookie"] = self.cookie
        data = None
        if body is not None or raw is not None:
            data = raw if raw is not None else json.dumps(body).encode()
            if ctype:
                headers["Content-Type"] = ctype
            if csrf is True and self.csrf:
                headers["X-CSRF-Token"] = self.csrf
            elif isinstance(csrf, str):
                headers["X-CSRF-Token"] = csrf
        conn.request(method, path, body=data, headers=headers)
        res = conn.getresponse()
        text = res.read().decode("utf-8", "replace")
        hdrs = {k.lower(): v for k, v in res.getheaders()}
        conn.close()
        try:
            payload = json.loads(text)
        except ValueError:
            payload = text
        if "set-cookie" in hdrs:
            self.set_cookie = hdrs["set-cookie"]
            pair = hdrs["set-cookie"].split(";")[0]
            self.cookie = pair if pair.split("=", 1)[1] else None
        return res.status, hdrs, payload

    def get(self, path, **kw):
        return self.req("GET", path, **kw)

    def post(self, path, body, **kw):
        return self.req("POST", path, body=body, **kw)

    def login(self, user, password):
        st, h, d = self.post("/api/login", {"user": user,
                                            "password": password})
        if st == 200:
            self.csrf = d["csrf"]
        return st, h, d


def q(s):
    return urllib.parse.quote(s, safe="")


def ctl(*args, identity=True):
    """deputyctl with the helpdesk identity on LDAP"""
    cmd = [DEPUTYCTL, "-c", CONF]
    if MODE == "ldap" and identity:
        cmd += ["--bind-dn", HD, "--password-file", os.path.join(T, "hd.pw")]
    p = subprocess.run(cmd + list(args), capture_output=True, text=True,
                       timeout=60)
    return p.returncode, p.stdout, p.stderr


def ctl_json(*args):
    rc, out, err = ctl(*args, "--json")
    try:
        return json.loads(out)
    except ValueError:
        diag("deputyctl %s: rc=%d %s" % (" ".join(args), rc, err))
        return None


def differences(want, have, path="", skip=("now",)):
    """where HAVE (the API) does not hold WANT (deputyctl) exactly;
    the API may have more members"""
    out = []
    if isinstance(want, dict):
        if not isinstance(have, dict):
            return ["%s: not an object" % path]
        for k, v in want.items():
            if k in skip:
                continue
            if k not in have:
                out.append("%s.%s: missing" % (path, k))
            else:
                out += differences(v, have[k], path + "." + k, skip)
    elif isinstance(want, list):
        if not isinstance(have, list) or len(want) != len(have):
            return ["%s: %r != %r" % (path, want, have)]
        for i, (a, b) in enumerate(zip(want, have)):
            out += differences(a, b, "%s[%d]" % (path, i), skip)
    elif want != have:
        out.append("%s: %r != %r" % (path, want, have))
    return out


def agree(client, what, ctl_args, api_path, skip=("now",)):
    want = ctl_json(*ctl_args)
    st, _, have = client.get(api_path)
    diffs = differences(want, have, skip=skip) \
        if want is not None and st == 200 \
        else ["deputyctl or the API failed (%s)" % st]
    if diffs:
        diag("\n".join(diffs[:10]))
    return ok(not diffs, "%s: the API answers what deputyctl %s --json "
              "answers" % (what, " ".join(ctl_args)))


def ldif_sum():
    with open(os.path.join(T, "directory.ldif"), "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def day(n, zone="UTC"):
    env = dict(os.environ, TZ=zone)
    return subprocess.run(["date", "-d", "%d days" % n, "+%Y-%m-%d"],
                          capture_output=True, text=True,
                          env=env).stdout.strip()


def as_user(cmd, stdin=None):
    if os.getuid() == 0:
        cmd = ["setpriv", "--reuid=nobody", "--regid=nogroup",
               "--clear-groups", "--reset-env", "--"] + cmd
    return subprocess.run(cmd, stdin=stdin, capture_output=True, text=True,
                          timeout=120)


def sent_to():
    """the recipients of every forward the stub sendmail recorded"""
    out = set()
    d = os.path.join(T, "sent")
    for f in os.listdir(d):
        if f.endswith(".argv"):
            words = open(os.path.join(d, f)).read().split("\n")
            if "--" in words:
                out.update(w for w in words[words.index("--") + 1:] if w)
    return out


def deliver(rcpt, subject="hello"):
    """one message from sender@example.com to RCPT through deputy-lda"""
    path = os.path.join(T, "m-%s.eml" % time.time_ns())
    with open(path, "w") as f:
        f.write("From: Sender <sender@example.com>\nTo: <%s>\n"
                "Subject: %s\nMessage-ID: <%d@example.com>\n\nHello.\n"
                % (rcpt, subject, time.time_ns()))
    os.chmod(path, 0o644)
    for f in os.listdir(os.path.join(T, "sent")):
        os.unlink(os.path.join(T, "sent", f))
    with open(path) as msg:
        p = as_user([DEPUTY_LDA, "-c", CONF, "-f", "sender@example.com",
                     "--", rcpt], stdin=msg)
    return p.returncode, sent_to()


def ldap(*args, admin=False):
    cmd = ["ldapsearch", "-x", "-LLL", "-o", "ldif-wrap=no", "-H",
           os.environ["LDAP_URI"]]
    if admin:
        cmd += ["-D", "cn=admin," + BASE, "-w", "admin-secret"]
    p = subprocess.run(cmd + list(args), capture_output=True, text=True,
                       timeout=30)
    return p.stdout


def ldap_values(dn, attr):
    out = ldap("-b", dn, "-s", "base", attr, admin=True)
    vals = []
    for line in out.splitlines():
        if line.lower().startswith(attr.lower() + "::"):
            vals.append(base64.b64decode(line.split("::", 1)[1].strip())
                        .decode("utf-8", "replace"))
        elif line.lower().startswith(attr.lower() + ":"):
            vals.append(line.split(":", 1)[1].strip())
    return vals


# ---------------------------------------------------------------- tests

def headers_and_login(c):
    st, h, body = c.get("/")
    csp = h.get("content-security-policy", "")
    ok(st == 200 and "script-src 'self'" in csp and "unsafe-inline" not in
       csp and "default-src 'none'" in csp and
       h.get("x-frame-options") == "DENY" and
       h.get("x-content-type-options") == "nosniff" and
       '<script src="/app.js"' in body and "<script>" not in body,
       "the page: a strict CSP (no inline script), no framing, nosniff, "
       "its script a file")
    for js in ("/draw.js", "/app.js"):
        st, h, _ = c.get(js)
        ok(st == 200 and h.get("content-type", "").startswith(
           "text/javascript") and "content-security-policy" in h,
           "%s is served as a file, with the same headers" % js[1:])
    st, _, _ = c.get("/../../etc/passwd")
    st2, _, _ = c.get("/web.h")
    ok(st == 404 and st2 == 404, "only the page's files are served "
       "(%d %d)" % (st, st2))
    st, _, d = c.get("/api/person?id=alice")
    ok(st == 401 and "log in" in d["error"], "no session: 401 (%s)" % st)
    st, _, d = c.login("helga", "wrong-password")
    st2, _, d2 = c.login("nosuchuser", "whatever")
    ok(st == 401 and st2 == 401 and d["error"] == d2["error"] ==
       "wrong user name or password" and c.cookie is None,
       "a wrong password and an unknown name: the same 401, no cookie")
    st, _, d = c.login("helga", PASSWORD)
    cookie = c.set_cookie or ""
    ok(st == 200 and re.match(r"deputy_session=[0-9a-f]{64};", cookie) and
       "HttpOnly" in cookie and "SameSite=Strict" in cookie and
       "Path=/" in cookie and "Secure" not in cookie and
       re.fullmatch(r"[0-9a-f]{64}", d["csrf"] or ""),
       "login: a 256-bit session id in an HttpOnly, SameSite=Strict cookie "
       "(Secure off for this loopback test), a CSRF token (%s)" % cookie)
    st, _, d = c.get("/api/session")
    ok(st == 200 and d["user"] == "helga" and d["csrf"] == c.csrf,
       "the session says who is logged in")


def csrf_and_types(c, victim, version):
    before = dir_state(victim)
    body = {"id": victim, "version": version, "delegates": []}
    st, _, d = c.post("/api/person", body, csrf=False)
    st2, _, _ = c.post("/api/person", body, csrf="0" * 64)
    ok(st == 403 and st2 == 403 and "CSRF" in d["error"] and
       dir_state(victim) == before,
       "a write without the CSRF token, or with a wrong one: 403, nothing "
       "written (%d %d)" % (st, st2))
    st, _, d = c.req("POST", "/api/person", raw=b"id=x", ctype=
                     "application/x-www-form-urlencoded")
    ok(st == 415 and dir_state(victim) == before,
       "a form post (not JSON) is refused: 415 (%d)" % st)
    st, _, d = c.req("POST", "/api/person", raw=b"{not json")
    st2, _, _ = c.req("POST", "/api/person", raw=b"[1,2]")
    ok(st == 400 and st2 == 400, "malformed JSON and a JSON array: 400")
    st, _, d = c.req("POST", "/api/person", raw=b"{\"id\": \"" +
                     b"x" * (1024 * 1024 + 10) + b"\"}")
    ok(st == 413 and dir_state(victim) == before,
       "a body over 1 MB: 413 (%d)" % st)
    st, _, _ = c.get("/api/login")
    ok(st == 405, "GET on a POST route: 405")


def dir_state(who):
    """what must not change when a write is refused"""
    if MODE == "ldif":
        return ldif_sum()
    dn = "uid=%s,ou=people,%s" % (who.split("@")[0], BASE)
    return ldap("-b", dn, "-s", "base", "*", "+", admin=True)


BAD = [
    ({"from": "2026-02-30"}, "from", "not a date"),
    ({"from": "tomorrow"}, "from", "not a date"),
    ({"until": "%sT25:00" % day(3)}, "until", "not a date"),
    ({"from": "9" * 5000}, "from", "at most 1024"),
    ({"from": day(5), "until": day(3)}, "until", "is before"),
    ({"from": "2020-01-01", "until": "2020-01-05"}, "until", "in the past"),
    ({"every": "FREQ=SOMETIMES"}, "every", ""),
    ({"every": "BYDAY=MO"}, "every", "FREQ= is missing"),
    ({"every": "FREQ=WEEKLY;BYDAY=XX"}, "every", ""),
    ({"every": "FREQ=DAILY\r\nATTACH:http://evil.example/"}, "every",
     "not allowed"),
    ({"every": "FREQ=WEEKLY;BYDAY=" + ",".join(["MO"] * 100)}, "every",
     "recurrence rule"),
    ({"tz": "Mars/Olympus"}, "tz", "not a time zone"),
    ({"summary": "x" * 300}, "summary", "longer than 200"),
]


def bad_input(c, who):
    version = c.get("/api/person?id=" + q(who))[2]["version"]
    before = dir_state(who)
    good = {"from": day(1), "until": day(3), "tz": "Europe/Berlin"}
    for change, field, words in BAD:
        absence = dict(good, **change)
        st, _, d = c.post("/api/person", {"id": who, "version": version,
                                          "absence": absence})
        ok(st == 400 and d.get("field") == field and words in d["error"]
           and dir_state(who) == before,
           "bad %s %r: 400 naming %s, nothing written (%s: %s)" %
           (field, list(change.values())[0][:40], field, st,
            d.get("error") if isinstance(d, dict) else d))
    st, _, d = c.post("/api/person", {"id": who, "version": version,
                                      "absence": dict(good, **{"from":
                                                      day(1) + "\u0000"})})
    ok(st == 400 and "NUL" in d["error"] and dir_state(who) == before,
       "a NUL in a field (\\u0000, which json-glib would cut): 400, "
       "nothing written (%s)" % d.get("error"))
    others = [
        ({"delegates": ["ghost"]}, "delegates", "no such user"),
        ({"delegates": ["bob@"]}, "delegates", "not a mail address"),
        ({"delegates": [who]}, "delegates", "the person itself"),
        ({"delegates": ["a%d@elsewhere.example" % i for i in range(21)]},
         "delegates", "more than 20"),
        ({"delegates": "bob"}, "delegates", "not a list"),
        ({"notice": "sometimes"}, "notice", "one of"),
        ({"template": "../../etc/passwd"}, "template", "not a template"),
        ({"template": "nosuch"}, "template", "no such template"),
        ({"absence": "tomorrow"}, "absence", "not an object"),
        ({"version": ""}, "version", "version"),
    ]
    for change, field, words in others:
        body = dict({"id": who, "version": version}, **change)
        st, _, d = c.post("/api/person", body)
        ok(st == 400 and d.get("field") == field and words in d["error"]
           and dir_state(who) == before,
           "bad %s: 400 naming it, nothing written (%s: %s)" %
           (field, st, d.get("error")))


def concurrent(a, b, who, first, second):
    """two sessions edit one person from the same version"""
    va = a.get("/api/person?id=" + q(who))[2]["version"]
    vb = b.get("/api/person?id=" + q(who))[2]["version"]
    st1, _, d1 = a.post("/api/person", {"id": who, "version": va,
                                        "delegates": [first]})
    st2, _, d2 = b.post("/api/person", {"id": who, "version": vb,
                                        "delegates": [second]})
    have = b.get("/api/person?id=" + q(who))[2]
    mails = [x["mail"] for x in have["delegate_values"]]
    ok(st1 == 200 and st2 == 409 and "changed" in d2["error"] and
       mails == [first], "two sessions, one entry: the first save wins, the "
       "second (an older version) gets 409 and writes nothing (%s %s %s)" %
       (st1, st2, mails))


def run_ldif():
    c = Client()
    headers_and_login(c)
    st, _, d = c.get("/api/person?id=nobody@example.org")
    ok(st == 404 and d["field"] == "id", "an unknown person: 404")

    for who in ("alice", "bob", "carol@example.org",
                "uid=dora,ou=people,dc=example,dc=org"):
        agree(c, "show " + who, ["show", who], "/api/person?id=" + q(who))
    agree(c, "list", ["list"], "/api/list", skip=("now", "on"))
    agree(c, "list --on", ["list", "--on", day(20)], "/api/list?on=" +
          day(20))
    agree(c, "check", ["check"], "/api/check")
    st, _, d = c.get("/api/check")
    kinds = sorted(p["kind"] for p in d["problems"])
    ok("cycle" in kinds and "unknown-delegate" in kinds,
       "check finds the planted cycle and the unknown delegate (%s)" % kinds)

    version = c.get("/api/person?id=bob")[2]["version"]
    csrf_and_types(c, "bob", version)

    # set an absence: Berlin, weekly, a delegate, the notice policy
    body = {"id": "bob", "version": version,
            "absence": {"from": day(0, "Europe/Berlin"),
                        "until": day(1, "Europe/Berlin"),
                        "tz": "Europe/Berlin",
                        "every": "FREQ=WEEKLY;BYDAY=" +
                        ["MO", "TU", "WE", "TH", "FR", "SA", "SU"][
                            int(subprocess.run(["date", "+%u"],
                                capture_output=True, text=True,
                                env=dict(os.environ,
                                         TZ="Europe/Berlin")).stdout) - 1],
                        "summary": "Tuesday & friends"},
            "delegates": ["erin"], "notice": "internal"}
    st, _, d = c.post("/api/person", body)
    ok(st == 200 and d.get("uid", "").endswith("@deputy-web"),
       "save: an absence, a delegate, a notice policy in one write (%s %s)"
       % (st, d))
    text = open(os.path.join(T, "directory.ldif")).read()
    show = ctl_json("show", "bob")
    ab = show["absences"][0] if show and show["absences"] else {}
    ok(show and show["away"] and ab.get("tzid") == "Europe/Berlin" and
       ab.get("rrule", "").startswith("FREQ=WEEKLY") and
       ab.get("summary") == "Tuesday & friends" and
       show["copies_to"] == ["erin@example.org"] and
       show["notice"] == "internal",
       "deputyctl show bob: away, Europe/Berlin, weekly, erin covers, "
       "notice internal")
    ok("deputyAbsence::" in text, "the LDIF file holds the absence "
       "(iCalendar, base64)")
    agree(c, "show bob after the save", ["show", "bob"],
          "/api/person?id=bob")
    rc, to = deliver("bob@example.org")
    ok(rc == 0 and to == {"erin@example.org"},
       "the next deputy-lda delivery to bob goes to erin (rc=%d %s)" %
       (rc, to))

    bad_input(c, "bob")

    # two sessions
    b = Client()
    b.login("helga", PASSWORD)
    concurrent(c, b, "erin", "bob@example.org", "alice@example.org")

    # explain, with the engine, as deputyctl explain
    msg = ("From: Paul <paul@partner.example.net>\nTo: alice@example.org\n"
           "Subject: <script>window.__xss=1</script>\n"
           "Message-ID: <e1@partner.example.net>\n\nHi\n")
    st, _, d = c.post("/api/explain", {"id": "alice", "message": msg})
    rec = d.get("record", {}) if isinstance(d, dict) else {}
    p = subprocess.run([DEPUTYCTL, "-c", CONF, "explain", "alice", "--json"],
                       input=msg, capture_output=True, text=True)
    try:
        want = json.loads(p.stdout)
    except ValueError:
        want = None
    diffs = differences(want, rec) if want else ["deputyctl failed"]
    if diffs or st != 200:
        diag("\n".join(diffs[:8]) + "\n%s %s" % (st, d))
    ok(st == 200 and rec.get("forward") == "erin@example.org" and
       d["sender"] == "paul@partner.example.net" and not diffs,
       "explain alice: the same record as deputyctl explain --json "
       "(forward to erin: bob is away and passes it on; sender from From)")
    st, _, d = c.post("/api/explain", {"id": "alice", "message": msg,
                                       "sender": "not an address"})
    st2, _, d2 = c.post("/api/explain", {"id": "alice", "message": ""})
    st3, _, d3 = c.post("/api/explain", {"id": "alice", "message": msg,
                                         "client": "1.2.3.4.5"})
    ok(st == 400 and d["field"] == "sender" and st2 == 400 and
       d2["field"] == "message" and st3 == 400 and d3["field"] == "client",
       "explain: a bad sender, an empty message, a bad client: 400")

    # the notice, in the person's language
    st, _, d = c.get("/api/notice?id=dora")
    ok(st == 200 and d["language"] == "de" and "abwesend" in d["body"] and
       "Abwesenheit" in d["subject"],
       "the notice preview of dora (preferredLanguage de) is German")
    st, _, d = c.get("/api/notice?id=alice&lang=fr")
    ok(st == 200 and d["language"] == "fr" and
       "erin@example.org" in d["body"], "another language on request (fr), "
       "naming who covers (erin, behind bob)")

    # the week, the team
    st, _, d = c.get("/api/calendar?days=7")
    users = sorted(p["user"] for p in d.get("people", []))
    ok(st == 200 and "alice@example.org" in users and
       "bob@example.org" in users, "the week's calendar lists alice and "
       "bob (%s)" % users)
    st, _, d = c.get("/api/calendar?days=63")
    st2, _, d2 = c.get("/api/calendar?from=2026-02-30")
    ok(st == 400 and st2 == 400, "calendar: too many days, a bad date: 400")

    # decisions: from the log deputy-lda wrote
    st, _, d = c.get("/api/stats")
    fw = d.get("forward", {}).get("none", [0] * 7)
    ok(st == 200 and d["source"] == "log" and fw[6] >= 1 and
       len(d["days"]) == 7, "stats: today's forwards counted from the log "
       "(%s %s)" % (d.get("source"), fw))

    # remove, back now
    v = c.get("/api/person?id=bob")[2]
    uid = v["absences"][0]["uid"]
    st, _, d = c.post("/api/absence/remove", {"id": "bob",
                                              "version": v["version"],
                                              "uid": uid})
    show = ctl_json("show", "bob")
    ok(st == 200 and show and not show["absences"],
       "remove an absence by its UID (deputyctl back --id)")
    v = c.get("/api/person?id=alice")[2]
    st, _, d = c.post("/api/absence/remove", {"id": "alice",
                                              "version": v["version"],
                                              "current": True})
    show = ctl_json("show", "alice")
    ok(st == 200 and show and not show["away"], "back now (deputyctl back)")

    # the LDIF file has no ACL: no mail, no password through the page
    v = c.get("/api/person?id=erin")[2]["version"]
    before = ldif_sum()
    st, _, d = c.post("/api/person", {"id": "erin", "version": v,
                                      "mail": "evil@example.org",
                                      "delegates": []})
    st2, _, d2 = c.post("/api/person", {"id": "erin", "version": v,
                                        "password": "new-password-1"})
    ok(st == 403 and st2 == 403 and ldif_sum() == before,
       "LDIF: mail and password are refused, nothing written")

    # logout
    old = c.cookie
    st, h, _ = c.post("/api/logout", {})
    c.cookie = old
    st2, _, _ = c.get("/api/session")
    ok(st == 200 and "Max-Age=0" in (c.set_cookie or "") and st2 == 401,
       "logout ends the session; the old cookie is refused")

    # rate limits (web.login_failures = 3, login_source_failures = 7)
    r = Client()
    for _ in range(3):
        r.login("helga", "wrong")
    st, h, d = r.login("helga", PASSWORD)
    ok(st == 429 and int(h.get("retry-after", "0")) > 0 and
       r.cookie is None, "three failed logins of helga: the next one is "
       "refused even with the right password, 429 with Retry-After")
    for _ in range(4):
        r.login("zed", "wrong")
    st, _, d = r.login("dora", "anything")
    ok(st == 429 and "too many" in d["error"], "seven failures from one "
       "address: every login from it is refused (429)")


def run_ldap():
    c = Client()
    st, _, d = c.login("helga", "wrong")
    ok(st == 401, "LDAP: a wrong password is a refused bind: 401")
    st, _, d = c.login("helga", PASSWORD)
    ok(st == 200 and d["dn"] == HD, "LDAP: helga logs in, bound as %s" % HD)
    for who in ("alice", "carol", "dave@example.org", "gina"):
        agree(c, "LDAP show " + who, ["show", who],
              "/api/person?id=" + q(who))
    agree(c, "LDAP list", ["list"], "/api/list", skip=("now", "on"))
    agree(c, "LDAP check", ["check"], "/api/check")

    # a person without helpdesk rights: the bind works, slapd refuses
    b = Client()
    st, _, _ = b.login("bob", "bob-password")
    v = b.get("/api/person?id=erin")[2]["version"]
    before = dir_state("erin")
    st2, _, d = b.post("/api/person", {"id": "erin", "version": v,
                                       "absence": {"from": day(0),
                                                   "until": day(2)}})
    ok(st == 200 and st2 == 403 and "Insufficient access" in d["error"] and
       "nothing was written" in d["error"] and dir_state("erin") == before,
       "bob (no helpdesk rights) logs in, but slapd refuses his change: "
       "403 with slapd's reason, nothing written (%s)" % d.get("error"))

    # helga sets erin away; slapd records her
    v = c.get("/api/person?id=erin")[2]["version"]
    st, _, d = c.post("/api/person", {
        "id": "erin", "version": v, "delegates": ["bob"],
        "absence": {"from": day(0, "Europe/Berlin"),
                    "until": day(2, "Europe/Berlin"),
                    "tz": "Europe/Berlin", "every": "FREQ=WEEKLY"}})
    dn = "uid=erin,ou=people," + BASE
    ok(st == 200 and [x.lower() for x in ldap_values(dn, "modifiersName")]
       == [HD.lower()] and ldap_values(dn, "deputyDelegate") ==
       ["uid=bob,ou=people," + BASE],
       "helga sets erin's absence and delegate: slapd's modifiersName is "
       "helga (%s)" % st)
    rc, to = deliver("erin@example.org")
    ok(rc == 0 and to == {"bob@example.org"}, "the next deputy-lda "
       "delivery to erin goes to bob (%d %s)" % (rc, to))
    agree(c, "LDAP show erin after the save", ["show", "erin"],
          "/api/person?id=erin")

    # mail and password: slapd refuses, and the absence sent with them
    # is not written either
    for field, value in (("mail", "evil@example.org"),
                         ("password", "a-new-password"),):
        v = c.get("/api/person?id=erin")[2]["version"]
        before = dir_state("erin")
        st, _, d = c.post("/api/person", {
            "id": "erin", "version": v, field: value,
            "absence": {"from": day(3), "until": day(4),
                        "summary": "must not exist"}})
        ok(st == 403 and "Insufficient access" in d["error"] and
           dir_state("erin") == before and
           "must not exist" not in "".join(ldap_values(dn,
                                                        "deputyAbsence")),
           "helga cannot change erin's %s: slapd refuses, the page says so, "
           "and the absence of the same save is not written (%s)" %
           (field, d.get("error")))

    c2 = Client()
    c2.login("helga", PASSWORD)
    concurrent(c, c2, "erin", "alice@example.org", "dave@example.org")

    # slapd stops in the middle: a clear message, all or nothing
    pid = int(os.environ["SLAPD_PID"])
    v = c.get("/api/person?id=erin")[2]["version"]
    os.kill(pid, signal.SIGSTOP)
    try:
        t0 = time.time()
        st, _, d = c.post("/api/person", {
            "id": "erin", "version": v, "delegates": ["alice", "bob"],
            "absence": {"from": day(5), "until": day(6),
                        "summary": "during the stop"}})
        took = time.time() - t0
        st2, _, d2 = c.get("/api/person?id=alice")
        st3, _, d3 = Client().login("helga", PASSWORD)
    finally:
        os.kill(pid, signal.SIGCONT)
    ok(st == 503 and "did not answer" in d["error"] and took < 20,
       "slapd stopped (SIGSTOP) during a save: 503 in %.1f s, saying the "
       "directory did not answer (%s)" % (took, d.get("error")))
    ok(st2 == 503 and st3 == 503 and "directory" in d2["error"],
       "and a read, and a login: 503 with a clear message")
    time.sleep(1)
    st, _, d = c.get("/api/person?id=erin")
    absences = "".join(ldap_values(dn, "deputyAbsence"))
    dels = ldap_values(dn, "deputyDelegate")
    whole = ("during the stop" in absences) == \
        ("uid=bob,ou=people," + BASE in dels and len(dels) == 2)
    ok(st == 200 and whole, "slapd back: the session reconnects, and the "
       "interrupted save is all or nothing (%s)" % dels)


def run_metrics():
    """the chart from deputyd's counters page (daemon.metrics)"""
    c = Client()
    st, _, d = c.login("helga", PASSWORD)
    if st != 200:
        diag("login: %s %s" % (st, d))
    conn = http.client.HTTPConnection("127.0.0.1", int(os.environ["MPORT"]),
                                      timeout=10)
    conn.request("GET", "/metrics")
    page = conn.getresponse().read().decode()
    m = re.search(r'^deputyd_forward_decisions_total\{reason="none"\} (\d+)$',
                  page, re.M)
    want = int(m.group(1)) if m else -1
    st, _, d = c.get("/api/stats")
    have = d.get("forward", {}).get("none", [0] * 7)[6] if st == 200 else -2
    if st != 200:
        diag("%s %s" % (st, d))
    ok(st == 200 and d["source"] == "metrics" and want >= 1 and
       have == want and d.get("since"),
       "stats from deputyd's counters page: today's forwards are its "
       "count since it started today (%s, %d = %d)" % (d.get("source"),
                                                       have, want))


PASSWORD = os.environ.get("HD_PASSWORD", "helpdesk-secret")
try:
    if MODE == "ldif":
        run_ldif()
    elif MODE == "metrics":
        run_metrics()
    else:
        run_ldap()
finally:
    with open(os.path.join(T, "tap.state"), "w") as f:
        f.write("%d %d\n" % (tap_n, tap_fail))
