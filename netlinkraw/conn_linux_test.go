package netlinkraw

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"
)

// These tests talk to the host kernel's generic netlink controller (nlctrl),
// which needs no privilege.

func dialGeneric(t testing.TB, cfg *Config) *Conn {
	t.Helper()
	c, err := Dial(unix.NETLINK_GENERIC, cfg)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// getFamily builds a CTRL_CMD_GETFAMILY request for name.
func getFamily(name string) []byte { return AppendGetFamily(nil, name) }

// dumpFamilies dumps every generic netlink family.
func dumpFamilies(t *testing.T, c *Conn) []Family {
	t.Helper()
	var e Encoder
	m := e.BeginMessage(GenlIDCtrl, 0, 0, 0)
	e.GenlHeader(ctrlCmdGetFamily, ctrlVersion)
	e.EndMessage(m)
	msg, err := e.Encoded()
	if err != nil {
		t.Fatal(err)
	}
	var fams []Family
	err = c.Dump(context.Background(), msg, func(h Header, payload []byte) error {
		if h.Type != GenlIDCtrl {
			return fmt.Errorf("message type %d, want %d", h.Type, GenlIDCtrl)
		}
		if h.Flags&FlagMulti == 0 {
			return fmt.Errorf("dump message without NLM_F_MULTI: flags %#x", h.Flags)
		}
		f, err := ParseFamily(payload)
		if err != nil {
			return err
		}
		fams = append(fams, f)
		return nil
	})
	if err != nil {
		t.Fatalf("Dump: %v", err)
	}
	return fams
}

func TestConnResolveNlctrl(t *testing.T) {
	c := dialGeneric(t, nil)
	if c.PortID() == 0 {
		t.Error("PortID() = 0, want the kernel-assigned port ID")
	}
	f, err := c.ResolveFamily(context.Background(), "nlctrl")
	if err != nil {
		t.Fatalf("ResolveFamily: %v", err)
	}
	want := Family{ID: GenlIDCtrl, Name: "nlctrl", Version: 2, Groups: []MulticastGroup{{Name: "notify", ID: GenlIDCtrl}}}
	if diff := cmp.Diff(want, f); diff != "" {
		t.Errorf("unexpected family (-want +got):\n%s", diff)
	}
}

func TestConnDumpFamilies(t *testing.T) {
	c := dialGeneric(t, nil)
	fams := dumpFamilies(t, c)
	if len(fams) < 2 {
		t.Fatalf("dump returned %d families, want at least 2", len(fams))
	}
	seen := map[uint16]string{}
	for _, f := range fams {
		if prev, ok := seen[f.ID]; ok {
			t.Errorf("family ID %d reported twice (%q and %q)", f.ID, prev, f.Name)
		}
		seen[f.ID] = f.Name
		if f.Name == "" {
			t.Errorf("family %d has no name", f.ID)
		}
	}
	if seen[GenlIDCtrl] != "nlctrl" {
		t.Errorf("family %d is %q, want nlctrl", GenlIDCtrl, seen[GenlIDCtrl])
	}
	// Every family resolves by name to what the dump said.
	ctx := context.Background()
	for _, want := range fams {
		got, err := c.ResolveFamily(ctx, want.Name)
		if err != nil {
			t.Errorf("ResolveFamily(%q): %v", want.Name, err)
			continue
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("ResolveFamily(%q) differs from the dump (-dump +resolve):\n%s", want.Name, diff)
		}
	}
	// The socket is clean afterwards: a second dump gives the same families.
	if diff := cmp.Diff(fams, dumpFamilies(t, c)); diff != "" {
		t.Errorf("second dump differs (-first +second):\n%s", diff)
	}
}

func TestConnUnknownFamily(t *testing.T) {
	c := dialGeneric(t, nil)
	_, err := c.ResolveFamily(context.Background(), "nl2tp-nofamily")
	if !errors.Is(err, unix.ENOENT) {
		t.Fatalf("ResolveFamily error %v, want ENOENT", err)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("errors.Is(%v, fs.ErrNotExist) = false", err)
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %T is not an *Error", err)
	}
	if e.Seq == 0 {
		t.Error("Error.Seq = 0, want the request's sequence number")
	}
	if want := `netlinkraw: resolve family "nl2tp-nofamily": no such file or directory`; err.Error() != want {
		t.Errorf("error text %q, want %q", err.Error(), want)
	}
	// The Conn still works.
	if _, err := c.ResolveFamily(context.Background(), "nlctrl"); err != nil {
		t.Errorf("ResolveFamily after an error: %v", err)
	}
}

// badRequest is a GETFAMILY whose CTRL_ATTR_FAMILY_ID is a u8 instead of a
// u16: the policy check fails with ERANGE and an extended ACK.
func badRequest() []byte {
	var e Encoder
	m := e.BeginMessage(GenlIDCtrl, 0, 0, 0)
	e.GenlHeader(ctrlCmdGetFamily, ctrlVersion)
	e.Uint8(ctrlAttrFamilyID, 1)
	e.EndMessage(m)
	b, _ := e.Encoded()
	return b
}

func TestConnExtAck(t *testing.T) {
	c := dialGeneric(t, nil)
	err := c.Request(context.Background(), badRequest(), nil)
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("Request error %v (%T), want an *Error", err, err)
	}
	if !errors.Is(err, unix.ERANGE) {
		t.Errorf("error %v, want ERANGE", err)
	}
	if e.Message == "" {
		t.Fatalf("no extended-ACK message in %v", err)
	}
	// The bad attribute follows the netlink and generic netlink headers.
	if e.Offset != HeaderLen+GenlHeaderLen {
		t.Errorf("Offset = %d, want %d", e.Offset, HeaderLen+GenlHeaderLen)
	}
	if want := "netlinkraw: request: numerical result out of range: " + e.Message + " (offset 20)"; err.Error() != want {
		t.Errorf("error text %q, want %q", err.Error(), want)
	}
	t.Logf("kernel said: %v", err)

	// Without extended ACKs the same request gives a bare errno.
	c2 := dialGeneric(t, &Config{DisableExtAck: true})
	err = c2.Request(context.Background(), badRequest(), nil)
	if !errors.As(err, &e) || !errors.Is(err, unix.ERANGE) {
		t.Fatalf("Request without ext ack: %v, want *Error ERANGE", err)
	}
	if e.Message != "" || e.Offset != 0 {
		t.Errorf("without ext ack got Message %q Offset %d, want none", e.Message, e.Offset)
	}
}

