"""The shared TypeScript helpers the code-reading rules stand on."""

from __future__ import annotations

from conformance import typescript as ts

SOURCE = """"use client";
// "use server" in a comment is not a directive
import { useQuery } from "convex/react";
import * as server from "./_generated/server";
import prisma, { Prisma as P } from "@prisma/client";

export const list = query({
  handler: async (ctx) => {
    const who = await ctx.auth.getUserIdentity();
    return who;
  },
});

export async function helper() {
  return prisma.task.findMany();
}
"""


def test_directives_imports_and_enclosing_functions():
    tree = ts.parse(SOURCE, "page.tsx")
    assert ts.directives(tree) == ["use client"]
    assert ts.imports(tree) == {
        "useQuery": "convex/react",
        "server": "./_generated/server",
        "prisma": "@prisma/client",
        "P": "@prisma/client",
    }
    calls = {
        ts.text(node.child_by_field_name("function")): (ts.enclosing_function(node), ts.line(node))
        for node in ts.walk(tree.root_node)
        if node.type == "call_expression"
    }
    assert calls["ctx.auth.getUserIdentity"] == ("handler", 9)
    assert calls["prisma.task.findMany"] == ("helper", 15)
    assert calls["query"] == (None, 7)  # module level: the call is not inside a function


def test_no_directive_after_code():
    assert ts.directives(ts.parse('const a = 1;\n"use client";\n')) == []
