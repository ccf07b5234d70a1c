import { subscriptionsRouter } from "./routers/subscriptions";
import { invoicesRouter } from "./routers/invoices";
import { shelvesRouter } from "./routers/shelves";
import { loansRouter } from "./routers/loans";
import { router } from "./trpc";

// One router per user-scoped table of the Convex schema, by `conformance fix`.
export const appRouter = router({
  subscriptions: subscriptionsRouter,
  invoices: invoicesRouter,
  shelves: shelvesRouter,
  loans: loansRouter,
});

export type AppRouter = typeof appRouter;
