#!/usr/bin/python3
"""reference.py - record a reference run for tests/unit/test-ical-agree.c

Not run by the tests: it wrote expected.tsv, which is committed. Run it
again (from this folder) after adding a calendar to reference/:

    apt-get install python3-recurring-ical-events   # Debian 12: 2.0.1
    /usr/bin/python3 reference.py > expected.tsv

For every calendar in reference/ and every group of VEVENTs with one
UID (an event with its overrides, as deputyctl import stores them), it
asks python-recurring-ical-events for the instances that overlap a
window of about five years from the group's first DTSTART, keeps the
first MAX_OCC of them, and writes one line:

    file  uid  from  until  start/end start/end ...

with every time in UTC. [from, until) is where the list is complete:
the test checks only instants inside it. The conversions to UTC are
deputy's documented ones (directory/absence.c): a floating time is
taken as UTC, a DATE as midnight UTC unless its property has a TZID.
A group the library cannot expand gets "ERROR reason" instead of the
instances.
"""

import calendar
import datetime
import os
import sys

import icalendar
import pytz
import recurring_ical_events

MAX_OCC = 80
SPAN_DAYS = 5 * 366
HERE = os.path.dirname(os.path.abspath(__file__))
UTC = pytz.utc


def stamp(t):
    """seconds since the epoch as YYYYMMDDTHHMMSSZ"""
    return datetime.datetime.utcfromtimestamp(t).strftime("%Y%m%dT%H%M%SZ")


def instant(value, tzid):
    """a DATE or DATE-TIME from the library as seconds since the epoch"""
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            return calendar.timegm(value.timetuple())
        return int(value.timestamp())
    midnight = datetime.datetime(value.year, value.month, value.day)
    if tzid:
        try:
            return int(pytz.timezone(tzid).localize(midnight).timestamp())
        except pytz.UnknownTimeZoneError:
            pass
    return calendar.timegm(midnight.timetuple())


def tzid_of(event, name):
    """the TZID parameter of property NAME of EVENT, or None"""
    prop = event.get(name)
    if prop is None or not hasattr(prop, "params"):
        return None
    return prop.params.get("TZID")


def groups_of(cal):
    """the VEVENTs of CAL by UID, in the order of first appearance"""
    order, by_uid = [], {}
    for event in cal.walk("VEVENT"):
        uid = str(event.get("UID", ""))
        if uid not in by_uid:
            by_uid[uid] = []
            order.append(uid)
        by_uid[uid].append(event)
    return [(uid, by_uid[uid]) for uid in order]


def first_start(events):
    """the earliest DTSTART of EVENTS in UTC, or None"""
    starts = []
    for event in events:
        if event.get("DTSTART") is not None:
            starts.append(instant(event["DTSTART"].dt,
                                  tzid_of(event, "DTSTART")))
    return min(starts) if starts else None


def one_group(cal, uid, events):
    """the line of one UID group"""
    sub = icalendar.Calendar()
    for name, value in cal.items():
        sub.add(name, value)
    for tz in cal.walk("VTIMEZONE"):
        sub.add_component(tz)
    for event in events:
        sub.add_component(event)
    base = first_start(events)
    if base is None:
        return "ERROR no DTSTART"
    lo = base - 2 * 86400
    hi = lo + SPAN_DAYS * 86400
    span_from = datetime.datetime.utcfromtimestamp(lo)
    span_to = datetime.datetime.utcfromtimestamp(hi)
    try:
        found = recurring_ical_events.of(sub).between(span_from, span_to)
    except Exception as e:		# the library's refusal is the result
        return "ERROR %s: %s" % (type(e).__name__,
                                 str(e).splitlines()[0][:80] if str(e)
                                 else "")
    occ = set()
    for ev in found:
        tzid = tzid_of(ev, "DTSTART")
        s = instant(ev["DTSTART"].dt, tzid)
        e = instant(ev["DTEND"].dt, tzid_of(ev, "DTEND") or tzid)
        occ.add((s, e))
    occ = sorted(occ)
    # the window is complete a day inside the span the library saw
    # (it reads a naive span in the event's zone)
    until = hi - 86400
    if len(occ) > MAX_OCC:
        until = min(until, occ[MAX_OCC][0])
        occ = occ[:MAX_OCC]
    occ = [(s, e) for (s, e) in occ if s < until]
    return "%s\t%s\t%s" % (stamp(lo + 86400), stamp(until), " ".join(
        "%s/%s" % (stamp(s), stamp(e)) for (s, e) in occ))


def main():
    """one line per UID group of every calendar in reference/"""
    print("# python-recurring-ical-events %s, icalendar %s (Debian 12)" % (
        getattr(recurring_ical_events, "__version__", "2.0.1"),
        icalendar.__version__))
    print("# file\tuid\tfrom\tuntil\tstart/end ... (UTC); see reference.py")
    folder = os.path.join(HERE, "reference")
    for name in sorted(os.listdir(folder)):
        if not name.endswith(".ics"):
            continue
        with open(os.path.join(folder, name), "rb") as f:
            data = f.read()
        try:
            cal = icalendar.Calendar.from_ical(data)
        except Exception as e:
            print("%s\t-\tERROR cannot parse: %s" % (name, e))
            continue
        for uid, events in groups_of(cal):
            line = one_group(cal, uid, events)
            print("%s\t%s\t%s" % (name, uid if uid else "-", line))


if __name__ == "__main__":
    sys.exit(main())
