package l2tp

import (
	"net/netip"
	"strconv"
	"time"
)

// A Tunnel describes an L2TP tunnel: what CreateTunnel and
// CreateManagedTunnel take, and what GetTunnel, ListTunnels and tunnel
// events report.
type Tunnel struct {
	ID      uint32 // local tunnel (connection) ID; 1 to 65535 for L2TPv2
	PeerID  uint32 // the peer's tunnel ID; 1 to 65535 for L2TPv2
	Version uint8  // L2TP version: 2 or 3

	// Encap is the encapsulation: EncapUDP (the zero value) or EncapIP.
	// L2TPv2 runs over UDP only.
	Encap EncapType

	// Local and Remote are the tunnel's addresses: both IPv4 or both IPv6.
	// A static tunnel needs both; a managed tunnel takes them from its
	// socket and must leave them unset. Reported when the tunnel has a
	// socket.
	Local, Remote netip.Addr

	// LocalPort and RemotePort are the UDP ports of a UDP tunnel; they
	// must be zero with IP encapsulation. A zero LocalPort lets the kernel
	// pick one.
	LocalPort, RemotePort uint16

	// UDPChecksum enables UDP checksums on transmit (IPv4 UDP tunnels
	// only; the kernel's default is off).
	UDPChecksum bool

	// UDPZeroChecksum6TX sends zero UDP checksums and UDPZeroChecksum6RX
	// accepts them (IPv6 UDP tunnels only).
	UDPZeroChecksum6TX, UDPZeroChecksum6RX bool

	// Debug holds the tunnel's debug flags. Kernels since 5.10 ignore them
	// and always report 0.
	Debug DebugFlags

	// Stats holds the tunnel's counters. Reported only; ignored when
	// creating a tunnel.
	Stats Stats
}

// A Session describes an L2TP session: what CreateSession takes, and what
// GetSession, ListSessions and session events report.
type Session struct {
	TunnelID uint32 // the local ID of the tunnel that carries the session
	ID       uint32 // local session ID; 1 to 65535 for L2TPv2
	PeerID   uint32 // the peer's session ID; 1 to 65535 for L2TPv2

	// PeerTunnelID is the peer's ID of the parent tunnel. Reported only.
	PeerTunnelID uint32

	// Pseudowire is the session's pseudowire type. The kernel implements
	// PseudowireEth (module l2tp_eth, L2TPv3 only) and PseudowirePPP
	// (module l2tp_ppp).
	Pseudowire PseudowireType

	// Cookie is the cookie the session puts in the packets it sends
	// (L2TP_ATTR_COOKIE) and PeerCookie the one it requires in the packets
	// it receives (L2TP_ATTR_PEER_COOKIE); a received packet with another
	// cookie is dropped and counted in RxCookieDiscards. Each is 0, 4 or 8
	// bytes, L2TPv3 only. The real-kernel data-plane test pins this down.
	Cookie, PeerCookie []byte

	// L2Spec is the L2-specific sublayer (L2TPv3 only). The zero value,
	// L2SpecNone, means no sublayer; note that the kernel's own default,
	// used by iproute2, is L2SpecDefault. The kernel never reports it, so
	// decoded sessions always hold L2SpecNone.
	L2Spec L2SpecType

	SendSeq bool // send sequence numbers
	RecvSeq bool // require sequence numbers on received packets
	LNSMode bool // act as LNS: the peer follows our sequence number setting

	// ReorderTimeout is how long to hold out-of-order packets for
	// reordering; zero disables reordering. Whole milliseconds on the
	// wire; the kernel keeps it in jiffies, so it reads back rounded up
	// to a tick (250ms reads back as 252ms where HZ is 250).
	ReorderTimeout time.Duration

	// InterfaceName is the name of the session's network interface
	// (L2TPv3 only, at most 15 bytes). Left empty at creation, the kernel
	// picks one, such as l2tpeth0, by scanning every interface of the
	// namespace for the lowest free number: where thousands of sessions
	// are made, naming them makes creation nearly twice as fast
	// (docs/kernel-findings.md).
	InterfaceName string

	// UsingIPSec reports that the session's packets go through IPsec.
	// Reported only.
	UsingIPSec bool

	// Debug holds the session's debug flags. Kernels since 5.10 ignore
	// them.
	Debug DebugFlags

	// Stats holds the session's counters. Reported only.
	Stats Stats
}

