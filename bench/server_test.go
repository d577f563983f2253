package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clerk-invitations/clerk-invitations-go/internal/fakeclerk"
	"github.com/clerk-invitations/clerk-invitations-go/wrapper/invitations"
	"github.com/clerk-invitations/clerk-invitations-go/wrapper/invitations/invitationstest"
)

// seedHandler fills h with n pending invitations through bulk creates, in process.
func seedHandler(b *testing.B, h http.Handler, key string, n int) {
	b.Helper()
	seed(b, func(req *http.Request) (int, string) {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		return w.Code, w.Body.String()
	}, "", key, n)
}

// seedURL fills the server at url with n pending invitations through bulk creates.
func seedURL(b *testing.B, url, key string, n int) {
	b.Helper()
	seed(b, func(req *http.Request) (int, string) {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(raw)
	}, url, key, n)
}

func seed(b *testing.B, do func(*http.Request) (int, string), url, key string, n int) {
	b.Helper()
	if url == "" {
		url = "/v1"
	}
	var body bytes.Buffer
	for done := 0; done < n; {
		body.Reset()
		body.WriteByte('[')
		batch := min(10, n-done)
		for i := range batch {
			if i > 0 {
				body.WriteByte(',')
			}
			fmt.Fprintf(&body, `{"email_address":"seed%d@example.com","notify":false,"public_metadata":{"role":"member"}}`, done+i)
		}
		body.WriteByte(']')
		req, err := http.NewRequest(http.MethodPost, url+"/invitations/bulk", bytes.NewReader(body.Bytes()))
		if err != nil {
			b.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", "application/json")
		if code, answer := do(req); code != http.StatusOK {
			b.Fatalf("seeding: %d %s", code, answer)
		}
		done += batch
	}
}

// load sends b.N requests from conc goroutines over loopback and reports requests per second
// and the p50 and p99 latencies. next(i) builds request i; check verifies its answer.
func load(b *testing.B, conc int, next func(i int) *http.Request, check func(status int, body []byte) error) {
	b.Helper()
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: conc, MaxConnsPerHost: conc}}
	defer hc.CloseIdleConnections()
	lat := make([]time.Duration, b.N)
	var counter atomic.Int64
	var failed atomic.Pointer[error]
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := bytes.NewBuffer(make([]byte, 0, 1<<16))
			for {
				i := int(counter.Add(1) - 1)
				if i >= b.N || failed.Load() != nil {
					return
				}
				t0 := time.Now()
				resp, err := hc.Do(next(i))
				if err == nil {
					buf.Reset()
					_, err = buf.ReadFrom(resp.Body)
					resp.Body.Close()
					if err == nil {
						err = check(resp.StatusCode, buf.Bytes())
					}
				}
				lat[i] = time.Since(t0)
				if err != nil {
					failed.CompareAndSwap(nil, &err)
					return
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if e := failed.Load(); e != nil {
		b.Fatal(*e)
	}
	slices.Sort(lat)
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "req/s")
	b.ReportMetric(float64(lat[b.N/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[min(b.N-1, b.N*99/100)].Microseconds())/1000, "p99-ms")
	b.ReportMetric(0, "ns/op") // the figures above say it; per-op time over goroutines misleads
}

// BenchmarkServer measures the embedded Clerk over loopback: creates, and lists of 500
// (paginated, newest first, from offset 1,000) with 5,000 and 50,000 stored, at 1 and 64
// concurrent clients. op=list500 is unfiltered; op=list500-pending filters by status, which
// makes the server visit every stored invitation to count the matches.
// server=engine is the server alone, as `clerk-invitations serve` runs it; server=invitationstest
// adds the openapi.yaml validator that checks every request and answer, as users' tests get it.
func BenchmarkServer(b *testing.B) {
	type scenario struct {
		op     string
		stored int
	}
	for _, kind := range []string{"engine", "invitationstest"} {
		for _, sc := range []scenario{{"create", 0}, {"list500", 5000}, {"list500", 50000}, {"list500-pending", 5000}, {"list500-pending", 50000}} {
			if kind == "invitationstest" && (sc.stored > 5000 || sc.op == "list500-pending") {
				continue
			}
			for _, conc := range []int{1, 64} {
				b.Run(fmt.Sprintf("server=%s/op=%s/stored=%d/conc=%d", kind, sc.op, sc.stored, conc), func(b *testing.B) {
					url, key := startServer(b, kind, sc.stored)
					if sc.op == "create" {
						var seq atomic.Int64
						load(b, conc, func(int) *http.Request {
							body := `{"email_address":"c` + strconv.FormatInt(seq.Add(1), 10) + `@example.com","notify":false}`
							req, _ := http.NewRequest(http.MethodPost, url+"/invitations", strings.NewReader(body))
							req.Header.Set("Authorization", "Bearer "+key)
							req.Header.Set("Content-Type", "application/json")
							return req
						}, func(status int, body []byte) error {
							if status != http.StatusOK || !bytes.Contains(body, []byte(`"status":"pending"`)) {
								return fmt.Errorf("create: %d %.200s", status, body)
							}
							return nil
						})
						return
					}
					query := "?paginated=true&limit=500&offset=1000"
					if sc.op == "list500-pending" {
						query += "&status=pending"
					}
					load(b, conc, func(int) *http.Request {
						req, _ := http.NewRequest(http.MethodGet, url+"/invitations"+query, nil)
						req.Header.Set("Authorization", "Bearer "+key)
						return req
					}, func(status int, body []byte) error {
						if status != http.StatusOK || bytes.Count(body, []byte(`"object":"invitation"`)) != 500 ||
							!bytes.HasSuffix(bytes.TrimSpace(body), []byte(`"total_count":`+strconv.Itoa(sc.stored)+"}")) {
							return fmt.Errorf("list: %d %.200s", status, body)
						}
						return nil
					})
				})
			}
		}
	}
}

// startServer starts a server of the kind holding stored pending invitations and returns its
// base URL and key.
func startServer(b *testing.B, kind string, stored int) (url, key string) {
	b.Helper()
	if kind == "engine" {
		fake := fakeclerk.New(fakeclerk.Options{SecretKey: benchKey})
		seedHandler(b, fake.Handler(), benchKey, stored)
		srv := httptest.NewServer(fake.Handler())
		b.Cleanup(srv.Close)
		return srv.URL + "/v1", benchKey
	}
	srv := invitationstest.NewServer(b, invitationstest.WithSecretKey(benchKey))
	seedURL(b, srv.URL, srv.SecretKey, stored)
	return srv.URL, srv.SecretKey
}

// BenchmarkNewServer measures starting and closing invitationstest.NewServer, as a test
// suite does for each test.
func BenchmarkNewServer(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		srv, err := invitationstest.Start()
		if err != nil {
			b.Fatal(err)
		}
		if _, err := srv.Client.List(context.Background(), invitations.ListParams{}); err != nil {
			b.Fatal(err)
		}
		if err := srv.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStoredMemory measures the live heap the embedded Clerk holds per 100,000 stored
// invitations (each with a one-key public_metadata), after a garbage collection.
func BenchmarkStoredMemory(b *testing.B) {
	const n = 100_000
	for b.Loop() {
		before := liveHeap()
		fake := fakeclerk.New(fakeclerk.Options{SecretKey: benchKey})
		seedHandler(b, fake.Handler(), benchKey, n)
		// Sorted views are part of what a server holds once lists by email have run.
		req := httptest.NewRequest(http.MethodGet, "/v1/invitations?order_by=email_address", nil)
		req.Header.Set("Authorization", "Bearer "+benchKey)
		fake.Handler().ServeHTTP(httptest.NewRecorder(), req)
		after := liveHeap()
		if fake.Len() != n {
			b.Fatalf("holds %d", fake.Len())
		}
		b.ReportMetric(float64(after-before)/(1<<20), "MiB/100k")
		b.ReportMetric(0, "ns/op")
		runtime.KeepAlive(fake)
	}
}

func liveHeap() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}
