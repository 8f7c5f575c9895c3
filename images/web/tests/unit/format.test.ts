/** Timestamps as the page shows them. */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { formatTimestamp } from '../../src/lib/format'

describe('formatTimestamp', () => {
  test('shows a UTC timestamp as day, month name, year and 24-hour time in UTC', () => {
    assert.equal(formatTimestamp('2024-05-02T12:00:00Z'), '2 May 2024, 12:00 UTC')
  })

  test('converts an offset timestamp to UTC', () => {
    assert.equal(formatTimestamp('2024-05-02T23:30:00.123456+02:00'), '2 May 2024, 21:30 UTC')
  })

  test('takes a timestamp without an offset as UTC', () => {
    assert.equal(formatTimestamp('2024-12-31T23:59:59'), '31 Dec 2024, 23:59 UTC')
  })

  test('returns what it cannot parse unchanged', () => {
    assert.equal(formatTimestamp('yesterday'), 'yesterday')
  })
})
