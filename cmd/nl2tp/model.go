package main

import (
	"context"
	"net/netip"
	"time"
)

// The values nl2tp prints and the operations it performs, in the CLI's own
// terms. The backend (l2tpbackend.go) translates them to and from the l2tp
// package; tests use a fake backend instead of a kernel.

// encapType is the tunnel encapsulation, with the kernel's values
// (L2TP_ENCAPTYPE_*).
type encapType uint16

const (
	encapUDP encapType = 0
	encapIP  encapType = 1
)

// pwType is the session's pseudowire type, with the kernel's values
// (L2TP_PWTYPE_*).
type pwType uint16

const (
	pwEth pwType = 5
	pwPPP pwType = 7
)

// l2specType is the layer-2-specific sublayer of an L2TPv3 session, with the
// kernel's values (L2TP_L2SPECTYPE_*).
type l2specType uint8

const (
	l2specNone    l2specType = 0
	l2specDefault l2specType = 1
)

// counter is one statistics counter; Valid is false when the kernel did not
// report it (kernels before 5.10 lack rx_errors and rx_invalid, for example).
type counter struct {
	Value uint64
	Valid bool
}

// stats holds the kernel's L2TP_ATTR_STATS counters.
type stats struct {
	TxPackets        counter
	TxBytes          counter
	TxErrors         counter
	RxPackets        counter
	RxBytes          counter
	RxSeqDiscards    counter
	RxCookieDiscards counter
	RxOOSPackets     counter
	RxErrors         counter
	RxInvalid        counter
}

// tunnel is a tunnel as the kernel reports it.
type tunnel struct {
	ID, PeerID     uint32
	Version        uint8 // L2TP protocol version: 2 or 3
	Encap          encapType
	Local, Remote  netip.Addr // invalid when the kernel reported none
	LocalPort      uint16
	RemotePort     uint16
	UDPCsum        bool // IPv4: UDP checksums enabled
	UDP6ZeroCsumTx bool // IPv6: zero (no) checksums sent
	UDP6ZeroCsumRx bool // IPv6: zero checksums accepted
	Stats          stats
}

// session is a session as the kernel reports it.
type session struct {
	TunnelID, SessionID         uint32
	PeerTunnelID, PeerSessionID uint32
	Pseudowire                  pwType
	Name                        string // interface name, "" if none
	Cookie, PeerCookie          []byte
	SendSeq, RecvSeq, LNSMode   bool
	ReorderTimeout              time.Duration
	Stats                       stats
}

// eventKind is one of the six multicast events.
type eventKind int

const (
	eventCreateTunnel eventKind = iota
	eventDeleteTunnel
	eventModifyTunnel
	eventCreateSession
	eventDeleteSession
	eventModifySession
)

var eventNames = [...]string{
	eventCreateTunnel:  "create_tunnel",
	eventDeleteTunnel:  "delete_tunnel",
	eventModifyTunnel:  "modify_tunnel",
	eventCreateSession: "create_session",
	eventDeleteSession: "delete_session",
	eventModifySession: "modify_session",
}

func (k eventKind) String() string {
	if k >= 0 && int(k) < len(eventNames) {
		return eventNames[k]
	}
	return "unknown"
}

// event is one multicast notification; exactly one of Tunnel and Session is
// set, matching Kind. Lost is set (and nothing else) when the kernel dropped
// events because the socket's receive buffer overflowed.
type event struct {
	Kind    eventKind
	Tunnel  *tunnel
	Session *session
	Lost    bool
}

// backend is what run needs from the kernel: an unexported seam over the
// l2tp client so that run can be tested with a fake.
//
// Errors returned by the operations should read well after
// "<operation>: ", e.g. "tunnel not found".
type backend interface {
	CreateTunnel(ctx context.Context, t *addTunnelCmd) error
	DeleteTunnel(ctx context.Context, t *delTunnelCmd) error
	CreateSession(ctx context.Context, s *addSessionCmd) error
	DeleteSession(ctx context.Context, s *delSessionCmd) error
	ModifySession(ctx context.Context, m *modifySessionCmd) error
	Tunnels(ctx context.Context) ([]tunnel, error)
	Sessions(ctx context.Context) ([]session, error)
	// Batch performs ops (each an *addTunnelCmd, *delTunnelCmd,
	// *addSessionCmd or *delSessionCmd) in as few netlink batches as it
	// can and returns one error (nil for success) per op. The error
	// return is for a failure of the batch as a whole.
	Batch(ctx context.Context, ops []command) ([]error, error)
	// Monitor calls fn for every event until ctx is done (then it returns
	// nil), fn returns an error, or receiving fails.
	Monitor(ctx context.Context, fn func(event) error) error
	Close() error
}

// dialFunc opens a backend in the network namespace named by netns: "" for
// the current one, a path (containing '/') to a namespace file, or a name
// under /run/netns.
type dialFunc func(netns string) (backend, error)
