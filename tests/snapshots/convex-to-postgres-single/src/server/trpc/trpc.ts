import { initTRPC, TRPCError } from "@trpc/server";
import { getDb, withUserContext } from "@/db/client";
import { auth } from "@/lib/auth";

export async function createContext({ req }: { req: Request }) {
  const session = await auth.api.getSession({ headers: req.headers });
  return { userId: session?.user.id ?? null };
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
