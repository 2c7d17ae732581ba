package main

import (
	"context"
	"errors"
	"strings"

	"github.com/nl2tp/nl2tp/l2tp"
	"github.com/nl2tp/nl2tp/netlinkraw"
)

// l2tpBackend is the backend over the real l2tp client.
type l2tpBackend struct{ c *l2tp.Conn }

// netnsPath turns -n's argument into a path: a name is looked up under
// /run/netns as "ip netns" makes them.
func netnsPath(netns string) string {
	if netns == "" || strings.Contains(netns, "/") {
		return netns
	}
	return "/run/netns/" + netns
}

func dialL2TP(netns string) (backend, error) {
	c, err := l2tp.Dial(&l2tp.Config{NetNSPath: netnsPath(netns)})
	if err != nil {
		return nil, explain(err)
	}
	return &l2tpBackend{c}, nil
}

func (b *l2tpBackend) Close() error { return b.c.Close() }

func toTunnel(c *addTunnelCmd) l2tp.Tunnel {
	t := l2tp.Tunnel{
		ID:      c.TunnelID,
		PeerID:  c.PeerTunnelID,
		Version: c.Version,
		Encap:   l2tp.EncapType(c.Encap),
		Local:   c.Local,
		Remote:  c.Remote,
	}
	if c.Encap == encapUDP {
		t.LocalPort, t.RemotePort = c.UDPSport, c.UDPDport
		if c.Local.Is4() {
			t.UDPChecksum = c.UDPCsum
		} else {
			t.UDPZeroChecksum6TX, t.UDPZeroChecksum6RX = !c.UDP6CsumTx, !c.UDP6CsumRx
		}
	}
	return t
}

func toSession(c *addSessionCmd) l2tp.Session {
	return l2tp.Session{
		TunnelID:       c.TunnelID,
		ID:             c.SessionID,
		PeerID:         c.PeerSessionID,
		Pseudowire:     l2tp.PseudowireType(c.Pseudowire),
		Cookie:         c.Cookie,
		PeerCookie:     c.PeerCookie,
		L2Spec:         l2tp.L2SpecType(c.L2Spec),
		SendSeq:        c.SendSeq,
		RecvSeq:        c.RecvSeq,
		LNSMode:        c.LNSMode,
		ReorderTimeout: c.ReorderTimeout,
		InterfaceName:  c.Name,
	}
}

func fromStats(s *l2tp.Stats) stats {
	c := func(v uint64, m l2tp.StatsMask) counter { return counter{v, s.Present.Has(m)} }
	return stats{
		TxPackets:        c(s.TxPackets, l2tp.StatTxPackets),
		TxBytes:          c(s.TxBytes, l2tp.StatTxBytes),
		TxErrors:         c(s.TxErrors, l2tp.StatTxErrors),
		RxPackets:        c(s.RxPackets, l2tp.StatRxPackets),
		RxBytes:          c(s.RxBytes, l2tp.StatRxBytes),
		RxSeqDiscards:    c(s.RxSeqDiscards, l2tp.StatRxSeqDiscards),
		RxCookieDiscards: c(s.RxCookieDiscards, l2tp.StatRxCookieDiscards),
		RxOOSPackets:     c(s.RxOOSPackets, l2tp.StatRxOOSPackets),
		RxErrors:         c(s.RxErrors, l2tp.StatRxErrors),
		RxInvalid:        c(s.RxInvalid, l2tp.StatRxInvalid),
	}
}

func fromTunnel(t *l2tp.Tunnel) tunnel {
	return tunnel{
		ID:             t.ID,
		PeerID:         t.PeerID,
		Version:        t.Version,
		Encap:          encapType(t.Encap),
		Local:          t.Local,
		Remote:         t.Remote,
		LocalPort:      t.LocalPort,
		RemotePort:     t.RemotePort,
		UDPCsum:        t.UDPChecksum,
		UDP6ZeroCsumTx: t.UDPZeroChecksum6TX,
		UDP6ZeroCsumRx: t.UDPZeroChecksum6RX,
		Stats:          fromStats(&t.Stats),
	}
}

