// Package bench measures this library side by side with the generated client called directly,
// a minimal hand-written net/http + encoding/json client (the floor) and Clerk's official Go SDK,
// and measures the embedded Clerk, the bulk engine's pacing and the contract suite. It is a
// module of its own so that the library's go.mod never requires the SDK. `make bench` runs it;
// BENCHMARKS.md at the repository's root records the figures.
package bench
