package l2tp_test

import (
	"context"
	"errors"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nl2tp/nl2tp/internal/kerneltest"
	"github.com/nl2tp/nl2tp/l2tp"
)

// nextEvent returns the next event about tunnels in ids (or their
// sessions); the kernel sends events of every namespace, so others are
// skipped. It fails the test after 10s.
func nextEvent(t *testing.T, sub *l2tp.Subscription, ids ...uint32) l2tp.Event {
	t.Helper()
	type result struct {
		ev  l2tp.Event
		err error
	}
	ch := make(chan result, 1)
	go func() {
		for {
			ev, err := sub.Next()
			if err != nil {
				ch <- result{err: err}
				return
			}
			id := ev.Tunnel.ID
			if !ev.Kind.IsTunnel() {
				id = ev.Session.TunnelID
			}
			for _, want := range ids {
				if id == want {
					ch <- result{ev: ev}
					return
				}
			}
		}
	}()
	select {
	case r := <-ch:
		if r.err != nil {
			t.Fatalf("Subscription.Next: %v", r.err)
		}
		return r.ev
	case <-time.After(10 * time.Second):
		sub.Close()
		t.Fatalf("no event about tunnels %v within 10s", ids)
		return l2tp.Event{}
	}
}

// TestKernelEvents makes every kind of change and checks the six kinds of
// events with the objects they carry, and what the kernel leaves
// unannounced.
func TestKernelEvents(t *testing.T) {
	ns, c := kernelConn(t)
	withUnderlay(t, ns)
	ctx := kernelCtx(t)
	subCtx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	sub, err := c.Events(subCtx)
	if err != nil {
		t.Fatalf("Events: %v", err)
	}
	defer sub.Close()

	const tid, sentinel = 701, 702
	expect := func(kind l2tp.EventKind) l2tp.Event {
		t.Helper()
		ev := nextEvent(t, sub, tid, sentinel)
		if ev.Kind != kind {
			t.Fatalf("got a %v event (%+v), want %v", ev.Kind, ev, kind)
		}
		if ev.PortID != c.PortID() {
			t.Errorf("%v event: PortID %d, want the Conn's %d", kind, ev.PortID, c.PortID())
		}
		return ev
	}

	tun, err := c.CreateTunnel(ctx, l2tp.Tunnel{ID: tid, PeerID: 801, Version: 3, Local: addrA6, Remote: addrB6, LocalPort: 16001, RemotePort: 16002, UDPZeroChecksum6RX: true})
	if err != nil {
		t.Fatalf("CreateTunnel: %v", err)
	}
	ev := expect(l2tp.EventTunnelCreate)
	if diff := cmp.Diff(tun, ev.Tunnel, cmpOpts); diff != "" {
		t.Errorf("tunnel-create event (-want +got):\n%s", diff)
	}

	if err := c.ModifyTunnel(ctx, tid, 0); err != nil {
		t.Fatalf("ModifyTunnel: %v", err)
	}
	ev = expect(l2tp.EventTunnelModify)
	if diff := cmp.Diff(tun, ev.Tunnel, cmpOpts); diff != "" {
		t.Errorf("tunnel-modify event (-want +got):\n%s", diff)
	}

	s1, err := c.CreateSession(ctx, l2tp.Session{
		TunnelID: tid, ID: 7011, PeerID: 8011, Pseudowire: l2tp.PseudowireEth,
		Cookie: []byte{1, 2, 3, 4}, PeerCookie: []byte{5, 6, 7, 8, 9, 10, 11, 12},
		InterfaceName: "nl2tp-ev1",
	})
	if err != nil {
		t.Fatalf("CreateSession: %v", err)
	}
	ev = expect(l2tp.EventSessionCreate)
	if diff := cmp.Diff(s1, ev.Session, cmpOpts); diff != "" {
		t.Errorf("session-create event (-want +got):\n%s", diff)
	}
	s2, err := c.CreateSession(ctx, l2tp.Session{TunnelID: tid, ID: 7012, PeerID: 8012, Pseudowire: l2tp.PseudowireEth})
	if err != nil {
		t.Fatalf("CreateSession: %v", err)
	}
	ev = expect(l2tp.EventSessionCreate)
	if diff := cmp.Diff(s2, ev.Session, cmpOpts); diff != "" {
		t.Errorf("session-create event (-want +got):\n%s", diff)
	}

	mod := s1
	mod.SendSeq, mod.RecvSeq, mod.LNSMode, mod.ReorderTimeout = true, true, true, 100*time.Millisecond
	if err := c.ModifySession(ctx, mod); err != nil {
		t.Fatalf("ModifySession: %v", err)
	}
	ev = expect(l2tp.EventSessionModify)
	if diff := cmp.Diff(mod, ev.Session, cmpOpts); diff != "" {
		t.Errorf("session-modify event (-want +got):\n%s", diff)
	}

	if err := c.DeleteSession(ctx, tid, s1.ID); err != nil {
		t.Fatalf("DeleteSession: %v", err)
	}
	ev = expect(l2tp.EventSessionDelete)
	if diff := cmp.Diff(mod, ev.Session, cmpOpts); diff != "" {
		t.Errorf("session-delete event (-want +got):\n%s", diff)
	}

	// Deleting the tunnel announces the tunnel only, not session s2 that
	// goes with it.
	if err := c.DeleteTunnel(ctx, tid); err != nil {
		t.Fatalf("DeleteTunnel: %v", err)
	}
	ev = expect(l2tp.EventTunnelDelete)
	if diff := cmp.Diff(tun, ev.Tunnel, cmpOpts); diff != "" {
		t.Errorf("tunnel-delete event (-want +got):\n%s", diff)
	}
	// A later change comes next: nothing about s2 in between.
	if _, err := c.CreateTunnel(ctx, l2tp.Tunnel{ID: sentinel, PeerID: 802, Version: 3, Encap: l2tp.EncapIP, Local: addrA4, Remote: addrB4}); err != nil {
		t.Fatalf("CreateTunnel: %v", err)
	}
	ev = expect(l2tp.EventTunnelCreate)
	if ev.Tunnel.ID != sentinel {
		t.Errorf("after the tunnel-delete event: a %v event about tunnel %d, want tunnel-create of %d", ev.Kind, ev.Tunnel.ID, sentinel)
	}

	// Another Conn's changes carry its port ID.
	c2 := dialNS(t, ns)
	if err := c2.ModifyTunnel(ctx, sentinel, 0); err != nil {
		t.Fatalf("ModifyTunnel: %v", err)
	}
	ev = nextEvent(t, sub, sentinel)
	if ev.Kind != l2tp.EventTunnelModify || ev.PortID != c2.PortID() || ev.PortID == c.PortID() {
		t.Errorf("event of another Conn: %v with PortID %d, want tunnel-modify with PortID %d", ev.Kind, ev.PortID, c2.PortID())
	}

	// Closing the subscription ends it.
	sub.Close()
	if _, err := sub.Next(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Next after Close: %v, want net.ErrClosed", err)
	}
}

