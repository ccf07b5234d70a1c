import { and, desc, eq } from "drizzle-orm";
import type { Executor } from "../client";
import { type NewLoan, type Loan, loans } from "../schema";

// The loans table, derived by `conformance fix` from the Convex table `loans`
// of convex/schema.ts.
// The Convex functions that read or write it, whose logic moves onto these methods:
//   shelves.lend: public mutation (convex/shelves.ts:17)

/** What a caller may change: not the key, the owner or the timestamps. */
export type LoanChanges = Partial<
  Omit<NewLoan, "id" | "userId" | "createdAt" | "updatedAt">
>;

export class LoansRepository {
  constructor(private readonly db: Executor) {}

  async create(data: NewLoan): Promise<Loan> {
    const [row] = await this.db.insert(loans).values(data).returning();
    return row;
  }

  async getById(id: string): Promise<Loan | undefined> {
    const [row] = await this.db
      .select()
      .from(loans)
      .where(eq(loans.id, id))
      .limit(1);
    return row;
  }

  /** The Convex index by_user_and_book: newest first. */
  async listByUserIdAndBookId(
    userId: NonNullable<Loan["userId"]>,
    bookId: NonNullable<Loan["bookId"]>,
  ): Promise<Loan[]> {
    return this.db
      .select()
      .from(loans)
      .where(
        and(
          eq(loans.userId, userId),
          eq(loans.bookId, bookId),
        ),
      )
      .orderBy(desc(loans.createdAt));
  }

  /** One user's rows, newest first. */
  async listByUserId(
    userId: NonNullable<Loan["userId"]>,
  ): Promise<Loan[]> {
    return this.db
      .select()
      .from(loans)
      .where(eq(loans.userId, userId))
      .orderBy(desc(loans.createdAt));
  }

  async update(id: string, changes: LoanChanges): Promise<Loan | undefined> {
    const [row] = await this.db
      .update(loans)
      .set({ ...changes, updatedAt: new Date() })
      .where(eq(loans.id, id))
      .returning();
    return row;
  }

  async delete(id: string): Promise<void> {
    await this.db.delete(loans).where(eq(loans.id, id));
  }
}
