import { desc, eq } from "drizzle-orm";
import type { Executor } from "../client";
import { type NewNote, type Note, notes } from "../schema";

// The notes table, derived by `conformance fix` from the Convex table `notes`
// of packages/backend/convex/schema.ts.
// The Convex functions that read or write it, whose logic moves onto these methods:
//   notes.mine: public query (packages/backend/convex/notes.ts:9)
//   notes.byId: public query (packages/backend/convex/notes.ts:21)
//   notes.add: public mutation (packages/backend/convex/notes.ts:26)
//   notes.remove: public mutation (packages/backend/convex/notes.ts:35)
//   notes.saveSummary: internal mutation (packages/backend/convex/notes.ts:43)

/** What a caller may change: not the key, the owner or the timestamps. */
export type NoteChanges = Partial<
  Omit<NewNote, "id" | "userId" | "createdAt" | "updatedAt">
>;

export class NotesRepository {
  constructor(private readonly db: Executor) {}

  async create(data: NewNote): Promise<Note> {
    const [row] = await this.db.insert(notes).values(data).returning();
    return row;
  }

  async getById(id: string): Promise<Note | undefined> {
    const [row] = await this.db
      .select()
      .from(notes)
      .where(eq(notes.id, id))
      .limit(1);
    return row;
  }

  /** One user's rows, newest first. */
  async listByUserId(
    userId: NonNullable<Note["userId"]>,
  ): Promise<Note[]> {
    return this.db
      .select()
      .from(notes)
      .where(eq(notes.userId, userId))
      .orderBy(desc(notes.createdAt));
  }

  async update(id: string, changes: NoteChanges): Promise<Note | undefined> {
    const [row] = await this.db
      .update(notes)
      .set({ ...changes, updatedAt: new Date() })
      .where(eq(notes.id, id))
      .returning();
    return row;
  }

  async delete(id: string): Promise<void> {
    await this.db.delete(notes).where(eq(notes.id, id));
  }
}
