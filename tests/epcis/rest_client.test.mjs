// GS1's EPCIS 2.0 REST binding of `custody serve` (`/epcis`), exercised the way a partner
// would: epcis2.js (EVRYTHNG's EPCIS 2.0 SDK, the partner's client) builds and captures the
// documents, plain fetch makes the queries and the single-event captures, and every exchange
// passes through Stoplight's Prism, a validation proxy over GS1's own OpenAPI document
// (tests/fixtures/epcis/rest/openapi.json) that answers any request or response breaking it
// with its `sl-violations` mark, which fails the test (rest_support.mjs).
//
// Neither tool shares anything with custody: not its code, its schema copy or its reading of
// the standard. epcis2.js validates a document with its own copy of GS1's JSON schema before
// sending it and speaks the binding as EVRYTHNG read it (POST {apiUrl}/capture, then poll
// {apiUrl}/capture/{id}); Prism reads GS1's document and knows nothing of custody. The C++
// tests check custody against custody's understanding; this one checks it against theirs.
//
// node --test tests/epcis/   (CUSTODY_BINARY: the custody binary, default build/dev/tools/custody)
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import epcis from 'epcis2.js';
import {
  EpcisServer, PARTNER, allEvents, assertProblem, call, captureId, finishedJob, inspect, nextPage, queryResults,
} from './rest_support.mjs';

const { CaptureResponse, EPCISDocument, ObjectEvent, QuantityElement, TransformationEvent, BizLocation, cbv, capture } = epcis;

/** The partner's product lot as an LGTIN class: GTIN 09521234543213, lot LOT-7. */
const LOT7 = 'https://id.gs1.org/01/09521234543213/10/LOT-7';
const LOT8 = 'https://id.gs1.org/01/09521234543213/10/LOT-8';
const RAW3 = 'https://id.gs1.org/01/09521234543220/10/RAW-3';
/** The partner's site (GLN 9521234000006). */
const SITE = 'https://id.gs1.org/414/9521234000006';

/** An hour ago, to the second: the events happen in the hour after it. */
const BASE = Math.floor(Date.now() / 1000) * 1000 - 3600 * 1000;
/** @param {number} minutes */
const at = (minutes) => new Date(BASE + minutes * 60000).toISOString();
const eventId = () => `urn:uuid:${randomUUID()}`;
/** POST /events, for the partner. */
const EVENTS = `/events?partner=${PARTNER}`;

const server = new EpcisServer();

/**
 * Captures a document with epcis2.js's `capture()` through a proxy, for the partner
 * (`?partner=`, custody's own parameter: the events are filed as the partner's).
 * @param {string} base a proxy's URL
 * @param {any} doc an EPCISDocument
 * @param {Record<string, string>} headers
 * @param {boolean} [validate] epcis2.js's own schema check before sending
 */
async function captureWith(base, doc, headers, validate = true) {
  const response = await capture(doc, { apiUrl: base, headers, documentValidation: validate, params: { partner: PARTNER } });
  return { response, answer: await inspect('POST /capture (epcis2.js)', response) };
}

/**
 * @param {string} token
 * @returns {Record<string, string>}
 */
const bearer = (token) => ({ authorization: `Bearer ${token}` });

/** How many events the binding holds, all pages. */
async function count() {
  return (await allEvents(server.proxy, server.tokens.integration, '/events')).events.length;
}

/**
 * GET /events/{eventID}: the status, and the event when there is one.
 * @param {string} id
 */
async function eventById(id) {
  const answer = await call(server.proxy, 'GET', `/events/${encodeURIComponent(id)}`, { token: server.tokens.integration });
  if (answer.status !== 200) return { answer, event: null };
  const list = queryResults(answer.body, `GET /events/${id}`).resultsBody.eventList;
  assert.equal(list.length, 1, `GET /events/${id}: ${answer.text}`);
  assert.equal(list[0].eventID, id);
  return { answer, event: list[0] };
}

/**
 * An event whose `bizStep` is no CBV word nor URI: GS1's schema refuses it.
 * @param {string} id
 */
