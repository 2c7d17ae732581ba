package netlinkraw

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"runtime"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// newNetNS creates a network namespace and returns an open fd for it. It
// skips the test without the privilege to do so.
func newNetNS(t *testing.T) *os.File {
	t.Helper()
	type result struct {
		f   *os.File
		err error
	}
	ch := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := os.Open("/proc/thread-self/ns/net")
		if err != nil {
			runtime.UnlockOSThread()
			ch <- result{nil, err}
			return
		}
		defer orig.Close()
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread()
			ch <- result{nil, err}
			return
		}
		ns, err := os.Open("/proc/thread-self/ns/net")
		if err := unix.Setns(int(orig.Fd()), unix.CLONE_NEWNET); err != nil {
			ch <- result{nil, err} // stay locked: the thread dies with us
			return
		}
		runtime.UnlockOSThread()
		ch <- result{ns, err}
	}()
	r := <-ch
	if errors.Is(r.err, unix.EPERM) {
		t.Skip("creating a network namespace needs CAP_SYS_ADMIN")
	}
	if r.err != nil {
		t.Fatalf("creating a network namespace: %v", r.err)
	}
	t.Cleanup(func() { r.f.Close() })
	return r.f
}

const soNetnsCookie = 71 // SO_NETNS_COOKIE, Linux 5.14

func netnsCookie(t *testing.T, c *Conn) uint64 {
	t.Helper()
	var (
		v    uint64
		serr error
	)
	if err := c.rc.Control(func(fd uintptr) {
		v, serr = unix.GetsockoptUint64(int(fd), unix.SOL_SOCKET, soNetnsCookie)
	}); err != nil {
		t.Fatal(err)
	}
	if serr != nil {
		t.Skipf("SO_NETNS_COOKIE: %v", serr)
	}
	return v
}

// links dumps the names of the network interfaces c sees.
func links(t *testing.T, c *Conn) []string {
	t.Helper()
	var e Encoder
	m := e.BeginMessage(unix.RTM_GETLINK, 0, 0, 0)
	e.Raw(make([]byte, unix.SizeofIfInfomsg))
	e.EndMessage(m)
	msg, _ := e.Encoded()
	var names []string
	err := c.Dump(context.Background(), msg, func(h Header, p []byte) error {
		if h.Type != unix.RTM_NEWLINK || len(p) < unix.SizeofIfInfomsg {
			return fmt.Errorf("unexpected message type %d, %d bytes", h.Type, len(p))
		}
		d := NewAttrDecoder(p[unix.SizeofIfInfomsg:])
		for d.Next() {
			if d.Type() == unix.IFLA_IFNAME {
				names = append(names, d.String())
			}
		}
		return d.Err()
	})
	if err != nil {
		t.Fatalf("dumping links: %v", err)
	}
	return names
}

func TestDialNetNS(t *testing.T) {
	ns := newNetNS(t)
	host, err := Dial(unix.NETLINK_ROUTE, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer host.Close()
	hostCookie := netnsCookie(t, host)
	for name, cfg := range map[string]*Config{
		"fd":   {NetNS: int(ns.Fd())},
		"path": {NetNSPath: fmt.Sprintf("/proc/%d/fd/%d", os.Getpid(), ns.Fd())},
	} {
		t.Run(name, func(t *testing.T) {
			c, err := Dial(unix.NETLINK_ROUTE, cfg)
			if err != nil {
				t.Fatalf("Dial: %v", err)
			}
			defer c.Close()
			if got := netnsCookie(t, c); got == hostCookie {
				t.Errorf("socket is in the host namespace (cookie %d)", got)
			}
			if got := links(t, c); len(got) != 1 || got[0] != "lo" {
				t.Errorf("links in the new namespace: %q, want [lo]", got)
			}
		})
	}
	// The calling thread is still in the host namespace.
	c, err := Dial(unix.NETLINK_ROUTE, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if got := netnsCookie(t, c); got != hostCookie {
		t.Errorf("Dial without a namespace after Dial with one: cookie %d, want the host's %d", got, hostCookie)
	}
	if _, err := Dial(unix.NETLINK_ROUTE, &Config{NetNSPath: "/nonexistent/ns"}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Dial with a missing namespace path: %v, want ErrNotExist", err)
	}
	devnull, _ := os.Open(os.DevNull)
	defer devnull.Close()
	if _, err := Dial(unix.NETLINK_ROUTE, &Config{NetNS: int(devnull.Fd())}); !errors.Is(err, unix.EINVAL) {
		t.Errorf("Dial with a NetNS fd that is not a namespace: %v, want EINVAL", err)
	}
}

// setLo builds an RTM_NEWLINK that sets lo up or down, appended to b.
func setLo(b []byte, up bool) []byte {
	var ifi [unix.SizeofIfInfomsg]byte         // struct ifinfomsg
	binary.NativeEndian.PutUint32(ifi[4:8], 1) // ifi_index: lo
	if up {
		binary.NativeEndian.PutUint32(ifi[8:12], unix.IFF_UP) // ifi_flags
	}
	binary.NativeEndian.PutUint32(ifi[12:16], unix.IFF_UP) // ifi_change
	var e Encoder
	e.ResetAppend(b)
	m := e.BeginMessage(unix.RTM_NEWLINK, 0, 0, 0)
	e.Raw(ifi[:])
	e.EndMessage(m)
	out, _ := e.Encoded()
	return out
}

func TestMulticastEvents(t *testing.T) {
	ns := newNetNS(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ctl, err := Dial(unix.NETLINK_ROUTE, &Config{NetNS: int(ns.Fd())})
	if err != nil {
		t.Fatal(err)
	}
	defer ctl.Close()
	ev, err := Dial(unix.NETLINK_ROUTE, &Config{NetNS: int(ns.Fd()), Groups: []uint32{unix.RTNLGRP_LINK}})
	if err != nil {
		t.Fatal(err)
	}
	defer ev.Close()

	if err := ctl.Request(ctx, setLo(nil, true), nil); err != nil {
		t.Fatalf("setting lo up: %v", err)
	}
	var got []uint16
	if err := ev.Receive(ctx, func(h Header, p []byte) error {
		got = append(got, h.Type)
		return nil
	}); err != nil {
		t.Fatalf("Receive: %v", err)
	}
	if len(got) == 0 || got[0] != unix.RTM_NEWLINK {
		t.Fatalf("events %v, want RTM_NEWLINK", got)
	}

	// Leave the group: no more events.
	if err := ev.LeaveGroup(unix.RTNLGRP_LINK); err != nil {
		t.Fatal(err)
	}
	drain(t, ev)
	if err := ctl.Request(ctx, setLo(nil, false), nil); err != nil {
		t.Fatal(err)
	}
	short, cancelShort := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancelShort()
	if err := ev.Receive(short, nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Receive after LeaveGroup: %v, want no event", err)
	}
}

// drain discards whatever is queued on c.
func drain(t *testing.T, c *Conn) {
	t.Helper()
	for {
		b, _, err := c.recv(false)
		if errors.Is(err, unix.ENOBUFS) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if b == nil {
			return
		}
	}
}

// linkEventConns returns, in a fresh namespace, a request socket and a
// socket subscribed to link events with a receive buffer small enough to
// overrun, both closed when the test ends.
func linkEventConns(t *testing.T) (ctx context.Context, ctl, ev *Conn) {
	t.Helper()
	ns := newNetNS(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	ctl, err := Dial(unix.NETLINK_ROUTE, &Config{NetNS: int(ns.Fd())})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ctl.Close() })
	ev, err = Dial(unix.NETLINK_ROUTE, &Config{NetNS: int(ns.Fd()), Groups: []uint32{unix.RTNLGRP_LINK}, ReceiveBufferSize: 4096})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ev.Close() })
	return ctx, ctl, ev
}