func fromSession(s *l2tp.Session) session {
	return session{
		TunnelID:       s.TunnelID,
		SessionID:      s.ID,
		PeerTunnelID:   s.PeerTunnelID,
		PeerSessionID:  s.PeerID,
		Pseudowire:     pwType(s.Pseudowire),
		Name:           s.InterfaceName,
		Cookie:         s.Cookie,
		PeerCookie:     s.PeerCookie,
		SendSeq:        s.SendSeq,
		RecvSeq:        s.RecvSeq,
		LNSMode:        s.LNSMode,
		ReorderTimeout: s.ReorderTimeout,
		Stats:          fromStats(&s.Stats),
	}
}

func (b *l2tpBackend) CreateTunnel(ctx context.Context, c *addTunnelCmd) error {
	_, err := b.c.CreateTunnel(ctx, toTunnel(c))
	return explain(err)
}

func (b *l2tpBackend) DeleteTunnel(ctx context.Context, c *delTunnelCmd) error {
	return explain(b.c.DeleteTunnel(ctx, c.TunnelID))
}

func (b *l2tpBackend) CreateSession(ctx context.Context, c *addSessionCmd) error {
	_, err := b.c.CreateSession(ctx, toSession(c))
	return explain(err)
}

func (b *l2tpBackend) DeleteSession(ctx context.Context, c *delSessionCmd) error {
	if c.Name != "" {
		return explain(b.c.DeleteSessionByName(ctx, c.Name))
	}
	return explain(b.c.DeleteSession(ctx, c.TunnelID, c.SessionID))
}

// ModifySession reads the session and writes it back with the changes,
// since the kernel sets all four modifiable settings at once.
func (b *l2tpBackend) ModifySession(ctx context.Context, c *modifySessionCmd) error {
	var s l2tp.Session
	var err error
	if c.Name != "" {
		s, err = b.c.GetSessionByName(ctx, c.Name)
	} else {
		s, err = b.c.GetSession(ctx, c.TunnelID, c.SessionID)
	}
	if err != nil {
		return explain(err)
	}
	if c.SendSeq != nil {
		s.SendSeq, s.RecvSeq = *c.SendSeq, *c.RecvSeq
	}
	if c.LNSMode != nil {
		s.LNSMode = *c.LNSMode
	}
	if c.ReorderTimeout != nil {
		s.ReorderTimeout = *c.ReorderTimeout
	}
	return explain(b.c.ModifySession(ctx, s))
}

func (b *l2tpBackend) Tunnels(ctx context.Context) ([]tunnel, error) {
	ts, err := b.c.ListTunnels(ctx)
	if err != nil {
		return nil, explain(err)
	}
	out := make([]tunnel, len(ts))
	for i := range ts {
		out[i] = fromTunnel(&ts[i])
	}
	return out, nil
}

func (b *l2tpBackend) Sessions(ctx context.Context) ([]session, error) {
	ss, err := b.c.ListSessions(ctx, l2tp.SessionFilter{})
	if err != nil {
		return nil, explain(err)
	}
	out := make([]session, len(ss))
	for i := range ss {
		out[i] = fromSession(&ss[i])
	}
	return out, nil
}

// Batch sends each run of consecutive ops of one kind with the l2tp batch
// call for that kind.
func (b *l2tpBackend) Batch(ctx context.Context, ops []command) ([]error, error) {
	results := make([]error, len(ops))
	for i := 0; i < len(ops); {
		j := i + 1
		for j < len(ops) && sameKind(ops[i], ops[j]) {
			j++
		}
		run := ops[i:j]
		var errs []error
		var err error
		switch run[0].(type) {
		case *addTunnelCmd:
			ts := make([]l2tp.Tunnel, len(run))
			for k, op := range run {
				ts[k] = toTunnel(op.(*addTunnelCmd))
			}
			errs, err = b.c.CreateTunnels(ctx, ts)
		case *delTunnelCmd:
			ids := make([]uint32, len(run))
			for k, op := range run {
				ids[k] = op.(*delTunnelCmd).TunnelID
			}
			errs, err = b.c.DeleteTunnels(ctx, ids)
		case *addSessionCmd:
			ss := make([]l2tp.Session, len(run))
			for k, op := range run {
				ss[k] = toSession(op.(*addSessionCmd))
			}
			errs, err = b.c.CreateSessions(ctx, ss)
		case *delSessionCmd:
			ss := make([]l2tp.Session, len(run))
			for k, op := range run {
				d := op.(*delSessionCmd)
				ss[k] = l2tp.Session{TunnelID: d.TunnelID, ID: d.SessionID, InterfaceName: d.Name}
			}
			errs, err = b.c.DeleteSessions(ctx, ss)
		default:
			return results, usageErr(run[0].op() + " cannot be batched")
		}
		for k := range run {
			if k < len(errs) {
				results[i+k] = explain(errs[k])
			}
		}
		if err != nil {
			return results, explain(err)
		}
		i = j
	}
	return results, nil
}

