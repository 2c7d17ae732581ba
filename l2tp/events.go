package l2tp

import (
	"context"
	"errors"
	"iter"
	"net"
	"sync"
	"sync/atomic"

	"github.com/nl2tp/nl2tp/netlinkraw"
)

// ErrEventsLost reports that the kernel dropped events because the
// subscription's receive buffer was full (ENOBUFS). The subscription stays
// usable; the caller should resynchronise, for example with ListTunnels and
// ListSessions. Raise Config.ReceiveBufferSize to make it rarer.
var ErrEventsLost = netlinkraw.ErrEventsLost

// A Subscription receives the events of the kernel's l2tp multicast group
// on a socket of its own. Make one with Conn.Events.
//
// The kernel sends events to subscribers in every network namespace, so a
// subscription may see events about other namespaces' tunnels. It does not
// announce tunnels and sessions made or destroyed through PPPoL2TP
// sockets, tunnels destroyed by closing their managed socket, nor sessions
// removed implicitly with their tunnel.
//
// Next and All are for one goroutine at a time; Close may be called from
// any goroutine, at any time.
type Subscription struct {
	c      *Conn
	t      transport
	ctx    context.Context
	family uint16
	closed atomic.Bool

	mu    sync.Mutex // serialises Next
	queue []eventOrErr
}

type eventOrErr struct {
	ev  Event
	err error
}

// Events subscribes to the kernel's L2TP events. The subscription is in
// place when Events returns, so a change made afterwards is seen. It ends
// when ctx is done, when it is closed, or when the Conn is closed.
func (c *Conn) Events(ctx context.Context) (*Subscription, error) {
	if err := c.usable("subscribe to events"); err != nil {
		return nil, err
	}
	if c.dialEvents == nil {
		return nil, &opError{op: "subscribe to events", err: errors.ErrUnsupported}
	}
	t, err := c.dialEvents()
	if err != nil {
		return nil, c.wrapPlain("subscribe to events", err)
	}
	s := &Subscription{c: c, t: t, ctx: ctx, family: c.family}
	c.mu.Lock()
	if c.subs == nil { // closed meanwhile
		c.mu.Unlock()
		t.Close()
		return nil, errClosed("subscribe to events")
	}
	c.subs[s] = struct{}{}
	c.mu.Unlock()
	return s, nil
}

// Close ends the subscription and closes its socket. It is idempotent and
// unblocks a Next in progress.
func (s *Subscription) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	s.c.mu.Lock()
	delete(s.c.subs, s)
	s.c.mu.Unlock()
	return s.t.Close()
}

// errEnded is returned by Next once the subscription has ended.
var errEnded = &opError{op: "receive events", err: net.ErrClosed}

// Next waits for the next event. An error matching ErrEventsLost means
// events were dropped; the subscription goes on. Once the subscription has
// ended (closed, or its context done) Next returns an error matching
// net.ErrClosed, or the context's error.
func (s *Subscription) Next() (Event, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for len(s.queue) == 0 {
		if err := s.ended(); err != nil {
			return Event{}, err
		}
		err := s.t.Receive(s.ctx, func(h netlinkraw.Header, payload []byte) error {
			s.add(h, payload)
			return nil
		})
		if err != nil {
			if end := s.ended(); end != nil {
				return Event{}, end
			}
			if errors.Is(err, netlinkraw.ErrEventsLost) {
				return Event{}, &opError{op: "receive events", err: err}
			}
			return Event{}, s.c.wrapPlain("receive events", err)
		}
	}
	e := s.queue[0]
	s.queue[0] = eventOrErr{}
	s.queue = s.queue[1:]
	return e.ev, e.err
}

// ended returns the error that ends the subscription, or nil.
func (s *Subscription) ended() error {
	if s.closed.Load() || s.c.closed.Load() {
		return errEnded
	}
	return s.ctx.Err()
}

// add decodes an event message into the queue; other messages are dropped.
func (s *Subscription) add(h netlinkraw.Header, payload []byte) {
	if h.Type != s.family {
		return
	}
	gh, attrs, err := netlinkraw.ParseGenlHeader(payload)
	if err != nil {
		s.queue = append(s.queue, eventOrErr{err: &opError{op: "decoding event", err: err, decoding: true}})
		return
	}
	ev := Event{PortID: h.PortID, Seq: h.Seq}
	switch command(gh.Command) {
	case cmdTunnelCreate:
		ev.Kind = EventTunnelCreate
	case cmdTunnelDelete:
		ev.Kind = EventTunnelDelete
	case cmdTunnelModify:
		ev.Kind = EventTunnelModify
	case cmdSessionCreate:
		ev.Kind = EventSessionCreate
	case cmdSessionDelete:
		ev.Kind = EventSessionDelete
	case cmdSessionModify:
		ev.Kind = EventSessionModify
	default:
		return // not an event
	}
	if ev.Kind.IsTunnel() {
		err = decodeTunnel(attrs, &ev.Tunnel)
	} else {
		err = decodeSession(attrs, &ev.Session)
	}
	if err != nil {
		s.queue = append(s.queue, eventOrErr{err: err})
		return
	}
	s.queue = append(s.queue, eventOrErr{ev: ev})
}

// All returns an iterator over the events, for use with range. It yields
// an error matching ErrEventsLost, or one that failed to decode, and goes
// on; it ends cleanly, with no error, when the subscription ends (closed,
// or its context done), and after yielding any other error.
//
//	for ev, err := range sub.All() {
//		if err != nil { ... }
//	}
func (s *Subscription) All() iter.Seq2[Event, error] {
	return func(yield func(Event, error) bool) {
		for {
			ev, err := s.Next()
			if err != nil && s.ended() != nil {
				return
			}
			if !yield(ev, err) {
				return
			}
			if err != nil && !errors.Is(err, ErrEventsLost) && !isDecodeErr(err) {
				return
			}
		}
	}
}

// isDecodeErr reports an error about one malformed event, after which the
// subscription goes on.
func isDecodeErr(err error) bool {
	var oe *opError
	return errors.As(err, &oe) && oe.decoding
}
