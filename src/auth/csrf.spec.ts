import assert from 'node:assert/strict';
import { test } from 'node:test';
import { crossSiteRefused } from './csrf';

const HOST = 'gw.example:8080';
const judge = (method: string, headers: Record<string, string>) => crossSiteRefused(method, { host: HOST, ...headers });

test('safe methods pass whatever their headers say', () => {
  for (const method of ['GET', 'HEAD', 'OPTIONS']) {
    assert.equal(judge(method, { 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' }), false, method);
  }
});

test('Sec-Fetch-Site same-origin or none passes, even next to a foreign Origin', () => {
  assert.equal(judge('POST', { 'sec-fetch-site': 'same-origin' }), false);
  assert.equal(judge('POST', { 'sec-fetch-site': 'none' }), false, 'user-initiated: typed URL, bookmark');
  assert.equal(judge('POST', { 'sec-fetch-site': 'same-origin', origin: 'https://evil.example' }), false);
});

test('any other Sec-Fetch-Site is refused, even next to a same-origin Origin', () => {
  for (const site of ['cross-site', 'same-site', 'SAME-ORIGIN', 'same-origin, cross-site', 'bogus']) {
    assert.equal(judge('POST', { 'sec-fetch-site': site }), true, site);
  }
  assert.equal(judge('POST', { 'sec-fetch-site': 'cross-site', origin: `http://${HOST}` }), true);
});

test('neither Sec-Fetch-Site nor Origin: not a browser, so not a forged request; passes', () => {
  for (const method of ['POST', 'PUT', 'PATCH', 'DELETE', 'PROPFIND']) assert.equal(judge(method, {}), false, method);
  assert.equal(judge('POST', { referer: 'https://evil.example/page' }), false, 'Referer is not judged');
  assert.equal(judge('POST', { origin: '', 'sec-fetch-site': '' }), false, 'empty values count as absent');
});

test('an Origin alone must name the Host (scheme-less)', () => {
  assert.equal(judge('POST', { origin: `http://${HOST}` }), false);
  assert.equal(judge('POST', { origin: `https://${HOST}` }), false, 'the scheme is not compared, as in Go');
  assert.equal(crossSiteRefused('POST', { ':authority': HOST, origin: `https://${HOST}` } as never), false, 'HTTP/2');
});

test('null, foreign, look-alike and malformed Origins are refused', () => {
  for (const origin of [
    'null',
    'https://evil.example',
    'http://gw.example:1', // the host on another port
    'http://gw.example', // the host without its port
    `http://${HOST}@evil.example`, // the host as userinfo
    `http://${HOST}.evil.example`,
    'http://[',
    'not a url',
  ]) {
    assert.equal(judge('POST', { origin }), true, origin);
  }
  assert.equal(crossSiteRefused('POST', { origin: `http://${HOST}` }), true, 'no Host to compare with');
});
