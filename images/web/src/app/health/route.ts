/**
 * Liveness of this server alone, for the container health check: deliberately no API call, so a
 * down API shows on the page instead of getting the web container restarted or replaced.
 */
export const dynamic = 'force-dynamic'

export function GET(): Response {
  return Response.json({ status: 'ok' }, { headers: { 'cache-control': 'no-store' } })
}