// Stats holds the counters of a tunnel or session. Every counter is
// optional (kernels before 5.10 do not report RxCookieDiscards and
// RxInvalid): Present says which ones the kernel reported.
type Stats struct {
	TxPackets        uint64
	TxBytes          uint64
	TxErrors         uint64
	RxPackets        uint64
	RxBytes          uint64
	RxSeqDiscards    uint64 // dropped for a bad sequence number
	RxCookieDiscards uint64 // dropped for a wrong cookie (since 5.10)
	RxOOSPackets     uint64 // received out of sequence
	RxErrors         uint64
	RxInvalid        uint64 // malformed packets (since 5.10)

	Present StatsMask // which of the counters above the kernel reported
}

// StatsMask is a set of Stats counters.
type StatsMask uint16

// The counters of Stats.
const (
	StatTxPackets StatsMask = 1 << iota
	StatTxBytes
	StatTxErrors
	StatRxPackets
	StatRxBytes
	StatRxSeqDiscards
	StatRxCookieDiscards
	StatRxOOSPackets
	StatRxErrors
	StatRxInvalid

	// StatAll is every counter, as kernels since 5.10 report them.
	StatAll StatsMask = 1<<iota - 1
)

// Has reports whether every counter in x is in m.
func (m StatsMask) Has(x StatsMask) bool { return m&x == x }

// SessionFilter selects sessions for ListSessions. Its zero value selects
// every session. The kernel ignores filters in dumps, so the filtering
// happens in this package, before any session is copied out.
type SessionFilter struct {
	TunnelID      uint32 // only sessions of this tunnel, if not zero
	InterfaceName string // only the session with this interface, if not empty
}

func (f SessionFilter) match(tunnelID uint32, ifname []byte) bool {
	if f.TunnelID != 0 && f.TunnelID != tunnelID {
		return false
	}
	if f.InterfaceName != "" && f.InterfaceName != string(ifname) {
		return false
	}
	return true
}

// EventKind says what an Event reports.
type EventKind uint8

// The six kinds of events the kernel multicasts.
const (
	EventTunnelCreate EventKind = iota + 1
	EventTunnelDelete
	EventTunnelModify
	EventSessionCreate
	EventSessionDelete
	EventSessionModify
)

var eventKindNames = [...]string{
	EventTunnelCreate:  "tunnel-create",
	EventTunnelDelete:  "tunnel-delete",
	EventTunnelModify:  "tunnel-modify",
	EventSessionCreate: "session-create",
	EventSessionDelete: "session-delete",
	EventSessionModify: "session-modify",
}

// String returns a name such as "session-create".
func (k EventKind) String() string {
	if int(k) < len(eventKindNames) && eventKindNames[k] != "" {
		return eventKindNames[k]
	}
	return "EventKind(" + strconv.Itoa(int(k)) + ")"
}

// IsTunnel reports whether the event is about a tunnel (else a session).
func (k EventKind) IsTunnel() bool {
	return k == EventTunnelCreate || k == EventTunnelDelete || k == EventTunnelModify
}

// An Event is a change the kernel announced on the l2tp multicast group.
// It carries the full object, as the kernel reports it: Tunnel for the
// tunnel kinds, Session for the session kinds.
type Event struct {
	Kind    EventKind
	Tunnel  Tunnel
	Session Session

	// PortID and Seq are the netlink port ID and sequence number of the
	// request that caused the event. Comparing PortID with Conn.PortID
	// tells a daemon its own changes from others'.
	PortID uint32
	Seq    uint32
}
