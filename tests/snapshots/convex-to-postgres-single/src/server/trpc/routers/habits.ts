import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { HabitsRepository } from "@/db/repositories/habits";
import { protectedProcedure, router } from "../trpc";

// The caller's habits rows, by `conformance fix` from the Convex table `habits`
// of convex/schema.ts. Each procedure runs as the caller (row-level security) and checks
// the owner itself too, for connections that bypass the policies.
// The Convex functions it replaces, whose logic moves into these procedures:
//   habits.mine: public query (convex/habits.ts:5)
//   habits.add: public mutation (convex/habits.ts:17)
//   habits.tick: public mutation (convex/habits.ts:26)

/** What a caller gives for a new row; `userId` is the caller. */
const habitsInput = z.object({
  title: z.string(),
  cadence: z.enum(["daily", "weekly"]),
  target: z.number(),
  archived: z.boolean(),
});

const notFound = () => new TRPCError({ code: "NOT_FOUND", message: "Habit not found" });

export const habitsRouter = router({
  list: protectedProcedure.query(({ ctx }) =>
    new HabitsRepository(ctx.db).listByUserId(ctx.userId),
  ),

  get: protectedProcedure
    .input(z.object({ id: z.string().uuid() }))
    .query(async ({ ctx, input }) => {
      const row = await new HabitsRepository(ctx.db).getById(input.id);
      if (!row || row.userId !== ctx.userId) throw notFound();
      return row;
    }),

  create: protectedProcedure
    .input(habitsInput)
    .mutation(({ ctx, input }) =>
      new HabitsRepository(ctx.db).create({ ...input, userId: ctx.userId }),
    ),

  update: protectedProcedure
    .input(habitsInput.partial().extend({ id: z.string().uuid() }))
    .mutation(async ({ ctx, input }) => {
      const repository = new HabitsRepository(ctx.db);
      const { id, ...changes } = input;
      const row = await repository.getById(id);
      if (!row || row.userId !== ctx.userId) throw notFound();
      return repository.update(id, changes);
    }),

  delete: protectedProcedure
    .input(z.object({ id: z.string().uuid() }))
    .mutation(async ({ ctx, input }) => {
      const repository = new HabitsRepository(ctx.db);
      const row = await repository.getById(input.id);
      if (!row || row.userId !== ctx.userId) throw notFound();
      await repository.delete(input.id);
      return { id: input.id };
    }),
});