func TestConnRequestReplies(t *testing.T) {
	c := dialGeneric(t, nil)
	var (
		n   int
		seq uint32
	)
	err := c.Request(context.Background(), getFamily("nlctrl"), func(h Header, payload []byte) error {
		n++
		seq = h.Seq
		if h.PortID != c.PortID() {
			t.Errorf("reply port ID %d, want %d", h.PortID, c.PortID())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 || seq == 0 {
		t.Errorf("fn called %d times (seq %d), want once with a sequence number", n, seq)
	}
	// An error from fn comes back, and the ACK is consumed all the same.
	errStop := errors.New("stop")
	if err := c.Request(context.Background(), getFamily("nlctrl"), func(Header, []byte) error { return errStop }); err != errStop {
		t.Errorf("Request with failing fn: %v, want %v", err, errStop)
	}
	if got := queued(t, c); got != 0 {
		t.Errorf("%d datagrams left queued after Request, want 0", got)
	}
}

// queued counts the datagrams waiting on c's socket, consuming them.
func queued(t *testing.T, c *Conn) int {
	t.Helper()
	n := 0
	for {
		b, _, err := c.recv(false)
		if err != nil {
			t.Fatalf("recv: %v", err)
		}
		if b == nil {
			return n
		}
		n++
	}
}

// A reply to an abandoned request must not be taken for the reply to the
// next one.
func TestConnStaleReplyDropped(t *testing.T) {
	c := dialGeneric(t, nil)
	// Send a request that fails, as if its caller had given up before
	// reading the answer: its ENOENT stays queued.
	stale := getFamily("nl2tp-nofamily")
	if _, err := c.prepare("test", stale, FlagRequest|FlagAck); err != nil {
		t.Fatal(err)
	}
	if err := c.send(stale); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ResolveFamily(context.Background(), "nlctrl"); err != nil {
		t.Fatalf("ResolveFamily after a stale error ACK: %v", err)
	}
	if got := queued(t, c); got != 0 {
		t.Errorf("%d datagrams left queued, want 0", got)
	}
}

// familyBatch returns n GETFAMILY requests, for nlctrl but every
// every-th (starting at every/2) for a family that does not exist, and the
// error each should get.
func familyBatch(n, every int) (msgs []byte, want []error) {
	want = make([]error, n)
	for i := range n {
		name := "nlctrl"
		if i%every == every/2 {
			name = fmt.Sprintf("nl2tp-miss-%d", i)
			want[i] = unix.ENOENT
		}
		msgs = AppendGetFamily(msgs, name)
	}
	return msgs, want
}

func TestConnBatch(t *testing.T) {
	c := dialGeneric(t, nil)
	const n = 500
	msgs, want := familyBatch(n, 7)
	before := c.sendCalls.Load()
	results, err := c.Batch(context.Background(), msgs)
	if err != nil {
		t.Fatalf("Batch: %v", err)
	}
	calls := c.sendCalls.Load() - before
	if len(results) != n {
		t.Fatalf("Batch returned %d results, want %d", len(results), n)
	}
	for i, got := range results {
		if want[i] == nil {
			if got != nil {
				t.Errorf("result %d: %v, want nil", i, got)
			}
			continue
		}
		var e *Error
		if !errors.As(got, &e) || !errors.Is(got, unix.ENOENT) {
			t.Errorf("result %d: %v, want *Error ENOENT", i, got)
			continue
		}
		if wantSeq := binaryHeader(t, msgs, i).Seq; e.Seq != wantSeq {
			t.Errorf("result %d: Seq %d, want %d", i, e.Seq, wantSeq)
		}
	}
	t.Logf("%d requests in %d write calls", n, calls)
	if calls > n/10 {
		t.Errorf("batch of %d used %d write calls, want at most %d", n, calls, n/10)
	}
	if got := queued(t, c); got != 0 {
		t.Errorf("%d datagrams left queued after Batch, want 0", got)
	}
	// The Conn works afterwards.
	if _, err := c.ResolveFamily(context.Background(), "nlctrl"); err != nil {
		t.Errorf("ResolveFamily after Batch: %v", err)
	}
}

// binaryHeader returns the header of message i in msgs.
func binaryHeader(t *testing.T, msgs []byte, i int) Header {
	t.Helper()
	var d MessageDecoder
	d.Reset(msgs)
	for k := 0; d.Next(); k++ {
		if k == i {
			return d.Header()
		}
	}
	t.Fatalf("no message %d: %v", i, d.Err())
	return Header{}
}

func TestConnBatchEmptyAndMalformed(t *testing.T) {
	c := dialGeneric(t, nil)
	results, err := c.Batch(context.Background(), nil)
	if err != nil || len(results) != 0 {
		t.Errorf("Batch(nil) = %v, %v; want no results, no error", results, err)
	}
	msgs := AppendGetFamily(nil, "nlctrl")
	if _, err := c.Batch(context.Background(), msgs[:len(msgs)-4]); err == nil {
		t.Error("Batch of a truncated message: no error")
	}
}

// The ACKs of a batch that overflows the receive buffer are reported as
// lost, never shifted onto other requests.
func TestConnBatchSmallReceiveBuffer(t *testing.T) {
	c := dialGeneric(t, &Config{ReceiveBufferSize: 4096})
	c.batchEst = 64 // pretend replies are tiny, so the first writes overflow
	const n = 200
	var msgs []byte
	for i := range n {
		name := "nlctrl"
		if i%2 == 1 {
			name = "nl2tp-missing"
		}
		msgs = AppendGetFamily(msgs, name)
	}
	results, err := c.Batch(context.Background(), msgs)
	if err != nil {
		t.Fatalf("Batch: %v", err)
	}
	lost := 0
	for i, got := range results {
		var e *Error
		switch {
		case errors.As(got, &e) && e.Err == unix.ENOBUFS:
			lost++
		case i%2 == 0 && got != nil:
			t.Errorf("result %d: %v, want nil or lost", i, got)
		case i%2 == 1 && !errors.Is(got, unix.ENOENT):
			t.Errorf("result %d: %v, want ENOENT or lost", i, got)
		}
	}
	t.Logf("%d of %d ACKs lost; estimate now %d", lost, n, c.batchEst)
	if lost == 0 {
		t.Error("no ACK lost with a 4 KiB receive buffer; the test does not test anything")
	}
	if lost == n {
		t.Error("every ACK lost; Batch did not adapt")
	}
}

func TestConnReceiveCancel(t *testing.T) {
	c := dialGeneric(t, nil)
	if err := c.JoinGroupByName(context.Background(), "nlctrl", "notify"); err != nil {
		t.Fatalf("JoinGroupByName: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	start := time.Now()
	err := c.Receive(ctx, func(Header, []byte) error { return nil })
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Receive after cancel: %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Receive took %v to notice the cancellation", d)
	}

	ctx, cancel2 := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel2()
	err = c.Receive(ctx, nil)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Receive past its deadline: %v, want context.DeadlineExceeded", err)
	}
	// The deadline of an earlier call does not leak into the next one.
	if _, err := c.ResolveFamily(context.Background(), "nlctrl"); err != nil {
		t.Errorf("ResolveFamily after a cancelled Receive: %v", err)
	}
	// An already-cancelled context fails at once.
	if err := c.Receive(ctx, nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Receive with an expired context: %v", err)
	}
	if err := c.LeaveGroupByName(context.Background(), "nlctrl", "notify"); err != nil {
		t.Errorf("LeaveGroupByName: %v", err)
	}
	err = c.JoinGroupByName(context.Background(), "nlctrl", "no-such-group")
	if !errors.Is(err, unix.ENOENT) {
		t.Errorf("JoinGroupByName of a missing group: %v, want ENOENT", err)
	}
}

func TestConnCloseUnblocksReceive(t *testing.T) {
	c := dialGeneric(t, &Config{Groups: []uint32{GenlIDCtrl}})
	errc := make(chan error, 1)
	go func() { errc <- c.Receive(context.Background(), nil) }()
	// A second goroutine waits for its turn behind the first.
	errc2 := make(chan error, 1)
	go func() { errc2 <- c.Request(context.Background(), getFamily("nlctrl"), nil) }()
	time.Sleep(50 * time.Millisecond)
	if err := c.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	for i, ch := range []chan error{errc, errc2} {
		select {
		case err := <-ch:
			if !errors.Is(err, net.ErrClosed) && !(i == 1 && err == nil) {
				t.Errorf("call %d blocked during Close returned %v, want net.ErrClosed", i, err)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("call %d still blocked 5s after Close", i)
		}
	}
	if err := c.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	ctx := context.Background()
	for name, err := range map[string]error{
		"Request": c.Request(ctx, getFamily("nlctrl"), nil),
		"Dump":    c.Dump(ctx, getFamily("nlctrl"), nil),
		"Receive": c.Receive(ctx, nil),
		"Join":    c.JoinGroup(GenlIDCtrl),
		"Leave":   c.LeaveGroup(GenlIDCtrl),
	} {
		if !errors.Is(err, net.ErrClosed) {
			t.Errorf("%s after Close: %v, want net.ErrClosed", name, err)
		}
	}
	if _, err := c.Batch(ctx, getFamily("nlctrl")); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Batch after Close: %v, want net.ErrClosed", err)
	}
}

func TestConnConcurrent(t *testing.T) {
	c := dialGeneric(t, nil)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 50 {
				ctx := context.Background()
				switch (g + i) % 3 {
				case 0:
					if _, err := c.ResolveFamily(ctx, "nlctrl"); err != nil {
						t.Errorf("ResolveFamily: %v", err)
					}
				case 1:
					if _, err := c.ResolveFamily(ctx, "nl2tp-missing"); !errors.Is(err, unix.ENOENT) {
						t.Errorf("ResolveFamily(missing): %v", err)
					}
				case 2:
					res, err := c.Batch(ctx, append(getFamily("nlctrl"), getFamily("nl2tp-missing")...))
					if err != nil || len(res) != 2 || res[0] != nil || !errors.Is(res[1], unix.ENOENT) {
						t.Errorf("Batch: %v %v", res, err)
					}
				}
			}
		})
	}
	wg.Wait()
}

