package l2tp

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/nl2tp/nl2tp/internal/text"
	"github.com/nl2tp/nl2tp/netlinkraw"
)

// Config holds the options of Dial. A nil *Config means defaults: the
// caller's network namespace and the kernel's default receive buffer.
type Config struct {
	// NetNS is a file descriptor of the network namespace to work in; 0
	// means the caller's. The kernel's L2TP objects live in the namespace
	// of the netlink socket, so every tunnel and session this Conn
	// creates, lists or receives events about belongs to it. Dial does not
	// close the descriptor.
	NetNS int

	// NetNSPath names the network namespace instead, such as
	// /run/netns/blue or /proc/PID/ns/net. Ignored when NetNS is set.
	NetNSPath string

	// ReceiveBufferSize sets the receive buffer of the sockets (the
	// request socket and each event subscription's); 0 keeps the kernel's
	// default. A daemon that must not lose events under load raises it.
	ReceiveBufferSize int
}

// transport is what Conn needs from a netlink socket: *netlinkraw.Conn in
// production, the fake kernel in tests. The messages given to it hold a
// zero sequence number and port ID, which it fills in; it adds
// NLM_F_REQUEST and NLM_F_ACK (Request, Batch) or NLM_F_DUMP (Dump).
type transport interface {
	Request(ctx context.Context, msg []byte, fn func(netlinkraw.Header, []byte) error) error
	Dump(ctx context.Context, msg []byte, fn func(netlinkraw.Header, []byte) error) error
	Batch(ctx context.Context, msgs []byte) ([]error, error)
	Receive(ctx context.Context, fn func(netlinkraw.Header, []byte) error) error
	PortID() uint32
	Close() error
}

// A Conn is a connection to the kernel's L2TP generic netlink family in one
// network namespace.
//
// A Conn is safe for concurrent use by several goroutines; requests are
// exchanged with the kernel one at a time. Event subscriptions use sockets
// of their own (see Events). After Close, every method returns an error
// matching net.ErrClosed.
type Conn struct {
	t      transport
	family uint16 // generic netlink family ID of "l2tp"
	group  uint32 // multicast group ID of "l2tp"

	// dialEvents opens a socket subscribed to group.
	dialEvents func() (transport, error)

	closed atomic.Bool
	mu     sync.Mutex
	subs   map[*Subscription]struct{} // open subscriptions; guarded by mu
}

// newConn wraps a transport; Dial and the tests call it.
func newConn(t transport, family uint16, group uint32, dialEvents func() (transport, error)) *Conn {
	return &Conn{t: t, family: family, group: group, dialEvents: dialEvents, subs: make(map[*Subscription]struct{})}
}

// Close closes the Conn and every event subscription made from it. It is
// idempotent: later calls return nil.
func (c *Conn) Close() error {
	if c == nil || c.t == nil || c.closed.Swap(true) {
		return nil
	}
	c.mu.Lock()
	subs := c.subs
	c.subs = nil
	c.mu.Unlock()
	for s := range subs {
		s.Close()
	}
	if err := c.t.Close(); err != nil {
		return text.Wrap("l2tp: close: ", err, "")
	}
	return nil
}

// PortID returns the netlink port ID of the Conn's request socket. Events
// caused by this Conn's requests carry it in Event.PortID, which tells a
// daemon its own changes from others'. It returns 0 for a Conn not made by
// Dial.
func (c *Conn) PortID() uint32 {
	if c == nil || c.t == nil {
		return 0
	}
	return c.t.PortID()
}

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

// request builds a message with build and sends it as one request. fn, if
// not nil, is called for each reply message with its generic netlink
// command and attributes, which alias the receive buffer.
func (c *Conn) request(ctx context.Context, op string, build func(*netlinkraw.Encoder), fn func(command, []byte) error) error {
	return c.exchange(ctx, op, false, build, fn)
}

// dump is request with NLM_F_DUMP.
func (c *Conn) dump(ctx context.Context, op string, build func(*netlinkraw.Encoder), fn func(command, []byte) error) error {
	return c.exchange(ctx, op, true, build, fn)
}

