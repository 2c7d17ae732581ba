package netlinkraw

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// These tests use nlctrl too. They shrink the receive buffer and turn the
// length peek off (peekBelow 0) to make the kernel's datagrams larger than
// the buffer, which with the default 32 KiB buffer only a few families'
// messages are.

// wantCut checks that err reports a cut datagram: an *Error with EMSGSIZE.
func wantCut(t *testing.T, what string, err error) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) || !errors.Is(err, unix.EMSGSIZE) || !strings.Contains(e.Message, "was cut") {
		t.Fatalf("%s: %v, want *Error EMSGSIZE saying the datagram was cut", what, err)
	}
}

func TestConnNoPeekByDefault(t *testing.T) {
	c := dialGeneric(t, nil)
	if _, err := c.ResolveFamily(context.Background(), "nlctrl"); err != nil {
		t.Fatal(err)
	}
	before := c.recvCalls.Load()
	if _, err := c.ResolveFamily(context.Background(), "nlctrl"); err != nil {
		t.Fatal(err)
	}
	// One reply and one ACK, one receive call each.
	if got := c.recvCalls.Load() - before; got != 2 {
		t.Errorf("ResolveFamily made %d receive calls, want 2 (no MSG_PEEK)", got)
	}
	dumpFamilies(t, c)
}

// A reply cut short fails the request, never passes for success; the
// buffer grows and the next request works, with nothing left queued.
func TestConnRequestCut(t *testing.T) {
	c := dialGeneric(t, nil)
	c.buf, c.peekBelow = make([]byte, 64), 0
	_, err := c.ResolveFamily(context.Background(), "nlctrl")
	wantCut(t, "ResolveFamily with a 64-byte buffer", err)
	if len(c.buf) <= 64 {
		t.Errorf("buffer still %d bytes after a cut datagram", len(c.buf))
	}
	if n := queued(t, c); n != 0 {
		t.Errorf("%d datagrams left queued, want 0", n)
	}
	f, err := c.ResolveFamily(context.Background(), "nlctrl")
	if err != nil || f.Name != "nlctrl" {
		t.Fatalf("ResolveFamily after growing: %+v, %v", f, err)
	}
}

// The ACK of a failed request, cut in its extended-ACK part, still fails
// the request.
func TestConnRequestCutACK(t *testing.T) {
	c := dialGeneric(t, nil)
	c.buf, c.peekBelow = make([]byte, HeaderLen+4), 0
	_, err := c.ResolveFamily(context.Background(), "nl2tp-nofam")
	if err == nil {
		t.Fatal("ResolveFamily of a missing family with a cut ACK: no error")
	}
	var e *Error
	if !errors.As(err, &e) || e.Err != unix.ENOENT {
		t.Errorf("ResolveFamily of a missing family with a cut ACK: %v, want *Error ENOENT", err)
	}
	if n := queued(t, c); n != 0 {
		t.Errorf("%d datagrams left queued, want 0", n)
	}
}

// A dump whose datagrams are cut fails and is read to its end: the next
// dump neither sees its messages nor fails with EBUSY.
func TestConnDumpCut(t *testing.T) {
	c := dialGeneric(t, nil)
	c.buf, c.peekBelow = make([]byte, 256), 0
	var e Encoder
	m := e.BeginMessage(GenlIDCtrl, 0, 0, 0)
	e.GenlHeader(ctrlCmdGetFamily, ctrlVersion)
	e.EndMessage(m)
	msg, err := e.Encoded()
	if err != nil {
		t.Fatal(err)
	}
	err = c.Dump(context.Background(), msg, nil)
	wantCut(t, "Dump with a 256-byte buffer", err)
	if c.dumpPending {
		// The next exchange finishes it; it must not hang.
		t.Log("dump left pending")
	}
	fams := dumpFamilies(t, c)
	if len(fams) == 0 {
		t.Error("no families in the dump after the cut one")
	}
	if n := queued(t, c); n != 0 {
		t.Errorf("%d datagrams left queued, want 0", n)
	}
}

// Receive delivers the messages that arrived whole and reports the rest
// as lost.
func TestConnReceiveCut(t *testing.T) {
	c := dialGeneric(t, nil)
	c.buf, c.peekBelow = make([]byte, 64), 0
	req := getFamily("nlctrl")
	if _, err := c.prepare("test", req, FlagRequest|FlagAck); err != nil {
		t.Fatal(err)
	}
	if err := c.send(req); err != nil {
		t.Fatal(err)
	}
	calls := 0
	err := c.Receive(context.Background(), func(Header, []byte) error { calls++; return nil })
	if !errors.Is(err, ErrEventsLost) || !errors.Is(err, unix.EMSGSIZE) {
		t.Fatalf("Receive of a cut reply: %v, want ErrEventsLost and EMSGSIZE", err)
	}
	if calls != 0 {
		t.Errorf("fn called %d times for a datagram whose only message was cut", calls)
	}
	// The ACK follows, whole.
	err = c.Receive(context.Background(), func(h Header, _ []byte) error {
		calls++
		if h.Type != TypeError {
			return fmt.Errorf("message type %d, want NLMSG_ERROR", h.Type)
		}
		return nil
	})
	if err != nil || calls != 1 {
		t.Errorf("Receive of the ACK: %v, %d messages; want no error, 1", err, calls)
	}
}