// A receive buffer too small for a datagram grows instead of truncating it.
func TestConnReceiveBufferGrowth(t *testing.T) {
	c := dialGeneric(t, nil)
	c.buf = make([]byte, 64)
	f, err := c.ResolveFamily(context.Background(), "nlctrl")
	if err != nil || f.Name != "nlctrl" {
		t.Fatalf("ResolveFamily with a 64-byte buffer: %+v, %v", f, err)
	}
	if len(c.buf) <= 64 {
		t.Errorf("buffer still %d bytes", len(c.buf))
	}
}

// A dump abandoned half way (its context cancelled) does not make the next
// dump fail with EBUSY or see the old dump's messages.
func TestConnAbandonedDump(t *testing.T) {
	c := dialGeneric(t, nil)
	// A small first receive makes the kernel fill its dump datagrams only
	// to about a page, so a policy dump spans several of them.
	c.buf = make([]byte, 256)
	const ctrlCmdGetPolicy = 10
	var e Encoder
	m := e.BeginMessage(GenlIDCtrl, 0, 0, 0)
	e.GenlHeader(ctrlCmdGetPolicy, ctrlVersion)
	e.String(ctrlAttrFamilyName, "ethtool")
	e.EndMessage(m)
	msg, _ := e.Encoded()
	ctx, cancel := context.WithCancel(context.Background())
	err := c.Dump(ctx, append([]byte(nil), msg...), func(Header, []byte) error {
		cancel() // the next receive sees a cancelled context
		return nil
	})
	if errors.Is(err, unix.ENOENT) {
		t.Skip("no ethtool family to dump the policy of")
	}
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("dump completed in one datagram (%v); nothing abandoned", err)
	}
	if !c.dumpPending {
		t.Fatal("abandoned dump not recorded")
	}
	n := 0
	err = c.Dump(context.Background(), append([]byte(nil), msg...), func(Header, []byte) error { n++; return nil })
	if err != nil {
		t.Fatalf("dump after an abandoned dump: %v", err)
	}
	if n < 10 {
		t.Errorf("policy dump returned %d messages, want many", n)
	}
	if got := queued(t, c); got != 0 {
		t.Errorf("%d datagrams left queued, want 0", got)
	}
}

