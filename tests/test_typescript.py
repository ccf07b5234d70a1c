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


def test_find_returns_nodes_in_source_order_outer_first():
    tree = ts.parse("const a = f(g(1)); new K(h());\nclass C { m() { return x.y(); } }\n", "a.tsx")
    calls = ts.find(tree, "call_expression", "new_expression")
    assert [ts.text(node) for node in calls] == ["f(g(1))", "g(1)", "new K(h())", "h()", "x.y()"]
    method = ts.find(tree, "method_definition")[0]
    assert [ts.text(n) for n in ts.find(tree, "call_expression", within=method)] == ["x.y()"]
