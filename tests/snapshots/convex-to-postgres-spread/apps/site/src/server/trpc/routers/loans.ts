import { LoansRepository } from "@shelf/database/repositories/loans";
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { protectedProcedure, router } from "../trpc";

// The caller's loans rows, by `conformance fix` from the Convex table `loans`
// of convex/schema.ts. Each procedure runs as the caller (row-level security) and checks
// the owner itself too, for connections that bypass the policies.
// The Convex functions it replaces, whose logic moves into these procedures:
//   shelves.lend: public mutation (convex/shelves.ts:17)

/** What a caller gives for a new row; `userId` is the caller. */
const loansInput = z.object({
  bookId: z.string().uuid(),
  borrower: z.string(),
  dueAt: z.coerce.date(),
  returned: z.boolean(),
});

const notFound = () => new TRPCError({ code: "NOT_FOUND", message: "Loan not found" });

export const loansRouter = router({
  list: protectedProcedure.query(({ ctx }) =>
    new LoansRepository(ctx.db).listByUserId(ctx.userId),
  ),

  get: protectedProcedure
    .input(z.object({ id: z.string().uuid() }))
    .query(async ({ ctx, input }) => {
      const row = await new LoansRepository(ctx.db).getById(input.id);
      if (!row || row.userId !== ctx.userId) throw notFound();
      return row;
    }),

  create: protectedProcedure
    .input(loansInput)
    .mutation(({ ctx, input }) =>
      new LoansRepository(ctx.db).create({ ...input, userId: ctx.userId }),
    ),

  update: protectedProcedure
    .input(loansInput.partial().extend({ id: z.string().uuid() }))
    .mutation(async ({ ctx, input }) => {
      const repository = new LoansRepository(ctx.db);
      const { id, ...changes } = input;
      const row = await repository.getById(id);
      if (!row || row.userId !== ctx.userId) throw notFound();
      return repository.update(id, changes);
    }),

  delete: protectedProcedure
    .input(z.object({ id: z.string().uuid() }))
    .mutation(async ({ ctx, input }) => {
      const repository = new LoansRepository(ctx.db);
      const row = await repository.getById(input.id);
      if (!row || row.userId !== ctx.userId) throw notFound();
      await repository.delete(input.id);
      return { id: input.id };
    }),
});
