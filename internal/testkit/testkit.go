// Package testkit holds the helpers this module's tests share: Main, which every package's
// TestMain calls to fail its tests when a goroutine outlives them, SyncBuffer, and
// CheckNilContext.
package testkit

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"go.uber.org/goleak"
)

// Main runs the tests and the check (see Run) and exits with their status.
func Main(m *testing.M) { os.Exit(Run(m)) }

// Run runs the tests, then checks that every goroutine they started has ended, and returns the
// exit status. Idle keep-alive connections of http.DefaultTransport are closed first: the pool
// keeps their goroutines by design, and they belong to no call.
func Run(m *testing.M) int {
	code := m.Run()
	if code == 0 {
		http.DefaultTransport.(*http.Transport).CloseIdleConnections()
		if err := goleak.Find(); err != nil {
			fmt.Fprintf(os.Stderr, "testkit: goroutines outlived the tests: %v\n", err)
			code = 1
		}
	}
	return code
}

// SyncBuffer is a bytes.Buffer that is safe to write from several goroutines and read meanwhile
// (a logger's output, a server's).
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// CheckNilContext calls every exported method of v whose first parameter is a context.Context
// with a nil one, and fails t unless each returns an error naming the nil context (or, for a
// method returning an iterator, yields one) without panicking. The other arguments are taken
// from values by type, each value of a type in turn (so that one of them gets past the method's
// checks of its other arguments); a type without values gets its zero value.
func CheckNilContext(t *testing.T, v any, values ...any) {
	t.Helper()
	ctxType := reflect.TypeFor[context.Context]()
	byType := map[reflect.Type][]reflect.Value{}
	for _, x := range values {
		byType[reflect.TypeOf(x)] = append(byType[reflect.TypeOf(x)], reflect.ValueOf(x))
	}
	rv := reflect.ValueOf(v)
	checked := 0
	for i := range rv.NumMethod() {
		name, m := rv.Type().Method(i).Name, rv.Method(i)
		mt := m.Type()
		if mt.NumIn() == 0 || mt.In(0) != ctxType {
			continue
		}
		checked++
		tries := 1
		for j := 1; j < mt.NumIn(); j++ {
			tries = max(tries, len(byType[mt.In(j)]))
		}
		var errs []string
		for try := range tries {
			args := []reflect.Value{reflect.Zero(ctxType)}
			for j := 1; j < mt.NumIn(); j++ {
				if mt.IsVariadic() && j == mt.NumIn()-1 {
					break
				}
				vs := byType[mt.In(j)]
				if len(vs) == 0 {
					args = append(args, reflect.Zero(mt.In(j)))
					continue
				}
				args = append(args, vs[try%len(vs)])
			}
			if err := callForError(m, args); err != nil {
				errs = append(errs, err.Error())
			} else {
				errs = append(errs, "")
			}
		}
		if !slices.ContainsFunc(errs, func(e string) bool { return strings.Contains(e, "nil context") }) {
			t.Errorf("%s with a nil context: got errors %q, want one naming the nil context", name, errs)
		}
	}
	if checked == 0 {
		t.Errorf("%T has no method taking a context", v)
	}
}

// callForError calls m and returns the error it returned, or the first its iterator (an
// iter.Seq2[T, error]) yielded.
func callForError(m reflect.Value, args []reflect.Value) error {
	out := m.Call(args)
	last := out[len(out)-1]
	if last.Type() == reflect.TypeFor[error]() {
		err, _ := last.Interface().(error)
		return err
	}
	if last.Kind() != reflect.Func {
		return nil
	}
	var first error
	yield := reflect.MakeFunc(last.Type().In(0), func(in []reflect.Value) []reflect.Value {
		first, _ = in[len(in)-1].Interface().(error)
		return []reflect.Value{reflect.ValueOf(false)}
	})
	last.Call([]reflect.Value{yield})
	return first
}
