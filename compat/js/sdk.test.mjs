// Clerk's JavaScript backend SDK against the embedded Clerk. Started by compat/js_test.go (make
// compat-js), which serves an embedded Clerk and passes its address and key in the environment.
// Every call goes through the SDK's public API, as an application would make it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createClerkClient } from '@clerk/backend';
import { apiError } from './helpers.mjs';

const apiUrl = process.env.CLERK_API_URL; // without /v1: the SDK adds it
const secretKey = process.env.CLERK_SECRET_KEY;
const registered = process.env.COMPAT_REGISTERED_ADDRESS;
assert.ok(apiUrl && secretKey && registered, 'CLERK_API_URL, CLERK_SECRET_KEY and COMPAT_REGISTERED_ADDRESS must be set');
assert.ok(!apiUrl.endsWith('/v1'), 'the JavaScript SDK appends /v1 to apiUrl itself');

const clerk = createClerkClient({ secretKey, apiUrl });
let n = 0;
const addr = (group) => `js-${group}-${++n}@example.com`;

test('createInvitation returns the invitation', async () => {
  const email = addr('create');
  const inv = await clerk.invitations.createInvitation({
    emailAddress: email, notify: false, publicMetadata: { plan: 'pro' }, expiresInDays: 7, templateSlug: 'invitation',
  });
  assert.match(inv.id, /^inv_/);
  assert.equal(inv.emailAddress, email);
  assert.equal(inv.status, 'pending');
  assert.equal(inv.revoked, false);
  assert.deepEqual(inv.publicMetadata, { plan: 'pro' });
  assert.ok(inv.url.length > 0);
  assert.ok(Math.abs(inv.createdAt - Date.now()) < 60_000, 'timestamps are Unix milliseconds');
});

test('a duplicate is a 400 duplicate_record listing the address', async () => {
  const email = addr('dup');
  await clerk.invitations.createInvitation({ emailAddress: email, notify: false });
  const err = await apiError(() => clerk.invitations.createInvitation({ emailAddress: email, notify: false }));
  assert.equal(err.status, 400);
  assert.equal(err.errors[0].code, 'duplicate_record');
  assert.deepEqual(err.errors[0].meta.emailAddresses, [email]);
  assert.ok(err.clerkTraceId, 'clerk_trace_id');
});

test('a 422 names the parameter in meta.paramName', async () => {
  const cases = [
    [{ emailAddress: addr('bad'), notify: false, redirectUrl: 'javascript:alert(1)' }, 'invalid_url_scheme', 'redirect_url'],
    [{ emailAddress: addr('bad'), notify: false, expiresInDays: 400 }, 'form_param_value_invalid', 'expires_in_days'],
    [{ emailAddress: 'not-an-address', notify: false }, 'form_param_format_invalid', 'email_address'],
    [{ emailAddress: addr('bad'), notify: false, publicMetadata: { k: 'x'.repeat(8200) } }, 'form_param_exceeds_allowed_size', 'public_metadata'],
    [{ emailAddress: registered, notify: false }, 'form_identifier_exists', 'email_address'],
  ];
  for (const [params, code, paramName] of cases) {
    const err = await apiError(() => clerk.invitations.createInvitation(params));
    assert.equal(err.status, 422, code);
    assert.equal(err.errors[0].code, code);
    assert.equal(err.errors[0].meta.paramName, paramName, `${code}: meta.paramName`);
    assert.ok(err.errors[0].longMessage, `${code}: long message`);
  }
});

test('createInvitationBulk keeps the order of the items', async () => {
  const emails = [addr('bulk'), addr('bulk'), addr('bulk')];
  const created = await clerk.invitations.createInvitationBulk(emails.map((emailAddress) => ({ emailAddress, notify: false })));
  assert.deepEqual(created.map((i) => i.emailAddress), emails);
});

test('getInvitationList leaves revoked invitations out unless asked', async () => {
  const prefix = `js-hidden-${Date.now()}`;
  const a = await clerk.invitations.createInvitation({ emailAddress: `${prefix}-a@example.com`, notify: false });
  const b = await clerk.invitations.createInvitation({ emailAddress: `${prefix}-b@example.com`, notify: false });
  const revoked = await clerk.invitations.revokeInvitation(a.id);
  assert.equal(revoked.status, 'revoked');
  assert.equal(revoked.revoked, true);

  const all = await clerk.invitations.getInvitationList({ query: prefix });
  assert.equal(all.totalCount, 1);
  assert.deepEqual(all.data.map((i) => i.id), [b.id]);
  const onlyRevoked = await clerk.invitations.getInvitationList({ query: prefix, status: 'revoked' });
  assert.equal(onlyRevoked.totalCount, 1);
  assert.equal(onlyRevoked.data[0].id, a.id);

  const page = await clerk.invitations.getInvitationList({ query: prefix, status: ['pending', 'revoked'], orderBy: '+email_address', limit: 1, offset: 1 });
  assert.equal(page.totalCount, 2);
  assert.deepEqual(page.data.map((i) => i.id), [b.id]);
});

test('revokeInvitation refuses a second revoke and an unknown id', async () => {
  const inv = await clerk.invitations.createInvitation({ emailAddress: addr('revoke'), notify: false });
  await clerk.invitations.revokeInvitation(inv.id);
  const again = await apiError(() => clerk.invitations.revokeInvitation(inv.id));
  assert.equal(again.status, 400);
  assert.equal(again.errors[0].code, 'invitation_already_revoked');
  const unknown = await apiError(() => clerk.invitations.revokeInvitation('inv_unknown'));
  assert.equal(unknown.status, 404);
  assert.equal(unknown.errors[0].code, 'resource_not_found');
});

test('deleteInvitation deletes any status for good', async () => {
  const email = addr('delete');
  const pending = await clerk.invitations.createInvitation({ emailAddress: email, notify: false });
  const deleted = await clerk.invitations.deleteInvitation(pending.id);
  assert.equal(deleted.object, 'invitation');
  assert.equal(deleted.id, pending.id);
  assert.equal(deleted.deleted, true);

  const again = await apiError(() => clerk.invitations.deleteInvitation(pending.id));
  assert.equal(again.status, 404);
  assert.equal(again.errors[0].code, 'resource_not_found');
  const revoke = await apiError(() => clerk.invitations.revokeInvitation(pending.id));
  assert.equal(revoke.status, 404);

  const listed = await clerk.invitations.getInvitationList({ query: pending.id, status: ['pending', 'revoked', 'accepted', 'expired'] });
  assert.equal(listed.totalCount, 0);

  const second = await clerk.invitations.createInvitation({ emailAddress: email, notify: false });
  await clerk.invitations.revokeInvitation(second.id);
  const revokedGone = await clerk.invitations.deleteInvitation(second.id);
  assert.equal(revokedGone.deleted, true);
});

test('a wrong key is a 401', async () => {
  const wrong = createClerkClient({ secretKey: 'sk_test_wrongwrongwrong', apiUrl });
  const err = await apiError(() => wrong.invitations.getInvitationList());
  assert.equal(err.status, 401);
  assert.equal(err.errors[0].code, 'clerk_key_invalid');
});
