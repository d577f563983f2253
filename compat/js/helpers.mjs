// What the Node tests of compat/js share.
import assert from 'node:assert/strict';

// apiError returns the SDK's error for a call that must fail.
export async function apiError(call) {
  try {
    await call();
  } catch (err) {
    assert.ok(Array.isArray(err.errors) && err.errors.length > 0, `not a Clerk API error: ${err}`);
    return err;
  }
  assert.fail('the call succeeded');
}
