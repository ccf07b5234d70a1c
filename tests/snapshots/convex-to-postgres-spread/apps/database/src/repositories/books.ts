import { eq } from "drizzle-orm";
import type { Executor } from "../client";
import { type NewBook, type Book, books } from "../schema";

// The books table, derived by `conformance fix` from the Convex table `books`
// of convex/schema.ts.
// The Convex functions that read or write it, whose logic moves onto these methods:
//   shelves.lend: public mutation (convex/shelves.ts:17)

/** What a caller may change: not the key or the timestamps. */
export type BookChanges = Partial<
  Omit<NewBook, "id" | "createdAt" | "updatedAt">
>;

export class BooksRepository {
  constructor(private readonly db: Executor) {}

  async create(data: NewBook): Promise<Book> {
    const [row] = await this.db.insert(books).values(data).returning();
    return row;
  }

  async getById(id: string): Promise<Book | undefined> {
    const [row] = await this.db
      .select()
      .from(books)
      .where(eq(books.id, id))
      .limit(1);
    return row;
  }

  async update(id: string, changes: BookChanges): Promise<Book | undefined> {
    const [row] = await this.db
      .update(books)
      .set({ ...changes, updatedAt: new Date() })
      .where(eq(books.id, id))
      .returning();
    return row;
  }

  async delete(id: string): Promise<void> {
    await this.db.delete(books).where(eq(books.id, id));
  }
}