// usable returns the error for a call on a Conn that cannot serve it:
// closed, or not made by Dial.
func (c *Conn) usable(op string) error {
	switch {
	case c == nil || c.t == nil:
		return &opError{op: op, err: errNoDial}
	case c.closed.Load():
		return errClosed(op)
	}
	return nil
}

var errNoDial = errors.New("the Conn was not made by Dial")

func (c *Conn) exchange(ctx context.Context, op string, dump bool, build func(*netlinkraw.Encoder), fn func(command, []byte) error) error {
	if err := c.usable(op); err != nil {
		return err
	}
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	var e netlinkraw.Encoder
	e.Reset(*bp)
	build(&e)
	msg, err := e.Encoded()
	*bp = msg[:0]
	if err != nil {
		return text.Wrap("l2tp: "+op+": encoding: ", err, "")
	}
	var cb func(netlinkraw.Header, []byte) error
	if fn != nil {
		cb = func(_ netlinkraw.Header, payload []byte) error {
			gh, attrs, err := netlinkraw.ParseGenlHeader(payload)
			if err != nil {
				return text.Wrap("l2tp: "+op+": reply: ", err, "")
			}
			return fn(command(gh.Command), attrs)
		}
	}
	if dump {
		return c.t.Dump(ctx, msg, cb)
	}
	return c.t.Request(ctx, msg, cb)
}

// batch builds the messages of the n items whose results are still nil
// with build and sends them as one batch. wrap maps the kernel's error for
// item i.
func (c *Conn) batch(ctx context.Context, op string, n int, results []error,
	build func(e *netlinkraw.Encoder, i int), wrap func(i int, err error) error) ([]error, error) {
	if err := c.usable(op); err != nil {
		for i := range results {
			if results[i] == nil {
				results[i] = err
			}
		}
		return results, err
	}
	var e netlinkraw.Encoder
	e.Reset(make([]byte, 0, 128*n))
	sent := make([]int, 0, n) // item index of each message
	for i := range n {
		if results[i] != nil {
			continue
		}
		build(&e, i)
		sent = append(sent, i)
	}
	msgs, err := e.Encoded()
	if err != nil {
		err = text.Wrap("l2tp: "+op+": encoding: ", err, "")
		for _, i := range sent {
			results[i] = err
		}
		return results, err
	}
	if len(sent) == 0 {
		return results, nil
	}
	errs, terr := c.t.Batch(ctx, msgs)
	if terr != nil {
		terr = text.Wrap("l2tp: "+op+": ", terr, "")
	}
	for k, i := range sent {
		switch {
		case k < len(errs) && errs[k] != nil:
			results[i] = wrap(i, errs[k])
		case k >= len(errs) && terr != nil:
			results[i] = terr
		}
	}
	return results, terr
}

// Noop sends L2TP_CMD_NOOP, which needs no privilege: a cheap check that
// the family answers.
func (c *Conn) Noop(ctx context.Context) error {
	err := c.request(ctx, "noop", func(e *netlinkraw.Encoder) {
		e.EndMessage(beginMessage(e, c.family, cmdNoop))
	}, nil)
	return c.wrapPlain("noop", err)
}

// CreateTunnel creates a static tunnel: the kernel makes and owns its
// socket, from t's addresses and ports. It returns the tunnel as the kernel
// reports it afterwards (with the local port it chose, if t.LocalPort was
// zero). t is checked before anything is sent; errors name the field and
// the rule and match ErrInvalid.
//
// An ID in use gives an error matching fs.ErrExist.
func (c *Conn) CreateTunnel(ctx context.Context, t Tunnel) (Tunnel, error) {
	if err := validateTunnel(&t, false); err != nil {
		return Tunnel{}, err
	}
	err := c.request(ctx, "create tunnel", func(e *netlinkraw.Encoder) {
		encodeTunnelCreate(e, c.family, &t, -1)
	}, nil)
	if err != nil {
		return Tunnel{}, c.wrap("create", tunnelCreateObj(&t, false), err)
	}
	return c.readBack(ctx, t.ID)
}

