/**
 * /favicon.ico, made at build time (force-static: prerendered by `next build`, served as a file)
 * from the SVG mark below by sharp, as an ICO holding PNG images (16, 32 and 48 px), the form every
 * browser since IE 9 reads. Generated so that the repository keeps no binaries.
 */
import sharp from 'sharp'

export const dynamic = 'force-static'

/** The page's mark: the proxy above the web app and the API (the colours of the stack diagram). */
const MARK = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64">
  <rect width="64" height="64" rx="12" fill="#0f172a"/>
  <rect x="14" y="8" width="36" height="16" rx="5" fill="#94a3b8"/>
  <rect x="6" y="36" width="22" height="20" rx="5" fill="#3b82f6"/>
  <rect x="36" y="36" width="22" height="20" rx="5" fill="#22c55e"/>
</svg>`

const SIZES = [16, 32, 48]

/** ICONDIR (6 bytes) + one ICONDIRENTRY (16 bytes) per image + the PNG data, little-endian. */
function ico(pngs: Array<{ size: number; data: Buffer }>): Buffer {
  const header = Buffer.alloc(6 + 16 * pngs.length)
  header.writeUInt16LE(0, 0) // reserved
  header.writeUInt16LE(1, 2) // type: icon
  header.writeUInt16LE(pngs.length, 4)
  let offset = header.length
  pngs.forEach(({ size, data }, i) => {
    const entry = 6 + 16 * i
    header.writeUInt8(size >= 256 ? 0 : size, entry) // width (0 means 256)
    header.writeUInt8(size >= 256 ? 0 : size, entry + 1) // height
    header.writeUInt8(0, entry + 2) // no palette
    header.writeUInt8(0, entry + 3) // reserved
    header.writeUInt16LE(1, entry + 4) // colour planes
    header.writeUInt16LE(32, entry + 6) // bits per pixel
    header.writeUInt32LE(data.length, entry + 8)
    header.writeUInt32LE(offset, entry + 12)
    offset += data.length
  })
  return Buffer.concat([header, ...pngs.map((p) => p.data)])
}

export async function GET(): Promise<Response> {
  const pngs = await Promise.all(
    SIZES.map(async (size) => ({ size, data: await sharp(Buffer.from(MARK)).resize(size, size).png().toBuffer() })),
  )
  return new Response(new Uint8Array(ico(pngs)), {
    headers: { 'content-type': 'image/x-icon', 'cache-control': 'public, max-age=86400' },
  })
}
