package l2tp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nl2tp/nl2tp/netlinkraw"
)

// event is a multicast message as the kernel sends it: the requester's
// port ID and sequence number, NLM_F_ACK set.
func event(cmd command, port, seq uint32, attrs ...fakeAttr) []byte {
	return netlinkMsg(testFamily, netlinkraw.FlagAck, seq, port, genlPayload(cmd, attrs...))
}

func TestEvents(t *testing.T) {
	c, _, ev := newTestConn(t)
	sub, err := c.Events(ctx)
	if err != nil {
		t.Fatalf("Events: %v", err)
	}
	defer sub.Close()

	tunnelAttrs := []fakeAttr{aU8(attrProtoVersion, 3), aU32(attrConnID, 5), aU32(attrPeerConnID, 6),
		aU16(attrEncapType, 1), aBytes(attrIPSaddr, 10, 0, 0, 1), aBytes(attrIPDaddr, 10, 0, 0, 2)}
	sessAttrs := func(cmd command) []byte {
		_, attrs, _ := netlinkraw.ParseGenlHeader(sessionReply(5, 7, "l2tpeth0"))
		b := netlinkMsg(testFamily, netlinkraw.FlagAck, 9, 100, append([]byte{uint8(cmd), 1, 0, 0}, attrs...))
		return b
	}
	ev.send(
		event(cmdTunnelCreate, 100, 1, tunnelAttrs...),
		netlinkMsg(0x10, 0, 0, 0, []byte{1, 2, 0, 0}), // another family: dropped
		event(cmdNoop, 100, 2),                        // not an event: dropped
		sessAttrs(cmdSessionCreate),
	)
	ev.send(event(cmdTunnelModify, 0, 0, tunnelAttrs...), event(cmdTunnelDelete, 0, 0, tunnelAttrs...))
	ev.send(sessAttrs(cmdSessionModify), sessAttrs(cmdSessionDelete))

	tn := Tunnel{ID: 5, PeerID: 6, Version: 3, Encap: EncapIP}
	tn.Local, tn.Remote = netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2")
	sess := wantSession(5, 7, "l2tpeth0")
	want := []Event{
		{Kind: EventTunnelCreate, Tunnel: tn, PortID: 100, Seq: 1},
		{Kind: EventSessionCreate, Session: sess, PortID: 100, Seq: 9},
		{Kind: EventTunnelModify, Tunnel: tn},
		{Kind: EventTunnelDelete, Tunnel: tn},
		{Kind: EventSessionModify, Session: sess, PortID: 100, Seq: 9},
		{Kind: EventSessionDelete, Session: sess, PortID: 100, Seq: 9},
	}
	var got []Event
	for range want {
		e, err := sub.Next()
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		got = append(got, e)
	}
	if diff := cmp.Diff(want, got, cmpAddr); diff != "" {
		t.Errorf("unexpected events (-want +got):\n%s", diff)
	}
}

func TestEventsLostAndBad(t *testing.T) {
	c, _, ev := newTestConn(t)
	sub, err := c.Events(ctx)
	if err != nil {
		t.Fatalf("Events: %v", err)
	}
	ev.events <- fakeDatagram{err: &netlinkraw.Error{Op: "receive", Err: fmt.Errorf("%w: %w", netlinkraw.ErrEventsLost, syscall.ENOBUFS)}}
	ev.send(event(cmdTunnelCreate, 0, 0, aBytes(attrIPSaddr, 1, 2, 3, 4, 5))) // malformed
	ev.send(event(cmdTunnelDelete, 0, 0, aU32(attrConnID, 5)))
	var kinds []string
	for e, err := range sub.All() {
		switch {
		case errors.Is(err, ErrEventsLost):
			kinds = append(kinds, "lost")
		case err != nil:
			kinds = append(kinds, "bad")
		default:
			kinds = append(kinds, e.Kind.String())
			sub.Close() // the last one: the iteration ends cleanly
		}
	}
	if diff := cmp.Diff([]string{"lost", "bad", "tunnel-delete"}, kinds); diff != "" {
		t.Errorf("unexpected sequence (-want +got):\n%s", diff)
	}
	if _, err := sub.Next(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Next after Close: got %v, want net.ErrClosed", err)
	}
	if err := sub.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestEventsEnd(t *testing.T) {
	tests := []struct {
		name string
		end  func(cancel context.CancelFunc, c *Conn, s *Subscription)
	}{
		{"context cancelled", func(cancel context.CancelFunc, _ *Conn, _ *Subscription) { cancel() }},
		{"subscription closed", func(_ context.CancelFunc, _ *Conn, s *Subscription) { s.Close() }},
		{"conn closed", func(_ context.CancelFunc, c *Conn, _ *Subscription) { c.Close() }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _, _ := newTestConn(t)
			cctx, cancel := context.WithCancel(ctx)
			defer cancel()
			sub, err := c.Events(cctx)
			if err != nil {
				t.Fatalf("Events: %v", err)
			}
			done := make(chan int)
			go func() {
				n := 0
				for range sub.All() {
					n++
				}
				done <- n
			}()
			time.Sleep(10 * time.Millisecond) // let it block in Receive
			tt.end(cancel, c, sub)
			select {
			case n := <-done:
				if n != 0 {
					t.Errorf("iteration yielded %d items, want none", n)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("iteration did not end")
			}
		})
	}
}
