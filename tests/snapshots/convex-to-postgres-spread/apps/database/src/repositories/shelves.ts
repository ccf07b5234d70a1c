import { desc, eq } from "drizzle-orm";
import type { Executor } from "../client";
import { type NewShelve, type Shelve, shelves } from "../schema";

// The shelves table, derived by `conformance fix` from the Convex table `shelves`
// of convex/schema.ts.
// The Convex functions that read or write it, whose logic moves onto these methods:
//   shelves.mine: public query (convex/shelves.ts:5)

/** What a caller may change: not the key, the owner or the timestamps. */
export type ShelveChanges = Partial<
  Omit<NewShelve, "id" | "userId" | "createdAt" | "updatedAt">
>;

export class ShelvesRepository {
  constructor(private readonly db: Executor) {}

  async create(data: NewShelve): Promise<Shelve> {
    const [row] = await this.db.insert(shelves).values(data).returning();
    return row;
  }

  async getById(id: string): Promise<Shelve | undefined> {
    const [row] = await this.db
      .select()
      .from(shelves)
      .where(eq(shelves.id, id))
      .limit(1);
    return row;
  }

  /** The Convex index by_user: newest first. */
  async listByUserId(
    userId: NonNullable<Shelve["userId"]>,
  ): Promise<Shelve[]> {
    return this.db
      .select()
      .from(shelves)
      .where(eq(shelves.userId, userId))
      .orderBy(desc(shelves.createdAt));
  }

  async update(id: string, changes: ShelveChanges): Promise<Shelve | undefined> {
    const [row] = await this.db
      .update(shelves)
      .set({ ...changes, updatedAt: new Date() })
      .where(eq(shelves.id, id))
      .returning();
    return row;
  }

  async delete(id: string): Promise<void> {
    await this.db.delete(shelves).where(eq(shelves.id, id));
  }
}
