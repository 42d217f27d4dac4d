import assert from 'node:assert/strict';
import { test } from 'node:test';
import { baseKey, CACHE_PREFIX } from './cache-key';

const key = (url: string, host = 'shop.example') => baseKey('pages', url, host);

test('the key is the request target as sent, then the lower-cased Host and the route', () => {
  assert.equal(key('/p?a=1&b=2', 'Shop.Example'), `${CACHE_PREFIX}/p?a=1&b=2|h=shop.example|r=pages`);
  assert.equal(key('/p'), `${CACHE_PREFIX}/p|h=shop.example|r=pages`);
  assert.equal(baseKey('pages', '/p', undefined), `${CACHE_PREFIX}/p|h=|r=pages`);
});

test('the values of one repeated name in another order are another key (the app reads the first one)', () => {
  assert.notEqual(key('/p?cc=1&v=evil&v=good'), key('/p?cc=1&v=good&v=evil'));
  assert.notEqual(key('/p?v=evil&v=good'), key('/p?v=good&v=evil'));
});

test('names are not reordered either: an app that decodes %76 or + in a name reads them as one name', () => {
  assert.notEqual(key('/p?%76=evil&v=good'), key('/p?v=good&%76=evil'));
  assert.notEqual(key('/p?a+b=evil&a%20b=good'), key('/p?a%20b=good&a+b=evil'));
  assert.notEqual(key('/p?a=1&b=2'), key('/p?b=2&a=1'));
});

test('`;` is not a separator to the key, but is one to some frameworks (Rack 2, Python before 3.9.2)', () => {
  assert.notEqual(key('/p?a=1;v=evil&v=good'), key('/p?v=good&a=1;v=evil'));
});

test('the same target and Host in any letter case share one key', () => {
  assert.equal(key('/p?v=good&v=evil', 'A.Example'), key('/p?v=good&v=evil', 'a.example'));
});