// Batch receives many ACKs per receive call.
func TestConnBatchManyPerReceive(t *testing.T) {
	c := dialGeneric(t, nil)
	const n = 500
	var msgs []byte
	for range n {
		msgs = AppendGetFamily(msgs, "nl2tp-missing")
	}
	before, sends := c.recvCalls.Load(), c.sendCalls.Load()
	results, err := c.Batch(context.Background(), msgs)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range results {
		if !errors.Is(r, unix.ENOENT) {
			t.Fatalf("result %d: %v, want ENOENT", i, r)
		}
	}
	recvs, writes := c.recvCalls.Load()-before, c.sendCalls.Load()-sends
	t.Logf("%d requests: %d writes, %d receive calls", n, writes, recvs)
	// One recvmmsg call takes up to mmsgCount datagrams; the last call of
	// a write may find fewer, and a reply datagram may lead to one more.
	if max := int(writes) + 2*n/mmsgCount; int(recvs) > max {
		t.Errorf("%d receive calls for %d ACKs in %d writes, want at most %d", recvs, n, writes, max)
	}
}

// With slots too small for the datagrams, the ACKs still come out right:
// an ACK cut short keeps its errno, and replies (which Batch discards) may
// be cut.
func TestConnBatchCutSlots(t *testing.T) {
	c := dialGeneric(t, nil)
	c.mmSlot = HeaderLen + 4 + 4
	msgs, want := familyBatch(100, 3)
	results, err := c.Batch(context.Background(), msgs)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range results {
		if (want[i] == nil) != (r == nil) || (want[i] != nil && !errors.Is(r, want[i])) {
			t.Errorf("result %d: %v, want %v", i, r, want[i])
		}
	}
	if n := queued(t, c); n != 0 {
		t.Errorf("%d datagrams left queued, want 0", n)
	}
}

// A dump inside a batch whose datagrams are cut: its NLMSG_DONE (which
// ends it in a batch) may be lost, which is reported, and the batch does
// not hang.
func TestConnBatchCutDump(t *testing.T) {
	c := dialGeneric(t, nil)
	c.mmSlot = 64
	var e Encoder
	m := e.BeginMessage(GenlIDCtrl, FlagDump, 0, 0)
	e.GenlHeader(ctrlCmdGetFamily, ctrlVersion)
	e.EndMessage(m)
	msgs, err := e.Encoded()
	if err != nil {
		t.Fatal(err)
	}
	msgs = AppendGetFamily(msgs, "nl2tp-missing")
	results, err := c.Batch(context.Background(), msgs)
	if err != nil {
		t.Fatal(err)
	}
	if r := results[0]; r != nil && !errors.Is(r, unix.EMSGSIZE) {
		t.Errorf("dump result: %v, want nil or EMSGSIZE", r)
	}
	if r := results[1]; !errors.Is(r, unix.ENOENT) && !errors.Is(r, unix.EMSGSIZE) {
		t.Errorf("second result: %v, want ENOENT (or EMSGSIZE once the batch gave up)", r)
	}
	t.Logf("results: %v", results)
	if _, err := c.ResolveFamily(context.Background(), "nlctrl"); err != nil {
		t.Errorf("ResolveFamily after the batch: %v", err)
	}
}

// A cut datagram that is not the exchange's (the reply to an abandoned
// request) is dropped like any stale reply, and does not fail the
// exchange.
func TestConnStaleCutDropped(t *testing.T) {
	c := dialGeneric(t, nil)
	c.buf, c.peekBelow = make([]byte, 64), 0
	stale := getFamily("nlctrl")
	if _, err := c.prepare("test", stale, FlagRequest|FlagAck); err != nil {
		t.Fatal(err)
	}
	if err := c.send(stale); err != nil {
		t.Fatal(err)
	}
	// The stale reply is cut; the buffer grows, so the new reply fits.
	f, err := c.ResolveFamily(context.Background(), "nlctrl")
	if err != nil || f.Name != "nlctrl" {
		t.Fatalf("ResolveFamily after a cut stale reply: %+v, %v", f, err)
	}
	if n := queued(t, c); n != 0 {
		t.Errorf("%d datagrams left queued, want 0", n)
	}
}
