// Tailwind CSS v4 runs as a PostCSS plugin inside `next build` / `next dev`.
const config = {
  plugins: {
    '@tailwindcss/postcss': {},
  },
}

export default config
