package netlinkraw

import (
	"errors"
	"strings"
	"syscall"
	"testing"
)

// FuzzBatchExchange feeds arbitrary datagrams to what Batch does with the
// ACKs it receives (batchExchange.feed, or ackCut for an ACK its receive
// slot cut short) and to what Request does with a datagram cut short
// (exchange.cutACK, exchange.feed). Properties: no panic; only messages
// i..j-1 of the batch are ever marked answered, each answer is counted
// once (pending is the number still open) and only an answered message
// has a result; every error names the operation, and a kernel error keeps
// its errno.
func FuzzBatchExchange(f *testing.F) {
	three := append(append(append([]byte{}, wireAck...), wireENOENT...), wireExtAck...)
	f.Add(wireAck, uint8(0), uint8(8), false)
	f.Add(three, uint8(0), uint8(8), false)
	f.Add(three, uint8(2), uint8(3), false)
	f.Add(wireExtAck[:40], uint8(0), uint8(8), true)
	f.Add(wireENOENT[:HeaderLen+4], uint8(1), uint8(2), true)
	f.Add(sampleDump(2), uint8(1), uint8(4), false)
	f.Fuzz(func(t *testing.T, in []byte, lo, hi uint8, cut bool) {
		const n = 8
		i, j := int(lo%n), int(hi%(n+1))
		if j < i {
			i, j = j, i
		}
		x := batchExchange{op: "fuzz", base: 1, port: 0x39f2, i: i, j: j,
			results: make([]error, n), done: make([]bool, n), pending: j - i, partial: cut}
		h, ok := firstHeader(in)
		if cut && ok && h.Type == TypeError && h.Flags&FlagMulti == 0 && len(in) >= HeaderLen+4 {
			x.ackCut(h, in[HeaderLen:])
		} else if err := x.feed(in); err != nil {
			checkFuzzErr(t, "batch feed", err)
		}
		open := 0
		for k := range n {
			inside := i <= k && k < j
			if x.done[k] && !inside {
				t.Errorf("message %d answered, outside %d..%d", k, i, j-1)
			}
			if !x.done[k] && x.results[k] != nil {
				t.Errorf("message %d has result %v but no answer", k, x.results[k])
			}
			if inside && !x.done[k] {
				open++
			}
			if r := x.results[k]; r != nil {
				checkFuzzErr(t, "batch result", r)
			}
		}
		if open != x.pending {
			t.Errorf("pending %d, but %d messages open", x.pending, open)
		}

		r := exchange{op: "fuzz", seq: 1, port: 0x39f2, partial: cut, fn: func(Header, []byte) error { return nil }}
		if done, err := r.cutACK(0, in); done && err != nil {
			checkFuzzErr(t, "cutACK", err)
		} else if !done && err != nil {
			t.Errorf("cutACK not done, with error %v", err)
		}
		if done, err := r.feed(in); err != nil {
			if !done {
				t.Errorf("feed not done, with error %v", err)
			}
			checkFuzzErr(t, "feed", err)
		}
	})
}

// checkFuzzErr checks that an exchange's error names the operation, and
// that an *Error carries a positive errno.
func checkFuzzErr(t *testing.T, what string, err error) {
	t.Helper()
	if !strings.HasPrefix(err.Error(), "netlinkraw: fuzz: ") {
		t.Errorf("%s: error %q does not name the operation", what, err)
	}
	var e *Error
	if errors.As(err, &e) {
		var errno syscall.Errno
		if !errors.As(err, &errno) || errno == 0 {
			t.Errorf("%s: %v carries no errno", what, err)
		}
	}
}