// TestKernelEventsAcrossNamespaces checks what KERNEL.md says: the kernel
// sends L2TP events to subscribers in every network namespace.
func TestKernelEventsAcrossNamespaces(t *testing.T) {
	ns1, c1 := kernelConn(t)
	withUnderlay(t, ns1)
	ns2 := kerneltest.NewNetNS(t)
	c2 := dialNS(t, ns2)
	ctx := kernelCtx(t)
	subCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	sub, err := c2.Events(subCtx)
	if err != nil {
		t.Fatalf("Events: %v", err)
	}
	defer sub.Close()
	if _, err := c1.CreateTunnel(ctx, l2tp.Tunnel{ID: 711, PeerID: 811, Version: 3, Encap: l2tp.EncapIP, Local: addrA4, Remote: addrB4}); err != nil {
		t.Fatalf("CreateTunnel: %v", err)
	}
	// All ends cleanly when the subscription's context is done.
	var got []l2tp.Event
	for ev, err := range sub.All() {
		if err != nil {
			t.Fatalf("Subscription.All: %v", err)
		}
		if ev.Tunnel.ID == 711 {
			got = append(got, ev)
			cancel()
		}
	}
	if len(got) != 1 || got[0].Kind != l2tp.EventTunnelCreate || got[0].PortID != c1.PortID() {
		t.Errorf("events about tunnel 711 in namespace 2: %+v, want one tunnel-create from port %d", got, c1.PortID())
	}
	// The tunnel itself is not in namespace 2.
	if _, err := c2.GetTunnel(ctx, 711); !errors.Is(err, l2tp.ErrNotFound) {
		t.Errorf("GetTunnel in namespace 2: %v, want ErrNotFound", err)
	}
}

// TestKernelEventsManagedClose checks that closing a managed tunnel's
// socket destroys the tunnel without an event.
func TestKernelEventsManagedClose(t *testing.T) {
	ns, c := kernelConn(t)
	withUnderlay(t, ns)
	ctx := kernelCtx(t)
	subCtx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	sub, err := c.Events(subCtx)
	if err != nil {
		t.Fatalf("Events: %v", err)
	}
	defer sub.Close()
	tun := l2tp.Tunnel{ID: 721, PeerID: 821, Version: 3, Encap: l2tp.EncapIP, Local: addrA4, Remote: addrB4}
	var sock interface {
		Close() error
		syscall.Conn
	}
	if err := ns.Do(func() error {
		f, err := l2tp.NewTunnelSocket(tun)
		sock = f
		return err
	}); err != nil {
		t.Fatalf("NewTunnelSocket: %v", err)
	}
	defer sock.Close()
	if _, err := c.CreateManagedTunnel(ctx, tun, sock); err != nil {
		t.Fatalf("CreateManagedTunnel: %v", err)
	}
	if ev := nextEvent(t, sub, 721, 722); ev.Kind != l2tp.EventTunnelCreate || ev.Tunnel.ID != 721 {
		t.Fatalf("got %v of tunnel %d, want tunnel-create of 721", ev.Kind, ev.Tunnel.ID)
	}
	sock.Close()
	waitGone(t, "tunnel 721", func() error { _, err := c.GetTunnel(ctx, 721); return err })
	if _, err := c.CreateTunnel(ctx, l2tp.Tunnel{ID: 722, PeerID: 822, Version: 3, Encap: l2tp.EncapIP, Local: addrA6, Remote: addrB6}); err != nil {
		t.Fatalf("CreateTunnel: %v", err)
	}
	if ev := nextEvent(t, sub, 721, 722); ev.Kind != l2tp.EventTunnelCreate || ev.Tunnel.ID != 722 {
		t.Errorf("after closing the socket of tunnel 721: %v of tunnel %d, want tunnel-create of 722 (no event for the closed socket)", ev.Kind, ev.Tunnel.ID)
	}
}