func sameKind(a, b command) bool {
	switch a.(type) {
	case *addTunnelCmd:
		_, ok := b.(*addTunnelCmd)
		return ok
	case *delTunnelCmd:
		_, ok := b.(*delTunnelCmd)
		return ok
	case *addSessionCmd:
		_, ok := b.(*addSessionCmd)
		return ok
	case *delSessionCmd:
		_, ok := b.(*delSessionCmd)
		return ok
	}
	return false
}

var eventKinds = map[l2tp.EventKind]eventKind{
	l2tp.EventTunnelCreate:  eventCreateTunnel,
	l2tp.EventTunnelDelete:  eventDeleteTunnel,
	l2tp.EventTunnelModify:  eventModifyTunnel,
	l2tp.EventSessionCreate: eventCreateSession,
	l2tp.EventSessionDelete: eventDeleteSession,
	l2tp.EventSessionModify: eventModifySession,
}

func (b *l2tpBackend) Monitor(ctx context.Context, fn func(event) error) error {
	sub, err := b.c.Events(ctx)
	if err != nil {
		return explain(err)
	}
	defer sub.Close()
	for ev, err := range sub.All() {
		var e event
		switch {
		case errors.Is(err, l2tp.ErrEventsLost):
			e.Lost = true
		case err != nil:
			return explain(err)
		default:
			k, ok := eventKinds[ev.Kind]
			if !ok {
				continue
			}
			e.Kind = k
			if ev.Kind.IsTunnel() {
				t := fromTunnel(&ev.Tunnel)
				e.Tunnel = &t
			} else {
				s := fromSession(&ev.Session)
				e.Session = &s
			}
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	return nil
}

// explained is an l2tp error reworded to follow the operation nl2tp names
// itself: "tunnel not found" rather than "l2tp: delete tunnel 999: tunnel
// not found: netlinkraw: request: no such device". It keeps the original
// error reachable for errors.Is and errors.As.
type explained struct {
	msg string
	err error
}

func (e *explained) Error() string { return e.msg }
func (e *explained) Unwrap() error { return e.err }

// explain rewords err (nil stays nil): the l2tp package's explanation if it
// has one, else the errno's text, then the kernel's extended-ACK message
// when there is one.
func explain(err error) error {
	if err == nil {
		return nil
	}
	s := err.Error()
	var ne *netlinkraw.Error
	hasKernel := errors.As(err, &ne)
	if hasKernel {
		if s == ne.Error() {
			s = ""
		}
		s = strings.TrimSuffix(s, ": "+ne.Error())
	}
	s = strings.TrimPrefix(s, "l2tp: ")
	// Drop the operation the l2tp package names ("delete tunnel 999"):
	// nl2tp names it already.
	for _, verb := range []string{"create ", "delete ", "modify ", "get ", "list ", "receive ", "subscribe "} {
		if strings.HasPrefix(s, verb) {
			if i := strings.Index(s, ": "); i >= 0 {
				s = s[i+2:]
			} else {
				s = ""
			}
			break
		}
	}
	if hasKernel {
		if s == "" && ne.Err != nil {
			s = ne.Err.Error()
		}
		if ne.Message != "" {
			s += ": " + ne.Message
		}
	}
	if s == "" {
		s = err.Error()
	}
	return &explained{msg: s, err: err}
}