// CreateManagedTunnel creates a tunnel on sock, a bound and connected
// datagram socket such as NewTunnelSocket makes (an *os.File, a
// *net.UDPConn, ...). The kernel takes the addresses, ports and checksum
// settings from the socket, so those fields of t are ignored: the same t
// can serve NewTunnelSocket and CreateManagedTunnel. Closing the socket
// destroys the tunnel. It returns the tunnel as the kernel reports it
// afterwards.
func (c *Conn) CreateManagedTunnel(ctx context.Context, t Tunnel, sock syscall.Conn) (Tunnel, error) {
	if err := validateTunnel(&t, true); err != nil {
		return Tunnel{}, err
	}
	if sock == nil {
		return Tunnel{}, invalid("tunnel " + text.Itoa(t.ID) + ": a managed tunnel needs a socket")
	}
	rc, err := sock.SyscallConn()
	if err != nil {
		return Tunnel{}, text.Wrap("l2tp: create tunnel "+text.Itoa(t.ID)+": socket: ", err, "")
	}
	// The request is made inside Control, so the descriptor stays open
	// while the kernel looks it up.
	cerr := rc.Control(func(fd uintptr) {
		err = c.request(ctx, "create tunnel", func(e *netlinkraw.Encoder) {
			encodeTunnelCreate(e, c.family, &t, int(fd))
		}, nil)
	})
	if cerr != nil {
		return Tunnel{}, text.Wrap("l2tp: create tunnel "+text.Itoa(t.ID)+": socket: ", cerr, "")
	}
	if err != nil {
		return Tunnel{}, c.wrap("create", tunnelCreateObj(&t, true), err)
	}
	return c.readBack(ctx, t.ID)
}

// readBack gets a tunnel just created.
func (c *Conn) readBack(ctx context.Context, id uint32) (Tunnel, error) {
	t, err := c.GetTunnel(ctx, id)
	if err != nil {
		return Tunnel{}, text.Wrap("l2tp: tunnel "+text.Itoa(id)+" was created, but reading it back failed: ", err, "")
	}
	return t, nil
}

// DeleteTunnel deletes a tunnel and all its sessions. The kernel tears it
// down asynchronously: creating a tunnel with the same ID at once may
// briefly fail with an error matching fs.ErrExist. A missing tunnel gives
// an error matching ErrNotFound.
func (c *Conn) DeleteTunnel(ctx context.Context, id uint32) error {
	if id == 0 {
		return invalid("tunnel: ID must not be zero")
	}
	err := c.request(ctx, "delete tunnel", func(e *netlinkraw.Encoder) {
		encodeTunnelID(e, c.family, cmdTunnelDelete, id)
	}, nil)
	return c.wrap("delete", tunnelObj(id), err)
}

// ModifyTunnel sets a tunnel's debug flags, the only setting the kernel
// lets one change. Kernels since 5.10 ignore the flags but still announce a
// tunnel-modify event.
func (c *Conn) ModifyTunnel(ctx context.Context, id uint32, debug DebugFlags) error {
	if id == 0 {
		return invalid("tunnel: ID must not be zero")
	}
	err := c.request(ctx, "modify tunnel", func(e *netlinkraw.Encoder) {
		encodeTunnelModify(e, c.family, id, debug)
	}, nil)
	return c.wrap("modify", tunnelObj(id), err)
}

// GetTunnel returns a tunnel, with its statistics. A missing tunnel gives
// an error matching ErrNotFound.
func (c *Conn) GetTunnel(ctx context.Context, id uint32) (Tunnel, error) {
	if id == 0 {
		return Tunnel{}, invalid("tunnel: ID must not be zero")
	}
	var t Tunnel
	n := 0
	err := c.request(ctx, "get tunnel", func(e *netlinkraw.Encoder) {
		encodeTunnelID(e, c.family, cmdTunnelGet, id)
	}, func(_ command, attrs []byte) error {
		n++
		return decodeTunnel(attrs, &t)
	})
	if err != nil {
		return Tunnel{}, c.wrap("get", tunnelObj(id), err)
	}
	if n == 0 {
		return Tunnel{}, errors.New("l2tp: get tunnel " + text.Itoa(id) + ": the kernel sent no tunnel")
	}
	return t, nil
}

