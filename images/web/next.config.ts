import type { NextConfig } from 'next'

/**
 * Headers sent with every response. The page embeds no third-party content and is never meant to be
 * framed, so framing is refused both the old way (X-Frame-Options) and the CSP way (frame-ancestors).
 * The CSP restricts only directives that Next's inline bootstrap scripts do not depend on; a full
 * script-src policy would need per-request nonces. HSTS belongs to the TLS-terminating proxy.
 */
const securityHeaders = [
  { key: 'X-Content-Type-Options', value: 'nosniff' },
  { key: 'Referrer-Policy', value: 'strict-origin-when-cross-origin' },
  { key: 'X-Frame-Options', value: 'DENY' },
  {
    key: 'Content-Security-Policy',
    value: "frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'",
  },
  {
    key: 'Permissions-Policy',
    value: 'camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()',
  },
  { key: 'Cross-Origin-Opener-Policy', value: 'same-origin' },
]

const nextConfig: NextConfig = {
  // Self-contained server.js plus the traced node_modules it needs: what the Docker runner copies.
  output: 'standalone',
  // Pin tracing to this folder so the standalone layout does not depend on where the repo lives.
  outputFileTracingRoot: __dirname,
  turbopack: { root: __dirname },
  poweredByHeader: false,
  // `npm run typecheck` (images/web/scripts/test and CI) type-checks sources and tests; repeating it
  // in every `next build` would cost about 10 s of each one-line rebuild of the image.
  typescript: { ignoreBuildErrors: true },
  // next/image resizes and re-encodes (WebP) at run time with sharp, which the standalone trace
  // carries with its libvips for the build's own platform only (npm installs no other).
  images: { formats: ['image/webp'] },
  async headers() {
    return [{ source: '/:path*', headers: securityHeaders }]
  },
}

export default nextConfig
