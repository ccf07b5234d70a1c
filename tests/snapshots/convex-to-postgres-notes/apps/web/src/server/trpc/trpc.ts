import { auth } from "@clerk/nextjs/server";
import { getDb, withUserContext } from "@notes/database/client";
import { initTRPC, TRPCError } from "@trpc/server";

// The caller, as Clerk's session says (the app signs in with @clerk/nextjs).
export async function createContext(_options: { req: Request }) {
  const { userId } = await auth();
  return { userId: userId ?? null };
}

type Context = Awaited<ReturnType<typeof createContext>>;

const t = initTRPC.context<Context>().create();

export const router = t.router;
export const publicProcedure = t.procedure;

/**
 * Signed-in callers only. The procedure runs in a transaction whose row-level-security user is
 * the caller (`ctx.db`), so the policies filter every query it makes.
 */
export const protectedProcedure = t.procedure.use(({ ctx, next }) => {
  const userId = ctx.userId;
  if (!userId) {
    throw new TRPCError({ code: "UNAUTHORIZED" });
  }
  return withUserContext(getDb(), userId, (db) => next({ ctx: { userId, db } }));
});
