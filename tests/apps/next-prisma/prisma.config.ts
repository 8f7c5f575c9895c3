import { defineConfig } from "prisma/config";

export default defineConfig({
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
  // Read at run time: `prisma generate` (in the image build) needs no database.
  datasource: { url: process.env.DATABASE_URL },
});
