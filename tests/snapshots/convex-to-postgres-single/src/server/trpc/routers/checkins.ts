import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { CheckinsRepository } from "@/db/repositories/checkins";
import { protectedProcedure, router } from "../trpc";

// The caller's checkins rows, by `conformance fix` from the Convex table `checkins`
// of convex/schema.ts. Each procedure runs as the caller (row-level security) and checks
// the owner itself too, for connections that bypass the policies.
// The Convex functions it replaces, whose logic moves into these procedures:
//   habits.tick: public mutation (convex/habits.ts:26)

/** What a caller gives for a new row; `userId` is the caller. */
const checkinsInput = z.object({
  habitId: z.string().uuid(),
  day: z.string(),
  note: z.string().optional(),
});

const notFound = () => new TRPCError({ code: "NOT_FOUND", message: "Checkin not found" });

export const checkinsRouter = router({
  list: protectedProcedure.query(({ ctx }) =>
    new CheckinsRepository(ctx.db).listByUserId(ctx.userId),
  ),

  get: protectedProcedure
    .input(z.object({ id: z.string().uuid() }))
    .query(async ({ ctx, input }) => {
      const row = await new CheckinsRepository(ctx.db).getById(input.id);
      if (!row || row.userId !== ctx.userId) throw notFound();
      return row;
    }),

  create: protectedProcedure
    .input(checkinsInput)
    .mutation(({ ctx, input }) =>
      new CheckinsRepository(ctx.db).create({ ...input, userId: ctx.userId }),
    ),

  update: protectedProcedure
    .input(checkinsInput.partial().extend({ id: z.string().uuid() }))
    .mutation(async ({ ctx, input }) => {
      const repository = new CheckinsRepository(ctx.db);
      const { id, ...changes } = input;
      const row = await repository.getById(id);
      if (!row || row.userId !== ctx.userId) throw notFound();
      return repository.update(id, changes);
    }),

  delete: protectedProcedure
    .input(z.object({ id: z.string().uuid() }))
    .mutation(async ({ ctx, input }) => {
      const repository = new CheckinsRepository(ctx.db);
      const row = await repository.getById(input.id);
      if (!row || row.userId !== ctx.userId) throw notFound();
      await repository.delete(input.id);
      return { id: input.id };
    }),
});
