/** The user and group parsers: optional fields, Go's nil slices, and shapes that are refused. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ShapeError } from "../../../src/dittofs/wire.ts";
import { parseGroups, parseUserRecord } from "../../../src/dittofs/wire-users.ts";

test("a user with and without its optional fields", () => {
  assert.deepEqual(parseUserRecord({ username: "a", role: "user", enabled: false, must_change_password: true, uid: 1001, gid: 100, display_name: "A", email: "a@b", groups: ["staff"] }), {
    username: "a", role: "user", enabled: false, mustChangePassword: true, displayName: "A", email: "a@b", uid: 1001, gid: 100, groups: ["staff"],
  });
  assert.deepEqual(parseUserRecord({ username: "b", role: "admin" }), { username: "b", role: "admin", enabled: true, mustChangePassword: false, displayName: "", email: "", uid: undefined, gid: undefined, groups: [] });
  assert.throws(() => parseUserRecord({ username: "c", role: "user", groups: [1] }), ShapeError);
  assert.throws(() => parseUserRecord({ username: "c", role: "user", uid: "1001" }), ShapeError);
});

test("groups: members absent when empty", () => {
  assert.deepEqual(parseGroups([{ id: "1", name: "staff", gid: 100, created_at: "x" }, { name: "users", members: ["a"], description: "d" }]), [
    { name: "staff", gid: 100, description: "", members: [] },
    { name: "users", gid: undefined, description: "d", members: ["a"] },
  ]);
});
