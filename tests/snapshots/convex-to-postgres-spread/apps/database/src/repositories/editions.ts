import { desc, eq } from "drizzle-orm";
import type { Executor } from "../client";
import { type NewEdition, type Edition, editions } from "../schema";

// The editions table, derived by `conformance fix` from the Convex table `editions`
// of convex/schema.ts.
// No Convex function names it in a ctx.db call.

/** What a caller may change: not the key or the timestamps. */
export type EditionChanges = Partial<
  Omit<NewEdition, "id" | "createdAt" | "updatedAt">
>;

export class EditionsRepository {
  constructor(private readonly db: Executor) {}

  async create(data: NewEdition): Promise<Edition> {
    const [row] = await this.db.insert(editions).values(data).returning();
    return row;
  }

  async getById(id: string): Promise<Edition | undefined> {
    const [row] = await this.db
      .select()
      .from(editions)
      .where(eq(editions.id, id))
      .limit(1);
    return row;
  }

  /** The Convex index by_book: newest first. */
  async listByBookId(
    bookId: NonNullable<Edition["bookId"]>,
  ): Promise<Edition[]> {
    return this.db
      .select()
      .from(editions)
      .where(eq(editions.bookId, bookId))
      .orderBy(desc(editions.createdAt));
  }

  async update(id: string, changes: EditionChanges): Promise<Edition | undefined> {
    const [row] = await this.db
      .update(editions)
      .set({ ...changes, updatedAt: new Date() })
      .where(eq(editions.id, id))
      .returning();
    return row;
  }

  async delete(id: string): Promise<void> {
    await this.db.delete(editions).where(eq(editions.id, id));
  }
}