// BenchmarkConnRequest measures one GETFAMILY round trip to the kernel.
func BenchmarkConnRequest(b *testing.B) {
	c := dialGeneric(b, nil)
	msg := getFamily("nlctrl")
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := c.Request(ctx, msg, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkConnBatch measures a batch of 100 GETFAMILY requests.
func BenchmarkConnBatch(b *testing.B) {
	c := dialGeneric(b, nil)
	var msgs []byte
	for range 100 {
		msgs = AppendGetFamily(msgs, "nlctrl")
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Batch(ctx, msgs); err != nil {
			b.Fatal(err)
		}
	}
}

func TestConnCancelledBatch(t *testing.T) {
	c := dialGeneric(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	msgs := append(getFamily("nlctrl"), getFamily("nlctrl")...)
	results, err := c.Batch(ctx, msgs)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Batch with a cancelled context: %v", err)
	}
	if len(results) != 2 || !errors.Is(results[0], context.Canceled) || !errors.Is(results[1], context.Canceled) {
		t.Errorf("results %v, want context.Canceled for each", results)
	}
	if err := c.Request(ctx, getFamily("nlctrl"), nil); !errors.Is(err, context.Canceled) {
		t.Errorf("Request with a cancelled context: %v", err)
	}
	if err := c.Dump(ctx, getFamily("nlctrl"), nil); !errors.Is(err, context.Canceled) {
		t.Errorf("Dump with a cancelled context: %v", err)
	}
}

// Close while several goroutines use the Conn: every one of them stops with
// net.ErrClosed (or finishes its exchange), none hangs, nothing races.
func TestConnCloseDuringUse(t *testing.T) {
	c := dialGeneric(t, nil)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Go(func() {
			ctx := context.Background()
			for {
				var err error
				switch g % 4 {
				case 0:
					_, err = c.ResolveFamily(ctx, "nlctrl")
				case 1:
					err = c.Dump(ctx, getFamily("nlctrl"), nil)
				case 2:
					_, err = c.Batch(ctx, append(getFamily("nlctrl"), getFamily("nlctrl")...))
				case 3:
					rctx, cancel := context.WithTimeout(ctx, time.Millisecond)
					err = c.Receive(rctx, nil)
					cancel()
					if errors.Is(err, context.DeadlineExceeded) {
						err = nil
					}
				}
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	time.Sleep(20 * time.Millisecond)
	c.Close()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("goroutines still running 5s after Close")
	}
	close(errs)
	for err := range errs {
		if !errors.Is(err, net.ErrClosed) {
			t.Errorf("error after Close: %v, want net.ErrClosed", err)
		}
	}
}

// A message too large for the send buffer fails alone; the others in the
// batch are sent and answered.
func TestConnBatchOversizedMessage(t *testing.T) {
	c := dialGeneric(t, nil)
	msgs := getFamily("nlctrl")
	var e Encoder
	e.ResetAppend(msgs)
	m := e.BeginMessage(GenlIDCtrl, 0, 0, 0)
	e.GenlHeader(ctrlCmdGetFamily, ctrlVersion)
	for range 5 {
		e.Bytes(99, make([]byte, 60000))
	}
	e.EndMessage(m)
	msgs, err := e.Encoded()
	if err != nil {
		t.Fatal(err)
	}
	msgs = AppendGetFamily(msgs, "nl2tp-nofamily")
	results, err := c.Batch(context.Background(), msgs)
	if err != nil {
		t.Fatalf("Batch: %v", err)
	}
	if len(results) != 3 || results[0] != nil || !errors.Is(results[1], unix.EMSGSIZE) || !errors.Is(results[2], unix.ENOENT) {
		t.Errorf("results %v, want [nil EMSGSIZE ENOENT]", results)
	}
}
