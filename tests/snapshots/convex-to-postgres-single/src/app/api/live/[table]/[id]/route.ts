import { type Executor, getDb, withUserContext } from "@/db/client";
import { HabitsRepository } from "@/db/repositories/habits";
import { CheckinsRepository } from "@/db/repositories/checkins";
import { auth } from "@/lib/auth";

const POLL_INTERVAL_MS = 500;

type Owned = { userId: string | null };

// The tables a page may follow, by the `[table]` segment: the caller's rows, by id.
const readers = new Map<string, (db: Executor, id: string) => Promise<Owned | undefined>>([
  ["habits", (db, id) => new HabitsRepository(db).getById(id)],
  ["checkins", (db, id) => new CheckinsRepository(db).getById(id)],
]);

// Rows hold Dates and may hold bigints, which JSON.stringify rejects.
const json = (value: unknown) =>
  JSON.stringify(value, (_, item) => (typeof item === "bigint" ? item.toString() : item));

/**
 * Server-Sent Events for one row the caller owns, replacing a Convex subscription: an `update`
 * event whenever the row changes, then `deleted` once it is gone. The row is read as the caller
 * (row-level security) and its owner compared here too, for connections that bypass the
 * policies.
 */
export async function GET(
  request: Request,
  { params }: { params: Promise<{ table: string; id: string }> },
) {
  const session = await auth.api.getSession({ headers: request.headers });
  if (!session) {
    return new Response("Unauthorized", { status: 401 });
  }
  const userId = session.user.id;
  const { table, id } = await params;
  const read = readers.get(table);
  if (!read) {
    return new Response("Not found", { status: 404 });
  }
  const db = getDb();
  const encoder = new TextEncoder();
  let timer: ReturnType<typeof setTimeout> | undefined;

  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      const send = (event: string, data: unknown) => {
        controller.enqueue(encoder.encode(`event: ${event}\ndata: ${json(data)}\n\n`));
      };
      let last = "";

      const poll = async () => {
        try {
          const row = await withUserContext(db, userId, (tx) => read(tx, id));
          if (!row || row.userId !== userId) {
            send("deleted", { id });
            controller.close();
            return;
          }
          const snapshot = json(row);
          if (snapshot !== last) {
            last = snapshot;
            send("update", row);
          }
          timer = setTimeout(poll, POLL_INTERVAL_MS);
        } catch (error) {
          send("error", { message: String(error) });
          controller.close();
        }
      };

      void poll();
    },
    // The browser went away: stop polling the database for it.
    cancel() {
      clearTimeout(timer);
    },
  });

  return new Response(stream, {
    headers: {
      "Content-Type": "text/event-stream",
      "Cache-Control": "no-cache, no-transform",
      Connection: "keep-alive",
    },
  });
}