// ListTunnels returns every tunnel in the Conn's network namespace.
func (c *Conn) ListTunnels(ctx context.Context) ([]Tunnel, error) {
	var ts []Tunnel
	err := c.dump(ctx, "list tunnels", func(e *netlinkraw.Encoder) {
		encodeDump(e, c.family, cmdTunnelGet)
	}, func(_ command, attrs []byte) error {
		var t Tunnel
		if err := decodeTunnel(attrs, &t); err != nil {
			return err
		}
		ts = append(ts, t)
		return nil
	})
	if err != nil {
		return nil, c.wrapPlain("list tunnels", err)
	}
	return ts, nil
}

// tunnelVersion returns the L2TP version of a tunnel, which session checks
// need.
func (c *Conn) tunnelVersion(ctx context.Context, id uint32) (uint8, error) {
	t, err := c.GetTunnel(ctx, id)
	if err != nil {
		return 0, err
	}
	return t.Version, nil
}

// CreateSession creates a session in tunnel s.TunnelID. It first gets the
// tunnel, to check s against its L2TP version, and afterwards gets the
// session, which it returns as the kernel reports it (with the interface
// name the kernel chose, if s.InterfaceName was empty).
//
// s is checked before anything is sent; errors name the field and the rule
// and match ErrInvalid. A missing tunnel gives an error matching
// ErrNotFound; a session ID or interface name in use one matching
// fs.ErrExist; a pseudowire the kernel lacks (its module l2tp_eth or
// l2tp_ppp not loaded, or not implemented at all) one matching
// errors.ErrUnsupported.
func (c *Conn) CreateSession(ctx context.Context, s Session) (Session, error) {
	if err := validateSession(&s, 0); err != nil {
		return Session{}, err
	}
	obj := sessionCreateObj(&s)
	v, err := c.tunnelVersion(ctx, s.TunnelID)
	if err != nil {
		if kernelErrno(err) != 0 {
			// Say "create session ...: tunnel 5 not found".
			err = wrapErr("create", obj, unwrapOp(err))
		}
		return Session{}, err
	}
	if err := validateSession(&s, v); err != nil {
		return Session{}, err
	}
	err = c.request(ctx, "create session", func(e *netlinkraw.Encoder) {
		encodeSessionCreate(e, c.family, &s, v)
	}, nil)
	if err != nil {
		return Session{}, c.wrap("create", obj, err)
	}
	got, err := c.GetSession(ctx, s.TunnelID, s.ID)
	if err != nil {
		return Session{}, text.Wrap("l2tp: session "+text.Itoa(s.ID)+" in tunnel "+text.Itoa(s.TunnelID)+" was created, but reading it back failed: ", err, "")
	}
	return got, nil
}

// unwrapOp returns the transport error inside an error of this package,
// so that it can be wrapped again for another operation.
func unwrapOp(err error) error {
	var oe *opError
	if errors.As(err, &oe) {
		return oe.err
	}
	return err
}

// DeleteSession deletes a session. A missing session or tunnel gives an
// error matching ErrNotFound.
func (c *Conn) DeleteSession(ctx context.Context, tunnelID, id uint32) error {
	return c.deleteSession(ctx, tunnelID, id, "")
}

// DeleteSessionByName deletes the session whose interface is ifname.
func (c *Conn) DeleteSessionByName(ctx context.Context, ifname string) error {
	if ifname == "" {
		return invalid("session: InterfaceName must not be empty")
	}
	return c.deleteSession(ctx, 0, 0, ifname)
}

func (c *Conn) deleteSession(ctx context.Context, tunnelID, id uint32, ifname string) error {
	if err := checkSessionRef(tunnelID, id, ifname); err != nil {
		return err
	}
	err := c.request(ctx, "delete session", func(e *netlinkraw.Encoder) {
		encodeSessionRef(e, c.family, cmdSessionDelete, tunnelID, id, ifname)
	}, nil)
	return c.wrap("delete", sessionObj(tunnelID, id, ifname), err)
}

