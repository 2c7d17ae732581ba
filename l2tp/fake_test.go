package l2tp

import (
	"context"
	"encoding/binary"
	"fmt"
	"net"
	"sync"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/nl2tp/nl2tp/netlinkraw"
)

// This file is an in-process fake of the kernel's L2TP generic netlink
// family, in the spirit of mdlayher/netlink's nltest: a test scripts the
// exchanges it expects (operation, command, flags and attributes of every
// message, compared with cmp.Diff) and the kernel's answers (reply
// messages, dump messages, errnos, per-message batch results).
//
// The expected attributes are built with the helpers below, which encode
// by hand with encoding/binary, not with the generated codecs: a codec
// with the wrong wire type fails the tests.

const (
	testFamily = 0x1d // the l2tp family's ID in the tests
	testGroup  = 7    // its multicast group ID
	testPortID = 4242 // the port ID of the fake's socket
)

// fakeAttr is one attribute as it appears on the wire.
type fakeAttr struct {
	Type attr // with its flag bits, if any
	Data []byte
}

// fakeMsg is one request as the fake sees it.
type fakeMsg struct {
	Type    uint16 // netlink message type: the family ID
	Flags   uint16 // as they reach the kernel (see transportFlags)
	Cmd     command
	Version uint8
	Attrs   []fakeAttr
}

func aU8(t attr, v uint8) fakeAttr { return fakeAttr{t, []byte{v}} }
func aU16(t attr, v uint16) fakeAttr {
	return fakeAttr{t, binary.NativeEndian.AppendUint16(nil, v)}
}
func aU32(t attr, v uint32) fakeAttr {
	return fakeAttr{t, binary.NativeEndian.AppendUint32(nil, v)}
}
func aU64(t attr, v uint64) fakeAttr {
	return fakeAttr{t, binary.NativeEndian.AppendUint64(nil, v)}
}
func aStr(t attr, s string) fakeAttr    { return fakeAttr{t, append([]byte(s), 0)} }
func aFlag(t attr) fakeAttr             { return fakeAttr{t, []byte{}} }
func aBytes(t attr, b ...byte) fakeAttr { return fakeAttr{t, append([]byte{}, b...)} }
func aStat(t statsAttr, v uint64) fakeAttr {
	return fakeAttr{attr(t), binary.NativeEndian.AppendUint64(nil, v)}
}
func aRaw(t uint16, b ...byte) fakeAttr { return fakeAttr{attr(t), append([]byte{}, b...)} }
func aNestedNoFlag(t attr, children ...fakeAttr) fakeAttr {
	return fakeAttr{t, appendAttrs(nil, children)}
}

// appendAttrs encodes attributes by hand: length, type, payload, padding.
func appendAttrs(b []byte, as []fakeAttr) []byte {
	for _, a := range as {
		b = binary.NativeEndian.AppendUint16(b, uint16(4+len(a.Data)))
		b = binary.NativeEndian.AppendUint16(b, uint16(a.Type))
		b = append(b, a.Data...)
		for len(b)%4 != 0 {
			b = append(b, 0)
		}
	}
	return b
}

// genlPayload is a reply message's payload: generic netlink header, then
// attributes.
func genlPayload(cmd command, as ...fakeAttr) []byte {
	return appendAttrs([]byte{uint8(cmd), genlFamilyVersion, 0, 0}, as)
}

// netlinkMsg is a whole netlink message around a payload.
func netlinkMsg(typ, flags uint16, seq, port uint32, payload []byte) []byte {
	b := binary.NativeEndian.AppendUint32(nil, uint32(netlinkraw.HeaderLen+len(payload)))
	b = binary.NativeEndian.AppendUint16(b, typ)
	b = binary.NativeEndian.AppendUint16(b, flags)
	b = binary.NativeEndian.AppendUint32(b, seq)
	b = binary.NativeEndian.AppendUint32(b, port)
	return append(b, payload...)
}

