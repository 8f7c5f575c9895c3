import { prisma } from "@/lib/prisma";

// Rows are read on every request, never at build time.
export const dynamic = "force-dynamic";

export default async function Home() {
  const notes = await prisma.note.findMany({ orderBy: { id: "asc" }, take: 100 });
  return (
    <main>
      <h1>Notes</h1>
      <p data-testid="count">{notes.length} notes</p>
      <ul>
        {notes.map((note) => (
          <li key={note.id} data-note-id={note.id}>
            {note.body}
          </li>
        ))}
      </ul>
    </main>
  );
}