// ModifySession changes the settings of an existing session that the
// kernel lets one change: SendSeq, RecvSeq, LNSMode and ReorderTimeout, all
// four set to s's values. The session is found by s.TunnelID and s.ID when
// both are set, else by s.InterfaceName; s's other fields are ignored. The
// usual pattern is GetSession, change, ModifySession.
func (c *Conn) ModifySession(ctx context.Context, s Session) error {
	ifname := ""
	if s.TunnelID == 0 && s.ID == 0 {
		ifname = s.InterfaceName
	}
	if err := checkSessionRef(s.TunnelID, s.ID, ifname); err != nil {
		return err
	}
	obj := sessionObj(s.TunnelID, s.ID, ifname)
	if err := checkReorder(obj.String(), s.ReorderTimeout); err != nil {
		return err
	}
	err := c.request(ctx, "modify session", func(e *netlinkraw.Encoder) {
		encodeSessionModify(e, c.family, &s, ifname)
	}, nil)
	return c.wrap("modify", obj, err)
}

// GetSession returns a session, with its statistics. A missing session or
// tunnel gives an error matching ErrNotFound.
func (c *Conn) GetSession(ctx context.Context, tunnelID, id uint32) (Session, error) {
	return c.getSession(ctx, tunnelID, id, "")
}

// GetSessionByName returns the session whose interface is ifname.
func (c *Conn) GetSessionByName(ctx context.Context, ifname string) (Session, error) {
	if ifname == "" {
		return Session{}, invalid("session: InterfaceName must not be empty")
	}
	return c.getSession(ctx, 0, 0, ifname)
}

func (c *Conn) getSession(ctx context.Context, tunnelID, id uint32, ifname string) (Session, error) {
	if err := checkSessionRef(tunnelID, id, ifname); err != nil {
		return Session{}, err
	}
	obj := sessionObj(tunnelID, id, ifname)
	var s Session
	n := 0
	err := c.request(ctx, "get session", func(e *netlinkraw.Encoder) {
		encodeSessionRef(e, c.family, cmdSessionGet, tunnelID, id, ifname)
	}, func(_ command, attrs []byte) error {
		n++
		return decodeSession(attrs, &s)
	})
	if err != nil {
		return Session{}, c.wrap("get", obj, err)
	}
	if n == 0 {
		return Session{}, errors.New("l2tp: get " + obj.String() + ": the kernel sent no session")
	}
	return s, nil
}

// ListSessions returns the sessions that f selects, in every tunnel of the
// Conn's network namespace. The kernel ignores filters in dumps, so the
// filtering happens here, before a session is copied out.
func (c *Conn) ListSessions(ctx context.Context, f SessionFilter) ([]Session, error) {
	l := sessionList{f: f}
	err := c.dump(ctx, "list sessions", func(e *netlinkraw.Encoder) {
		encodeDump(e, c.family, cmdSessionGet)
	}, func(_ command, attrs []byte) error {
		return l.add(attrs)
	})
	ss := l.sessions()
	if err != nil {
		return nil, c.wrapPlain("list sessions", err)
	}
	return ss, nil
}

// wrap maps err of verb on o; nil stays nil. Errors of this package (a
// closed Conn, a decoding failure) pass unchanged.
func (c *Conn) wrap(verb string, o object, err error) error {
	if err == nil || isOwn(err) {
		return err
	}
	return wrapErr(verb, o, err)
}

// wrapPlain prefixes err with op unless it is already an error of this
// package.
func (c *Conn) wrapPlain(op string, err error) error {
	if err == nil || isOwn(err) {
		return err
	}
	return &opError{op: op, err: err}
}

// isOwn reports an error of this package, which already says what failed.
func isOwn(err error) bool {
	var oe *opError
	var ie *invalidError
	return errors.As(err, &oe) || errors.As(err, &ie)
}
