package fakeclerk

import (
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// allocated returns the bytes f allocates.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestCheckingABodyCostsASmallMultipleOfItsSize: a body within the limit, of a million bytes of
// unknown fields, or of the most items, costs the server a few times its size, not tens.
func TestCheckingABodyCostsASmallMultipleOfItsSize(t *testing.T) {
	var fields strings.Builder
	fields.WriteString(`{"email_address":"a@example.com"`)
	for i := 0; fields.Len() < DefaultMaxBodyBytes-20; i++ {
		fmt.Fprintf(&fields, `,"f%07d":1`, i)
	}
	fields.WriteString("}")
	item := `{"email_address":"a@example.com","public_metadata":{"k":"` + strings.Repeat("x", 1000) + `"}}`
	for name, body := range map[string]struct {
		raw  string
		bulk bool
	}{
		"unknown fields":        {fields.String(), false},
		"a bulk of 1,000 items": {"[" + strings.Repeat(item+",", 999) + item + "]", true},
	} {
		var answer *apiError
		n := allocated(func() { answer = checkCreateBody([]byte(body.raw), body.bulk) })
		assert.NotNil(t, answer, name)
		assert.Less(t, n, uint64(4*len(body.raw)), "%s: %d bytes allocated for a %d-byte body", name, n, len(body.raw))
	}
}
