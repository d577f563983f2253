// The embedded Clerk's control plane driven from Node, beside Clerk's JavaScript backend SDK: what
// a team testing a Node backend would do in CI. Started by compat/js_test.go (make compat-js) with
// a server of its own, since it resets and seeds the server's state.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createClerkClient } from '@clerk/backend';
import { apiError } from './helpers.mjs';

const apiUrl = process.env.CLERK_API_URL; // without /v1: the SDK adds it
const secretKey = process.env.CLERK_SECRET_KEY;
assert.ok(apiUrl && secretKey, 'CLERK_API_URL and CLERK_SECRET_KEY must be set');
const clerk = createClerkClient({ secretKey, apiUrl });

// control calls /_control/ with the same key and returns the decoded answer (null for 204).
async function control(method, path, body) {
  const res = await fetch(`${apiUrl}/_control${path}`, {
    method,
    headers: { Authorization: `Bearer ${secretKey}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  assert.ok(res.ok, `${method} /_control${path}: ${res.status} ${await res.clone().text()}`);
  return res.status === 204 ? null : res.json();
}

test('the control plane drives the embedded Clerk', { concurrency: false }, async (t) => {
  await control('POST', '/reset');

  await t.test('an invitation accepted over /_control/ is accepted for the SDK', async () => {
    const inv = await clerk.invitations.createInvitation({ emailAddress: 'node-accept@example.com', notify: false });
    const details = await control('POST', `/invitations/${inv.id}/accept`);
    assert.equal(details.invitation.status, 'accepted');
    const list = await clerk.invitations.getInvitationList({ query: 'node-accept', status: 'accepted' });
    assert.deepEqual(list.data.map((i) => i.id), [inv.id]);
    const refused = await apiError(() => clerk.invitations.revokeInvitation(inv.id));
    assert.equal(refused.status, 400);
    assert.equal(refused.errors[0].code, 'invitation_already_accepted');
  });

  await t.test('an injected 429 reaches the SDK with its Retry-After', async () => {
    await control('POST', '/faults', {
      operation: 'create', count: 1,
      fault: {
        status: 429, headers: { 'Retry-After': '42', 'Content-Type': 'application/json' },
        body: JSON.stringify({ errors: [{ code: 'too_many_requests', message: 'Too many requests', long_message: 'Too many requests, retry later.' }] }),
      },
    });
    const err = await apiError(() => clerk.invitations.createInvitation({ emailAddress: 'node-limited@example.com', notify: false }));
    assert.equal(err.status, 429);
    assert.equal(err.errors[0].code, 'too_many_requests');
    assert.equal(err.retryAfter, 42);
  });

  await t.test('a clock moved past an expiry makes the invitation expired', async () => {
    const inv = await clerk.invitations.createInvitation({ emailAddress: 'node-expiry@example.com', notify: false, expiresInDays: 1 });
    await control('POST', '/clock', { advance: '25h' });
    const list = await clerk.invitations.getInvitationList({ query: 'node-expiry', status: 'expired' });
    assert.deepEqual(list.data.map((i) => i.id), [inv.id]);
  });

  await t.test('the request log saw the SDK', async () => {
    const log = await control('GET', '/requests');
    assert.ok(log.some((r) => r.operation === 'create' && r.status === 429 && r.error_codes.includes('too_many_requests')));
    assert.ok(!JSON.stringify(log).includes(secretKey), 'the key is never logged');
  });

  await t.test('the state exported, reset and imported lists the same invitations', async () => {
    const everything = { status: ['pending', 'accepted', 'revoked', 'expired'], limit: 500 };
    const before = await clerk.invitations.getInvitationList(everything);
    assert.ok(before.totalCount >= 2);
    const state = await control('GET', '/state');
    await control('POST', '/reset');
    assert.equal((await clerk.invitations.getInvitationList(everything)).totalCount, 0);
    await control('PUT', '/state', state);
    const after = await clerk.invitations.getInvitationList(everything);
    assert.deepEqual(after.data.map((i) => [i.id, i.status]), before.data.map((i) => [i.id, i.status]));
  });

});
