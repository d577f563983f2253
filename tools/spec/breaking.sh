#!/usr/bin/env bash
# make spec-breaking BASE=<git ref>: what the working tree breaks for users since BASE.
#
# - openapi.yaml: oasdiff's breaking-change check of BASE's document against the working tree's
#   (errors fail; warnings are printed).
# - The exported Go API of the packages users import (wrapper/invitations, its invitationstest, wrapper/lifecycle):
#   apidiff's incompatible changes, BASE's export data against the working tree's packages.
#
# Both tools are pinned in tools/spec/go.mod. A breaking change fails the check unless
# invitations.Version says so: a new major version, or, below 1.0.0, a new minor one (semver).
set -euo pipefail

base=${1:-}
if [ -z "$base" ]; then
	echo "usage: make spec-breaking BASE=<git ref>" >&2
	exit 2
fi
GO=${GO:-go}
root=$(git rev-parse --show-toplevel)
cd "$root"
if ! git rev-parse --verify --quiet "$base^{commit}" >/dev/null; then
	echo "spec-breaking: $base is not a commit here" >&2
	exit 2
fi

work=$(mktemp -d)
cleanup() {
	git worktree remove --force "$work/base" >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT
git worktree add --quiet --detach "$work/base" "$base"
(cd tools/spec && "$GO" build -o "$work/apidiff" golang.org/x/exp/cmd/apidiff && "$GO" build -o "$work/oasdiff" github.com/oasdiff/oasdiff)

breaking=0
echo "== openapi.yaml, $base -> working tree"
if ! "$work/oasdiff" breaking --fail-on ERR "$work/base/openapi.yaml" openapi.yaml; then
	breaking=1
fi

module=github.com/clerk-invitations/clerk-invitations-go
for pkg in wrapper/invitations wrapper/invitations/invitationstest wrapper/lifecycle; do
	echo "== $module/$pkg, $base -> working tree"
	if [ ! -d "$work/base/$pkg" ]; then
		echo "not in $base: nothing to compare"
		continue
	fi
	(cd "$work/base" && "$work/apidiff" -w "$work/old.api" "$module/$pkg")
	out=$("$work/apidiff" -incompatible "$work/old.api" "$module/$pkg")
	if [ -n "$out" ]; then
		echo "$out"
		breaking=1
	else
		echo "no incompatible change"
	fi
done

version() { sed -n 's/^[[:space:]]*Version[[:space:]]*= "\([^"]*\)".*/\1/p' "$1/wrapper/invitations/options.go" 2>/dev/null | head -1; }
old=$(version "$work/base")
new=$(version .)
if [ "$breaking" = 0 ]; then
	echo "== nothing breaks since $base"
	exit 0
fi
# A breaking change is allowed when the version announces it.
major() { echo "${1%%.*}"; }
minor() { local rest=${1#*.}; echo "${rest%%.*}"; }
if [ -n "$old" ] && [ -n "$new" ] && { [ "$(major "$new")" -gt "$(major "$old")" ] ||
	{ [ "$(major "$new")" = 0 ] && [ "$(major "$old")" = 0 ] && [ "$(minor "$new")" -gt "$(minor "$old")" ]; }; }; then
	echo "== breaking changes since $base, announced by the version: $old -> $new (say so in CHANGELOG.md)"
	exit 0
fi
echo "== breaking changes since $base, and invitations.Version (${old:-?} -> ${new:-?}) does not announce them" >&2
exit 1