// parseMsg decodes one request message for comparison.
func parseMsg(b []byte) (fakeMsg, error) {
	h, err := netlinkraw.ParseHeader(b)
	if err != nil {
		return fakeMsg{}, err
	}
	if int(h.Length) != len(b) {
		return fakeMsg{}, fmt.Errorf("message length %d, have %d bytes", h.Length, len(b))
	}
	if h.Seq != 0 || h.PortID != 0 {
		return fakeMsg{}, fmt.Errorf("the l2tp package set seq %d and port %d; the transport fills them", h.Seq, h.PortID)
	}
	gh, attrs, err := netlinkraw.ParseGenlHeader(b[netlinkraw.HeaderLen:])
	if err != nil {
		return fakeMsg{}, err
	}
	m := fakeMsg{Type: h.Type, Flags: h.Flags, Cmd: command(gh.Command), Version: gh.Version}
	d := netlinkraw.NewAttrDecoder(attrs)
	for d.Next() {
		m.Attrs = append(m.Attrs, fakeAttr{attr(d.RawType()), append([]byte{}, d.Bytes()...)})
	}
	return m, d.Err()
}

// splitMsgs splits concatenated messages.
func splitMsgs(b []byte) ([][]byte, error) {
	var out [][]byte
	var d netlinkraw.MessageDecoder
	d.Reset(b)
	off := 0
	for d.Next() {
		n := int(d.Header().Length)
		out = append(out, b[off:off+n])
		off += netlinkraw.Align(n)
	}
	return out, d.Err()
}

// A call is one scripted exchange.
type call struct {
	op   string    // "request", "dump" or "batch"
	want []fakeMsg // the message (request, dump) or messages (batch)

	replies [][]byte // payloads handed to the callback (request, dump)
	errno   syscall.Errno
	extack  string
	results []error // batch: per message; nil entries mean ACK
}

// Flags as they reach the kernel: the transport ORs NLM_F_REQUEST and
// NLM_F_ACK into requests and batch messages (and reads up to the ACK), and
// NLM_F_REQUEST and NLM_F_DUMP into dumps.
const (
	requestFlags = netlinkraw.FlagRequest | netlinkraw.FlagAck
	dumpFlags    = netlinkraw.FlagRequest | netlinkraw.FlagDump
)

// transportFlags returns the flags the transport adds for op.
func transportFlags(op string) uint16 {
	if op == "dump" {
		return dumpFlags
	}
	return requestFlags
}

// req scripts a request of cmd with attributes as.
func req(cmd command, as ...fakeAttr) call {
	return call{op: "request", want: []fakeMsg{{Type: testFamily, Flags: requestFlags, Cmd: cmd, Version: genlFamilyVersion, Attrs: as}}}
}

// dump scripts a dump request of cmd.
func dump(cmd command) call {
	return call{op: "dump", want: []fakeMsg{{Type: testFamily, Flags: dumpFlags, Cmd: cmd, Version: genlFamilyVersion}}}
}

// batch scripts a batch of the messages of calls cs.
func batch(results []error, cs ...call) call {
	b := call{op: "batch", results: results}
	for _, c := range cs {
		b.want = append(b.want, c.want...)
	}
	return b
}

func (c call) reply(payloads ...[]byte) call { c.replies = payloads; return c }
func (c call) fail(errno syscall.Errno, extack string) call {
	c.errno, c.extack = errno, extack
	return c
}

// kerr is a kernel error as netlinkraw reports it.
func kerr(op string, errno syscall.Errno, msg string) error {
	return &netlinkraw.Error{Op: op, Err: errno, Message: msg, Seq: 1}
}

// fakeKernel is the transport of a Conn under test.
type fakeKernel struct {
	t *testing.T

	mu     sync.Mutex
	script []call
	closed bool
	done   chan struct{}
	events chan fakeDatagram // for an event transport
	calls  int
}

type fakeDatagram struct {
	b   []byte
	err error
}

func newFake(t *testing.T, script ...call) *fakeKernel {
	t.Helper()
	k := &fakeKernel{t: t, script: script, done: make(chan struct{}), events: make(chan fakeDatagram, 16)}
	t.Cleanup(func() {
		k.mu.Lock()
		defer k.mu.Unlock()
		if len(k.script) != 0 {
			t.Errorf("fake kernel: %d scripted exchanges not made, next: %s %v", len(k.script), k.script[0].op, k.script[0].want)
		}
	})
	return k
}