function invalidEvent(id) {
  return { type: 'ObjectEvent', eventID: id, eventTime: at(40), eventTimeZoneOffset: '+00:00', action: 'OBSERVE',
    bizStep: 'not a step', quantityList: [{ epcClass: LOT7, quantity: 1, uom: 'KGM' }] };
}

/**
 * A valid shipping event of `quantity` kg of LOT-7.
 * @param {string} id
 * @param {number} minutes
 * @param {number} quantity
 */
function shipping(id, minutes, quantity) {
  return new ObjectEvent()
    .setEventID(id)
    .setEventTime(at(minutes))
    .setEventTimeZoneOffset('+00:00')
    .setAction(cbv.actionTypes.observe)
    .setBizStep(cbv.bizSteps.shipping)
    .setDisposition(cbv.dispositions.in_transit)
    .setBizLocation(new BizLocation().setId(SITE))
    .addQuantity(new QuantityElement().setEpcClass(LOT7).setQuantity(quantity).setUom('KGM'));
}

describe('EPCIS 2.0 REST binding, by epcis2.js through Prism', { timeout: 300000 }, () => {
  /** The events of the first capture, by role. */
  const ids = { transform: eventId(), ship: eventId(), receive: eventId() };
  /** @type {any[]} every event after the first capture, all pages */
  let everything = [];

  before(async () => {
    await server.start();
  });

  after(async () => {
    await server.stop();
  });

  it('OPTIONS /capture: 204 with the versions and the capture error behaviours', async () => {
    const answer = await call(server.proxy, 'OPTIONS', '/capture', { token: server.tokens.integration });
    assert.equal(answer.status, 204, answer.text);
    assert.match(answer.headers.get('gs1-epcis-version') ?? '', /^2\.0(\.\d+)*$/);
    assert.match(answer.headers.get('gs1-cbv-version') ?? '', /^2\.0(\.\d+)*$/);
    // GS1's header takes one word: `all` is how a server says it does both rollback and proceed.
    assert.equal(answer.headers.get('gs1-capture-error-behaviour'), 'all');
  });

  it('no token: 401', async () => {
    const query = await call(server.proxy, 'GET', '/events');
    assertProblem(query, 401, 'epcisException:SecurityException', 'GET /events without a token');
    const doc = new EPCISDocument().addEvent(shipping(eventId(), 30, 1));
    const { answer } = await captureWith(server.proxy, doc, {});
    assertProblem(answer, 401, 'epcisException:SecurityException', 'POST /capture without a token');
  });

  it('epcis2.js captures a document: 202, a capture job, success', async () => {
    const transform = new TransformationEvent()
      .setEventID(ids.transform)
      .setEventTime(at(0))
      .setEventTimeZoneOffset('+00:00')
      .setBizStep(cbv.bizSteps.commissioning)
      .setBizLocation(new BizLocation().setId(SITE))
      .addInputQuantity(new QuantityElement().setEpcClass(RAW3).setQuantity(130).setUom('KGM'))
      .addOutputQuantity(new QuantityElement().setEpcClass(LOT7).setQuantity(120).setUom('KGM'));
    const receive = new ObjectEvent()
      .setEventID(ids.receive)
      .setEventTime(at(20))
      .setEventTimeZoneOffset('+00:00')
      .setAction(cbv.actionTypes.observe)
      .setBizStep(cbv.bizSteps.receiving)
      .setDisposition(cbv.dispositions.in_progress)
      .addQuantity(new QuantityElement().setEpcClass(LOT8).setQuantity(40).setUom('KGM'));
    const doc = new EPCISDocument().addEvent(transform).addEvent(shipping(ids.ship, 10, 120)).addEvent(receive);
    assert.equal(doc.isValid(), true, 'epcis2.js finds its own document valid');

    const headers = bearer(server.tokens.integration);
    const { response, answer } = await captureWith(server.proxy, doc, headers);
    assert.equal(answer.status, 202, answer.text);
    const location = answer.headers.get('location');
    const id = captureId(location);

    // epcis2.js polls the job itself: GET {apiUrl}/capture/{the Location's last segment}.
    const job = new CaptureResponse(response);
    await job.pollForTheCaptureToFinish(200, 50, { apiUrl: server.proxy, headers });
    assert.equal(job.getRunningStatus(), false, 'epcis2.js: the job still runs');
    assert.equal(job.getSuccessStatus(), true, `epcis2.js: ${JSON.stringify(job.getErrors())}`);

    // The same job, inspected by Prism.
    const final = await finishedJob(server.proxy, server.tokens.integration, location ?? '');
    assert.equal(final.success, true, JSON.stringify(final));
    if ('captureID' in final) assert.equal(final.captureID, id);
    if ('captureErrorBehaviour' in final) assert.equal(final.captureErrorBehaviour, 'rollback');
    assert.deepEqual(final.errors ?? [], []);
  });

  it('GET /events: an EPCISQueryDocument holding the captured events', async () => {
    const first = await call(server.proxy, 'GET', '/events', { token: server.tokens.integration });
    assert.equal(first.status, 200, first.text);
    queryResults(first.body, 'GET /events');
    everything = (await allEvents(server.proxy, server.tokens.integration, '/events')).events;
    const byId = new Map(everything.map((e) => [e.eventID, e]));
    const ship = byId.get(ids.ship);
    assert.ok(ship, `the shipping event ${ids.ship} is not in GET /events`);
    assert.equal(ship.type, 'ObjectEvent');
    assert.equal(ship.action, 'OBSERVE');
    assert.match(ship.bizStep, /^(shipping|https:\/\/ref\.gs1\.org\/cbv\/BizStep-shipping)$/);
    assert.equal(Date.parse(ship.eventTime), Date.parse(at(10)));
    assert.deepEqual(ship.quantityList, [{ epcClass: LOT7, quantity: 120, uom: 'KGM' }]);
    const transform = byId.get(ids.transform);
    assert.ok(transform, `the transformation ${ids.transform} is not in GET /events`);
    assert.equal(transform.type, 'TransformationEvent');
    assert.deepEqual(transform.inputQuantityList, [{ epcClass: RAW3, quantity: 130, uom: 'KGM' }]);
    assert.deepEqual(transform.outputQuantityList, [{ epcClass: LOT7, quantity: 120, uom: 'KGM' }]);
    assert.ok(byId.get(ids.receive), `the receiving event ${ids.receive} is not in GET /events`);
    assert.equal(byId.size, everything.length, 'an event twice in GET /events');
  });

  it('GET /events filters: eventType, EQ_bizStep, MATCH_anyEPCClass, GE_eventTime, and all four', async () => {
    const token = server.tokens.integration;
    /**
     * @param {Record<string, string>} query
     * @param {(e: any) => boolean} holds what every answer must satisfy
     * @param {string[]} present
     * @param {string[]} absent
     */
    const check = async (query, holds, present, absent) => {
      const path = '/events?' + new URLSearchParams(query);
      const { events } = await allEvents(server.proxy, token, path);
      for (const e of events) assert.ok(holds(e), `${path} answered ${JSON.stringify(e)}`);
      const got = new Set(events.map((e) => e.eventID));
      for (const id of present) assert.ok(got.has(id), `${path} lacks ${id}`);
      for (const id of absent) assert.ok(!got.has(id), `${path} has ${id}`);
      assert.ok(events.length < everything.length, `${path} filtered nothing`);
    };
    const isObject = (/** @type {any} */ e) => e.type === 'ObjectEvent';
    const isShipping = (/** @type {any} */ e) => /^(shipping|https:\/\/ref\.gs1\.org\/cbv\/BizStep-shipping)$/.test(e.bizStep ?? '');
    const classes = (/** @type {any} */ e) => ['quantityList', 'childQuantityList', 'inputQuantityList', 'outputQuantityList']
      .flatMap((k) => e[k] ?? []).map((/** @type {any} */ q) => q.epcClass);
    const hasLot7 = (/** @type {any} */ e) => classes(e).includes(LOT7);
    const since = at(5);
    const late = (/** @type {any} */ e) => Date.parse(e.eventTime) >= Date.parse(since);

    await check({ eventType: 'ObjectEvent' }, isObject, [ids.ship, ids.receive], [ids.transform]);
    await check({ EQ_bizStep: 'shipping' }, isShipping, [ids.ship], [ids.transform, ids.receive]);
    await check({ MATCH_anyEPCClass: LOT7 }, hasLot7, [ids.ship, ids.transform], [ids.receive]);
    await check({ GE_eventTime: since }, late, [ids.ship, ids.receive], [ids.transform]);
    await check({ eventType: 'ObjectEvent', EQ_bizStep: 'shipping', MATCH_anyEPCClass: LOT7, GE_eventTime: since },
      (e) => isObject(e) && isShipping(e) && hasLot7(e) && late(e), [ids.ship], [ids.transform, ids.receive]);
  });

  it('perPage=1: Link rel="next" walks every event once', async () => {
    const first = await call(server.proxy, 'GET', '/events?perPage=1', { token: server.tokens.integration });
    assert.equal(first.status, 200, first.text);
    assert.match(first.headers.get('link') ?? '', /^<[^>]*nextPageToken=[^>]*>\s*;\s*rel="next"/, 'the first page links the next');
    assert.ok(nextPage(first.headers, '/events?perPage=1')?.startsWith('/events?'), `Link: ${first.headers.get('link')}`);
    const { events, pages } = await allEvents(server.proxy, server.tokens.integration, '/events?perPage=1');
    for (const p of pages) assert.ok(p.count <= 1, `${p.path} holds ${p.count} events`);
    assert.equal(pages.at(-1)?.link?.includes('next') ?? false, false, 'the last page links no next');
    const seen = events.map((e) => e.eventID);
    assert.equal(new Set(seen).size, seen.length, `an event on two pages: ${seen.join(' ')}`);
    assert.deepEqual([...seen].sort(), everything.map((e) => e.eventID).sort(), 'the pages hold what GET /events holds');
  });

  it('GET /events/{eventID}: the event; an unknown one 404', async () => {
    const { answer, event } = await eventById(ids.ship);
    assert.equal(answer.status, 200, answer.text);
    assert.deepEqual(event.quantityList, [{ epcClass: LOT7, quantity: 120, uom: 'KGM' }]);
    const unknown = await call(server.proxy, 'GET', `/events/${encodeURIComponent(eventId())}`, { token: server.tokens.integration });
    // GS1's document names NoSuchNameException in the schema (its example says NoSuchResourceException).
    assertProblem(unknown, 404, 'epcisException:NoSuchNameException', 'GET /events/{unknown}');
  });

  it('POST /events: 201 with a Location; the same event again 409', async () => {
    const id = eventId();
    const event = { '@context': ['https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld'], ...shipping(id, 25, 15).toObject() };
    const token = server.tokens.integration;
    const created = await call(server.proxy, 'POST', EVENTS, { token, body: event });
    assert.equal(created.status, 201, created.text);
    const location = created.headers.get('location') ?? '';
    assert.match(location, /\/events\/[^/]+$/, `Location: ${location}`);
    assert.equal(decodeURIComponent(location.slice(location.lastIndexOf('/') + 1)), id);
    const { answer } = await eventById(id);
    assert.equal(answer.status, 200, answer.text);

    const again = await call(server.proxy, 'POST', EVENTS, { token, body: event });
    assertProblem(again, 409, 'epcisException:ResourceAlreadyExistsException', 'POST /events twice');
  });

  it('POST /events with an invalid event: 400 ValidationException, nothing stored', async () => {
    const before = await count();
    const token = server.tokens.integration;
    const context = ['https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld'];
    const noStep = { '@context': context, ...invalidEvent(eventId()) };
    const noTime = { '@context': context, ...shipping(eventId(), 26, 2).toObject() };
    delete noTime.eventTime;
    for (const [what, event] of [['a bizStep that is no step', noStep], ['no eventTime', noTime]]) {
      // Prism would refuse these itself (422): through the proxy that checks answers only.
      const answer = await call(server.responsesOnly, 'POST', EVENTS, { token, body: event });
      assertProblem(answer, 400, 'epcisException:ValidationException', `POST /events with ${what}`);
      assert.equal((await eventById(event.eventID)).answer.status, 404, `${what}: stored`);
    }
    assert.equal(await count(), before, 'an invalid event changed GET /events');
  });

  it('capture with GS1-Capture-Error-Behaviour: proceed stores the valid event and lists the error', async () => {
    const good = eventId();
    const bad = eventId();
    const doc = new EPCISDocument({ epcisBody: { eventList: [shipping(good, 30, 5).toObject(), invalidEvent(bad)] } });
    assert.throws(() => doc.isValid(), /bizStep/, 'epcis2.js finds the document invalid');
    const headers = { ...bearer(server.tokens.integration), 'GS1-Capture-Error-Behaviour': 'proceed' };
    const { answer } = await captureWith(server.responsesOnly, doc, headers, false);
    assert.equal(answer.status, 202, answer.text);
    const job = await finishedJob(server.responsesOnly, server.tokens.integration, answer.headers.get('location') ?? '');
    assert.equal(job.success, false, JSON.stringify(job));
    if ('captureErrorBehaviour' in job) assert.equal(job.captureErrorBehaviour, 'proceed');
    assert.ok(Array.isArray(job.errors) && job.errors.length > 0, `errors: ${JSON.stringify(job)}`);
    for (const e of job.errors) assert.ok(typeof e.type === 'string' && typeof e.title === 'string', JSON.stringify(e));
    assert.equal((await eventById(good)).answer.status, 200, 'proceed: the valid event is not stored');
    assert.equal((await eventById(bad)).answer.status, 404, 'proceed: the invalid event is stored');
  });

  it('capture with the default behaviour (rollback) stores nothing of a document at fault', async () => {
    const before = await count();
    const good = eventId();
    const doc = new EPCISDocument({ epcisBody: { eventList: [shipping(good, 31, 6).toObject(), invalidEvent(eventId())] } });
    const { answer } = await captureWith(server.responsesOnly, doc, bearer(server.tokens.integration), false);
    // Refused at once, or accepted as a job that then fails whole: GS1 allows either.
    if (answer.status === 202) {
      const job = await finishedJob(server.responsesOnly, server.tokens.integration, answer.headers.get('location') ?? '');
      assert.equal(job.success, false, JSON.stringify(job));
      assert.ok(Array.isArray(job.errors) && job.errors.length > 0, `errors: ${JSON.stringify(job)}`);
    } else {
      assertProblem(answer, 400, 'epcisException:ValidationException', 'POST /capture (rollback) of a document at fault');
    }
    assert.equal((await eventById(good)).answer.status, 404, 'rollback: the valid event is stored');
    assert.equal(await count(), before, 'rollback: GET /events changed');
  });

  it('an auditor may read but not capture: 403, nothing stored', async () => {
    const reads = await call(server.proxy, 'GET', '/events', { token: server.tokens.auditor });
    assert.equal(reads.status, 200, reads.text);
    const before = await count();
    const id = eventId();
    const doc = new EPCISDocument().addEvent(shipping(id, 35, 7));
    const { answer } = await captureWith(server.proxy, doc, bearer(server.tokens.auditor));
    assertProblem(answer, 403, 'epcisException:SecurityException', 'POST /capture by an auditor');
    const event = { '@context': ['https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld'], ...shipping(id, 35, 7).toObject() };
    const single = await call(server.proxy, 'POST', EVENTS, { token: server.tokens.auditor, body: event });
    assertProblem(single, 403, 'epcisException:SecurityException', 'POST /events by an auditor');
    assert.equal((await eventById(id)).answer.status, 404, 'the auditor\'s event is stored');
    assert.equal(await count(), before, 'the auditor changed GET /events');
  });
});