func TestMulticastOverrun(t *testing.T) {
	ctx, ctl, ev := linkEventConns(t)

	// Toggle lo 400 times in one batch without reading the events.
	var msgs []byte
	for i := range 400 {
		msgs = setLo(msgs, i%2 == 0)
	}
	res, err := ctl.Batch(ctx, msgs)
	if err != nil {
		t.Fatalf("Batch: %v", err)
	}
	for i, r := range res {
		if r != nil {
			t.Fatalf("toggle %d: %v", i, r)
		}
	}
	var (
		lost   bool
		events int
	)
	for !lost {
		err := ev.Receive(ctx, func(Header, []byte) error { events++; return nil })
		switch {
		case errors.Is(err, ErrEventsLost):
			lost = true
			if !errors.Is(err, unix.ENOBUFS) {
				t.Errorf("%v does not match ENOBUFS", err)
			}
		case err != nil:
			t.Fatalf("Receive: %v (after %d events)", err, events)
		}
	}
	t.Logf("overrun reported after %d events", events)
	// The socket stays usable: drain it, make one more event, receive it.
	drain(t, ev)
	if err := ctl.Request(ctx, setLo(nil, true), nil); err != nil {
		t.Fatal(err)
	}
	n := 0
	if err := ev.Receive(ctx, func(h Header, _ []byte) error {
		if h.Type == unix.RTM_NEWLINK {
			n++
		}
		return nil
	}); err != nil || n == 0 {
		t.Errorf("Receive after an overrun: %d events, %v", n, err)
	}
}

// A request whose ACK is dropped because events filled the receive buffer
// fails at once with ENOBUFS instead of waiting forever.
func TestRequestReplyLost(t *testing.T) {
	ctx, ctl, c := linkEventConns(t)
	var msgs []byte
	for i := range 100 {
		msgs = setLo(msgs, i%2 == 0)
	}
	overrun := func() {
		t.Helper()
		if _, err := ctl.Batch(ctx, msgs); err != nil {
			t.Fatal(err)
		}
	}

	// The ACK is queued, then events overrun the buffer before it is
	// read: the ACK is found behind the overrun report. (Request does
	// send and receive back to back; do it in two steps to let the
	// events in between.)
	req := setLo(nil, true)
	seq, err := c.prepare("request", req, FlagRequest|FlagAck)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.send(req); err != nil {
		t.Fatal(err)
	}
	overrun()
	if done, err := c.run(ctx, &exchange{op: "request", seq: seq, port: c.PortID()}); !done || err != nil {
		t.Errorf("ACK queued before an overrun: done %v, error %v; want the ACK", done, err)
	}
	drain(t, c)

	// c's queue is full of events: the ACK of this request has no room
	// (and the kernel drops every message for c until its queue is empty).
	overrun()
	err = c.Request(ctx, setLo(nil, true), nil)
	var e *Error
	if !errors.As(err, &e) || e.Err != unix.ENOBUFS || e.Message != errReplyLost {
		t.Fatalf("Request on a full socket: %v, want *Error ENOBUFS, ACK lost", err)
	}
	// The queue is empty now; the next request works.
	if err := c.Request(ctx, setLo(nil, true), nil); err != nil {
		t.Errorf("Request after the overrun: %v", err)
	}
}