// newTestConn returns a Conn on a fake kernel with the script, and a fake
// for event subscriptions.
func newTestConn(t *testing.T, script ...call) (*Conn, *fakeKernel, *fakeKernel) {
	t.Helper()
	k := newFake(t, script...)
	ev := newFake(t)
	c := newConn(k, testFamily, testGroup, func() (transport, error) { return ev, nil })
	t.Cleanup(func() { c.Close() })
	return c, k, ev
}

func (k *fakeKernel) next(op string, msgs []byte) (call, bool) {
	k.t.Helper()
	k.mu.Lock()
	defer k.mu.Unlock()
	k.calls++
	if k.closed {
		return call{}, false
	}
	if len(k.script) == 0 {
		m, _ := parseMsg(msgs)
		k.t.Errorf("fake kernel: unexpected %s %+v", op, m)
		return call{errno: syscall.EINVAL}, true
	}
	c := k.script[0]
	k.script = k.script[1:]
	if c.op != op {
		k.t.Errorf("fake kernel: got a %s, want a %s", op, c.op)
	}
	raw, err := splitMsgs(msgs)
	if err != nil {
		k.t.Errorf("fake kernel: %s: %v", op, err)
	}
	var got []fakeMsg
	for _, b := range raw {
		m, err := parseMsg(b)
		if err != nil {
			k.t.Errorf("fake kernel: %s: %v", op, err)
		}
		m.Flags |= transportFlags(op)
		got = append(got, m)
	}
	if diff := cmp.Diff(c.want, got); diff != "" {
		k.t.Errorf("fake kernel: unexpected %s messages (-want +got):\n%s", op, diff)
	}
	return c, true
}

func (k *fakeKernel) exchange(ctx context.Context, op string, msg []byte, fn func(netlinkraw.Header, []byte) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c, ok := k.next(op, msg)
	if !ok {
		return fmt.Errorf("netlinkraw: %s: %w", op, net.ErrClosed)
	}
	var fnErr error
	for _, p := range c.replies {
		h := netlinkraw.Header{Length: uint32(netlinkraw.HeaderLen + len(p)), Type: testFamily, Seq: 1, PortID: testPortID}
		if op == "dump" {
			h.Flags = netlinkraw.FlagMulti
		}
		if fn != nil && fnErr == nil {
			fnErr = fn(h, p)
		}
	}
	if c.errno != 0 {
		return kerr(op, c.errno, c.extack)
	}
	return fnErr
}

func (k *fakeKernel) Request(ctx context.Context, msg []byte, fn func(netlinkraw.Header, []byte) error) error {
	return k.exchange(ctx, "request", msg, fn)
}

func (k *fakeKernel) Dump(ctx context.Context, msg []byte, fn func(netlinkraw.Header, []byte) error) error {
	return k.exchange(ctx, "dump", msg, fn)
}

func (k *fakeKernel) Batch(ctx context.Context, msgs []byte) ([]error, error) {
	c, ok := k.next("batch", msgs)
	n := len(c.want)
	if !ok {
		err := fmt.Errorf("netlinkraw: batch: %w", net.ErrClosed)
		res := make([]error, n)
		for i := range res {
			res[i] = err
		}
		return res, err
	}
	res := make([]error, n)
	copy(res, c.results)
	return res, nil
}

func (k *fakeKernel) Receive(ctx context.Context, fn func(netlinkraw.Header, []byte) error) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-k.done:
		return fmt.Errorf("netlinkraw: receive: %w", net.ErrClosed)
	case dg := <-k.events:
		if dg.err != nil {
			return dg.err
		}
		var d netlinkraw.MessageDecoder
		d.Reset(dg.b)
		for d.Next() {
			if err := fn(d.Header(), d.Payload()); err != nil {
				return err
			}
		}
		return d.Err()
	}
}

func (k *fakeKernel) PortID() uint32 { return testPortID }

func (k *fakeKernel) Close() error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if !k.closed {
		k.closed = true
		close(k.done)
	}
	return nil
}

// send queues a datagram of event messages for Receive.
func (k *fakeKernel) send(msgs ...[]byte) {
	var b []byte
	for _, m := range msgs {
		b = append(b, m...)
	}
	k.events <- fakeDatagram{b: b}
}
