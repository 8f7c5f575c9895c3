/** Runtime settings read from the environment. */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { apiInternalUrl, publicUrl } from '../../src/lib/config'

test('API_INTERNAL_URL defaults to the api network alias on port 8000', () => {
  assert.equal(apiInternalUrl({}), 'http://api:8000')
})

test('API_INTERNAL_URL is used without its trailing slash', () => {
  assert.equal(apiInternalUrl({ API_INTERNAL_URL: 'http://api-blue:8000/' }), 'http://api-blue:8000')
})

test('a blank API_INTERNAL_URL falls back to the default', () => {
  assert.equal(apiInternalUrl({ API_INTERNAL_URL: '  ' }), 'http://api:8000')
})

test('PUBLIC_URL is null when unset and trimmed of its trailing slash when set', () => {
  assert.equal(publicUrl({}), null)
  assert.equal(publicUrl({ PUBLIC_URL: 'https://example.test/' }), 'https://example.test')
})
