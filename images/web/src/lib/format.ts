/**
 * Dates for people. The page is rendered on the server, which knows nothing of the reader's time
 * zone, so times are shown in UTC and say so; the exact ISO value stays in <time dateTime> and in
 * the tooltip.
 */
const DATE_TIME = new Intl.DateTimeFormat('en-GB', {
  day: 'numeric',
  month: 'short',
  year: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
  timeZone: 'UTC',
})

/** A timestamp without an offset is taken as UTC (what the API stores). */
const HAS_OFFSET = /(?:Z|[+-]\d{2}:?\d{2})$/i

/** "2 May 2024, 12:00 UTC" from an ISO 8601 timestamp; anything unparseable comes back unchanged. */
export function formatTimestamp(iso: string): string {
  const trimmed = iso.trim()
  const millis = Date.parse(HAS_OFFSET.test(trimmed) || !trimmed.includes('T') ? trimmed : `${trimmed}Z`)
  if (Number.isNaN(millis)) return iso
  return `${DATE_TIME.format(millis)} UTC`
}
