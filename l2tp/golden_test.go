package l2tp

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nl2tp/nl2tp/netlinkraw"
)

// The golden tests replay netlink datagrams captured from Debian's 6.1 and
// 6.12 kernels (../testdata/<line>/, made by `make golden`; see
// ../testdata/README.md): each reply and event must decode to the value
// written out below, each request nl2tp made must be made again byte for
// byte, and each request iproute2 made must have the attributes nl2tp
// sends for the same configuration. The generic netlink family ID differs
// per boot: nothing here depends on it.

// goldenLines are the kernel lines captured.
var goldenLines = []string{"6.1", "6.12"}

var goldenCmp = cmp.Options{cmp.Comparer(func(a, b netip.Addr) bool { return a == b })}

var (
	goldenLo4 = netip.MustParseAddr("127.0.0.1")
	goldenLo6 = netip.MustParseAddr("::1")
)

// goldenZero are the counters of an object that carried no traffic: all
// ten reported, all zero, on both kernels.
var goldenZero = Stats{Present: StatAll}

// The traffic step sent 5 frames of 100 bytes from session 11 (tunnel 1) to
// session 21 (tunnel 21) and 3 frames of 60 bytes back.
var (
	goldenStats1  = Stats{TxPackets: 5, TxBytes: 600, RxPackets: 3, RxBytes: 228, Present: StatAll}
	goldenStats21 = Stats{TxPackets: 3, TxBytes: 228, RxPackets: 5, RxBytes: 600, Present: StatAll}
)

var (
	goldenTunnel1 = Tunnel{ID: 1, PeerID: 21, Version: 3, Encap: EncapUDP, Local: goldenLo4, Remote: goldenLo4,
		LocalPort: 5001, RemotePort: 6001, UDPChecksum: true, Stats: goldenStats1}
	goldenTunnel21 = Tunnel{ID: 21, PeerID: 1, Version: 3, Encap: EncapUDP, Local: goldenLo4, Remote: goldenLo4,
		LocalPort: 6001, RemotePort: 5001, Stats: goldenStats21}
	goldenTunnel2 = Tunnel{ID: 2, PeerID: 102, Version: 3, Encap: EncapUDP, Local: goldenLo6, Remote: goldenLo6,
		LocalPort: 5002, RemotePort: 6002, UDPZeroChecksum6TX: true, UDPZeroChecksum6RX: true, Stats: goldenZero}
	goldenTunnel3 = Tunnel{ID: 3, PeerID: 103, Version: 3, Encap: EncapIP, Local: goldenLo4, Remote: goldenLo4, Stats: goldenZero}
	goldenTunnel4 = Tunnel{ID: 4, PeerID: 104, Version: 3, Encap: EncapIP, Local: goldenLo6, Remote: goldenLo6, Stats: goldenZero}
	goldenTunnel5 = Tunnel{ID: 5, PeerID: 105, Version: 3, Encap: EncapUDP, Local: goldenLo4, Remote: goldenLo4,
		LocalPort: 5005, RemotePort: 6005, Stats: goldenZero}
	goldenTunnel6 = Tunnel{ID: 6, PeerID: 106, Version: 3, Encap: EncapUDP, Local: goldenLo4, Remote: goldenLo4,
		LocalPort: 5006, RemotePort: 6006, Stats: goldenZero}

	// The kernel never reports the L2-specific sublayer, so every decoded
	// session has L2SpecNone.
	goldenSession11 = Session{TunnelID: 1, ID: 11, PeerID: 21, PeerTunnelID: 21, Pseudowire: PseudowireEth,
		Cookie: []byte{1, 2, 3, 4, 5, 6, 7, 8}, PeerCookie: []byte{0x0a, 0x0b, 0x0c, 0x0d},
		InterfaceName: "l2tpeth1", Stats: goldenStats1}
	goldenSession21 = Session{TunnelID: 21, ID: 21, PeerID: 11, PeerTunnelID: 1, Pseudowire: PseudowireEth,
		Cookie: []byte{0x0a, 0x0b, 0x0c, 0x0d}, PeerCookie: []byte{1, 2, 3, 4, 5, 6, 7, 8},
		InterfaceName: "l2tpeth21", Stats: goldenStats21}
	goldenSession12 = Session{TunnelID: 2, ID: 12, PeerID: 22, PeerTunnelID: 102, Pseudowire: PseudowireEth,
		InterfaceName: "l2tpeth0", Stats: goldenZero}
	goldenSession13 = Session{TunnelID: 3, ID: 13, PeerID: 23, PeerTunnelID: 103, Pseudowire: PseudowireEth,
		SendSeq: true, RecvSeq: true, InterfaceName: "l2tpeth2", Stats: goldenZero}
	// Created with ReorderTimeout 250ms: the kernel keeps it in jiffies
	// (HZ=250 on Debian's cloud kernels) and reports 63 jiffies back.
	goldenSession14 = Session{TunnelID: 4, ID: 14, PeerID: 24, PeerTunnelID: 104, Pseudowire: PseudowireEth,
		Cookie: []byte{0x11, 0x22, 0x33, 0x44}, PeerCookie: []byte{0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc},
		SendSeq: true, RecvSeq: true, LNSMode: true, ReorderTimeout: 252 * time.Millisecond,
		InterfaceName: "golden0", Stats: goldenZero}
	goldenSession16 = Session{TunnelID: 6, ID: 16, PeerID: 26, PeerTunnelID: 106, Pseudowire: PseudowireEth,
		InterfaceName: "event0", Stats: goldenZero}
	goldenSession16Modified = Session{TunnelID: 6, ID: 16, PeerID: 26, PeerTunnelID: 106, Pseudowire: PseudowireEth,
		SendSeq: true, RecvSeq: true, ReorderTimeout: 100 * time.Millisecond, InterfaceName: "event0", Stats: goldenZero}
	// On 6.12 the duplicate session 11 of tunnel 1 (made by iproute2, no
	// cookies) hides the first one from dumps.
	goldenSession11Duplicate = Session{TunnelID: 1, ID: 11, PeerID: 21, PeerTunnelID: 21, Pseudowire: PseudowireEth,
		InterfaceName: "l2tpeth3", Stats: goldenZero}

	goldenTunnels  = []Tunnel{goldenTunnel1, goldenTunnel2, goldenTunnel3, goldenTunnel4, goldenTunnel5, goldenTunnel21}
	goldenSessions = []Session{goldenSession11, goldenSession12, goldenSession13, goldenSession14, goldenSession21}
)

// goldenRead returns a captured datagram.
func goldenRead(t *testing.T, line, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", line, name))
	if err != nil {
		t.Fatalf("golden capture missing (run make golden): %v", err)
	}
	return b
}

// A goldenMsg is one netlink message of a captured datagram.
type goldenMsg struct {
	hdr     netlinkraw.Header
	payload []byte // after the netlink header

	// For NLMSG_ERROR:
	isErr     bool
	errno     syscall.Errno
	echo      []byte // the request the kernel echoed: header only when capped
	extMsg    string
	extOffset uint32
	extPolicy []byte // NLMSGERR_ATTR_POLICY
}

func (m goldenMsg) isDone() bool   { return m.hdr.Type == netlinkraw.TypeDone }
func (m goldenMsg) isFamily() bool { return m.hdr.Type > netlinkraw.TypeOverrun && !m.isErr }

func (m goldenMsg) cmdAttrs(t *testing.T) (command, []byte) {
	t.Helper()
	gh, attrs, err := netlinkraw.ParseGenlHeader(m.payload)
	if err != nil {
		t.Fatal(err)
	}
	return command(gh.Command), attrs
}

// goldenParse splits a datagram into its messages and decodes errors with
// their extended ACKs.
func goldenParse(t *testing.T, b []byte) []goldenMsg {
	t.Helper()
	var ms []goldenMsg
	var d netlinkraw.MessageDecoder
	d.Reset(b)
	for d.Next() {
		m := goldenMsg{hdr: d.Header(), payload: d.Payload()}
		if m.hdr.Type == netlinkraw.TypeError {
			m.isErr = true
			p := m.payload
			if len(p) < 4+netlinkraw.HeaderLen {
				t.Fatalf("NLMSG_ERROR of %d bytes", len(p))
			}
			m.errno = syscall.Errno(-int32(binary.NativeEndian.Uint32(p)))
			orig, err := netlinkraw.ParseHeader(p[4:])
			if err != nil {
				t.Fatal(err)
			}
			n := netlinkraw.HeaderLen
			if m.hdr.Flags&netlinkraw.FlagCapped == 0 {
				n = int(orig.Length)
			}
			m.echo = p[4 : 4+n]
			if m.hdr.Flags&netlinkraw.FlagAckTLVs != 0 {
				ad := netlinkraw.NewAttrDecoder(p[4+netlinkraw.Align(n):])
				for ad.Next() {
					switch ad.Type() {
					case 1: // NLMSGERR_ATTR_MSG
						m.extMsg = ad.String()
					case 2: // NLMSGERR_ATTR_OFFS
						m.extOffset = ad.Uint32()
					case 4: // NLMSGERR_ATTR_POLICY
						m.extPolicy = ad.Bytes()
					}
				}
				if err := ad.Err(); err != nil {
					t.Fatalf("extended ACK: %v", err)
				}
			}
		}
		ms = append(ms, m)
	}
	if err := d.Err(); err != nil {
		t.Fatal(err)
	}
	return ms
}

// A goldenOp is the captured datagrams of one operation, in order.
type goldenOp struct {
	name  string
	files []string
	msgs  [][]goldenMsg // per file
}

// goldenLoad reads the files of operation op from the README's naming
// scheme: <op>.<kind>[.<n>].bin, in capture order (from the manifest).
func goldenLoad(t *testing.T, line, op string) goldenOp {
	t.Helper()
	files := goldenManifest(t, line)[op]
	if len(files) == 0 {
		t.Fatalf("%s: no capture of %s", line, op)
	}
	g := goldenOp{name: op, files: files}
	for _, f := range files {
		g.msgs = append(g.msgs, goldenParse(t, goldenRead(t, line, f)))
	}
	return g
}

// goldenManifest maps each operation to its files in capture order.
func goldenManifest(t *testing.T, line string) map[string][]string {
	t.Helper()
	b := goldenRead(t, line, "manifest.json")
	var m struct { // the part of internal/golden/cmd/golden's Manifest used here

		Ops []struct {
			Name  string
			Files []struct{ Name string }
		}
	}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s manifest: %v", line, err)
	}
	out := map[string][]string{}
	for _, o := range m.Ops {
		for _, f := range o.Files {
			out[o.Name] = append(out[o.Name], f.Name)
		}
	}
	return out
}

// requests returns the request messages of the operation.
func (g goldenOp) requests() []goldenMsg {
	var rs []goldenMsg
	for _, ms := range g.msgs {
		for _, m := range ms {
			if m.hdr.Flags&netlinkraw.FlagRequest != 0 {
				rs = append(rs, m)
			}
		}
	}
	return rs
}

// exchanges returns, for each request, the kernel's messages answering it.
func (g goldenOp) exchanges() [][]goldenMsg {
	var xs [][]goldenMsg
	for _, ms := range g.msgs {
		for _, m := range ms {
			if m.hdr.Flags&netlinkraw.FlagRequest != 0 {
				xs = append(xs, nil)
				continue
			}
			if len(xs) == 0 {
				xs = append(xs, nil)
			}
			xs[len(xs)-1] = append(xs[len(xs)-1], m)
		}
	}
	return xs
}

// family returns the family ID of the capture's boot, from its requests.
func (g goldenOp) family(t *testing.T) uint16 {
	t.Helper()
	rs := g.requests()
	if len(rs) == 0 {
		t.Fatalf("%s: no request captured", g.name)
	}
	return rs[0].hdr.Type
}

// replayTransport answers a Conn's requests with captured exchanges, one
// exchange per Request or Dump, and records what the Conn sent.
type replayTransport struct {
	exchanges [][]goldenMsg
	sent      [][]byte
}

func (r *replayTransport) Request(_ context.Context, msg []byte, fn func(netlinkraw.Header, []byte) error) error {
	return r.replay(msg, fn)
}

func (r *replayTransport) Dump(_ context.Context, msg []byte, fn func(netlinkraw.Header, []byte) error) error {
	return r.replay(msg, fn)
}

func (r *replayTransport) replay(msg []byte, fn func(netlinkraw.Header, []byte) error) error {
	r.sent = append(r.sent, bytes.Clone(msg))
	if len(r.exchanges) == 0 {
		return errors.New("replay: no captured answer left")
	}
	x := r.exchanges[0]
	r.exchanges = r.exchanges[1:]
	var ferr error
	for _, m := range x {
		switch {
		case m.isErr && m.errno != 0:
			return &netlinkraw.Error{Op: "request", Err: m.errno, Message: m.extMsg, Offset: m.extOffset, Seq: m.hdr.Seq}
		case m.isErr, m.isDone():
			return ferr
		case fn != nil && ferr == nil:
			ferr = fn(m.hdr, m.payload)
		}
	}
	return errors.New("replay: the captured answer has no ACK, error or NLMSG_DONE")
}

func (r *replayTransport) Batch(context.Context, []byte) ([]error, error) {
	return nil, errors.New("replay: no batches")
}

func (r *replayTransport) Receive(context.Context, func(netlinkraw.Header, []byte) error) error {
	return errors.New("replay: no events")
}

func (r *replayTransport) PortID() uint32 { return 1 }
func (r *replayTransport) Close() error   { return nil }

// newReplayConn returns a Conn whose requests are answered by exchanges.
func newReplayConn(family uint16, exchanges ...[]goldenMsg) (*Conn, *replayTransport) {
	r := &replayTransport{exchanges: exchanges}
	return newConn(r, family, 0, nil), r
}

// sentPayloads returns the generic netlink payloads the Conn sent.
func (r *replayTransport) sentPayloads(t *testing.T) [][]byte {
	t.Helper()
	var ps [][]byte
	for _, b := range r.sent {
		var d netlinkraw.MessageDecoder
		d.Reset(b)
		for d.Next() {
			ps = append(ps, d.Payload())
		}
		if err := d.Err(); err != nil {
			t.Fatal(err)
		}
	}
	return ps
}

// TestGoldenNl2tp replays the operations made with package l2tp: each must
// send the captured requests again, byte for byte after the netlink
// header, and decode the captured replies to the values written here.
func TestGoldenNl2tp(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		op   string
		call func(c *Conn) (any, error)
		want any
		err  error // what errors.Is must match
	}{
		{"tunnel_get_udp4", func(c *Conn) (any, error) { return c.GetTunnel(ctx, 1) }, goldenTunnel1, nil},
		{"tunnel_get_udp4_peer", func(c *Conn) (any, error) { return c.GetTunnel(ctx, 21) }, goldenTunnel21, nil},
		{"tunnel_get_udp6", func(c *Conn) (any, error) { return c.GetTunnel(ctx, 2) }, goldenTunnel2, nil},
		{"tunnel_get_ip4", func(c *Conn) (any, error) { return c.GetTunnel(ctx, 3) }, goldenTunnel3, nil},
		{"tunnel_get_ip6", func(c *Conn) (any, error) { return c.GetTunnel(ctx, 4) }, goldenTunnel4, nil},
		{"tunnel_dump_nl2tp", func(c *Conn) (any, error) { return c.ListTunnels(ctx) }, goldenTunnels, nil},
		{"tunnel_create_nl2tp", func(c *Conn) (any, error) {
			return c.CreateTunnel(ctx, Tunnel{ID: 5, PeerID: 105, Version: 3, Encap: EncapUDP, Local: goldenLo4, Remote: goldenLo4, LocalPort: 5005, RemotePort: 6005})
		}, goldenTunnel5, nil},
		{"session_create_nl2tp", func(c *Conn) (any, error) {
			return c.CreateSession(ctx, Session{TunnelID: 4, ID: 14, PeerID: 24, Pseudowire: PseudowireEth, L2Spec: L2SpecDefault,
				Cookie: []byte{0x11, 0x22, 0x33, 0x44}, PeerCookie: []byte{0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc},
				RecvSeq: true, SendSeq: true, LNSMode: true, ReorderTimeout: 250 * time.Millisecond, InterfaceName: "golden0"})
		}, goldenSession14, nil},
		{"session_get_cookies", func(c *Conn) (any, error) { return c.GetSession(ctx, 1, 11) }, goldenSession11, nil},
		{"session_get_cookies_peer", func(c *Conn) (any, error) { return c.GetSession(ctx, 21, 21) }, goldenSession21, nil},
		{"session_get_udp6", func(c *Conn) (any, error) { return c.GetSession(ctx, 2, 12) }, goldenSession12, nil},
		{"session_get_ip4_seq", func(c *Conn) (any, error) { return c.GetSession(ctx, 3, 13) }, goldenSession13, nil},
		{"session_get_byname", func(c *Conn) (any, error) { return c.GetSessionByName(ctx, "golden0") }, goldenSession14, nil},
		{"session_dump_nl2tp", func(c *Conn) (any, error) { return c.ListSessions(ctx, SessionFilter{}) }, goldenSessions, nil},
		{"event_session_modify", func(c *Conn) (any, error) {
			return nil, c.ModifySession(ctx, Session{TunnelID: 6, ID: 16, SendSeq: true, RecvSeq: true, ReorderTimeout: 100 * time.Millisecond})
		}, nil, nil},
		{"event_tunnel_modify", func(c *Conn) (any, error) { return nil, c.ModifyTunnel(ctx, 6, 0) }, nil, nil},
		{"error_tunnel_get_missing", func(c *Conn) (any, error) { return c.GetTunnel(ctx, 99) }, Tunnel{}, ErrNotFound},
		{"error_session_get_missing", func(c *Conn) (any, error) { return c.GetSession(ctx, 1, 99) }, Session{}, ErrNotFound},
	}
	for _, line := range goldenLines {
		for _, tt := range tests {
			t.Run(line+"/"+tt.op, func(t *testing.T) {
				g := goldenLoad(t, line, tt.op)
				c, r := newReplayConn(g.family(t), g.exchanges()...)
				got, err := tt.call(c)
				switch {
				case tt.err == nil && err != nil:
					t.Fatalf("unexpected error: %v", err)
				case tt.err != nil && !errors.Is(err, tt.err):
					t.Fatalf("got error %v, want one matching %v", err, tt.err)
				}
				if tt.err != nil && !errors.Is(err, syscall.ENODEV) {
					t.Errorf("error %v does not match the kernel's ENODEV", err)
				}
				if diff := cmp.Diff(tt.want, got, goldenCmp); diff != "" {
					t.Errorf("unexpected value (-want +got):\n%s", diff)
				}
				var want [][]byte
				for _, m := range g.requests() {
					want = append(want, m.payload)
				}
				if diff := cmp.Diff(want, r.sentPayloads(t)); diff != "" {
					t.Errorf("requests differ from the captured ones (-captured +sent):\n%s", diff)
				}
				if len(r.exchanges) != 0 {
					t.Errorf("%d captured exchanges not used", len(r.exchanges))
				}
			})
		}
	}
}

// A goldenAttr is one attribute of a request, for comparing attribute sets.
type goldenAttr struct {
	Type uint16
	Data string // hex
}

func (a goldenAttr) String() string { return fmt.Sprintf("%s=%s", attr(a.Type), a.Data) }

// goldenAttrSet returns the command and the sorted attributes of a request
// payload.
func goldenAttrSet(t *testing.T, payload []byte) (command, []goldenAttr) {
	t.Helper()
	gh, attrs, err := netlinkraw.ParseGenlHeader(payload)
	if err != nil {
		t.Fatal(err)
	}
	var as []goldenAttr
	d := netlinkraw.NewAttrDecoder(attrs)
	for d.Next() {
		as = append(as, goldenAttr{Type: d.RawType(), Data: fmt.Sprintf("%x", d.Bytes())})
	}
	if err := d.Err(); err != nil {
		t.Fatal(err)
	}
	sort.Slice(as, func(i, j int) bool {
		if as[i].Type != as[j].Type {
			return as[i].Type < as[j].Type
		}
		return as[i].Data < as[j].Data
	})
	return command(gh.Command), as
}

func ga(a attr, hex string) goldenAttr { return goldenAttr{Type: uint16(a), Data: hex} }

// TestGoldenIPRequests checks that for each request iproute2 sent, nl2tp
// sends the same attributes, with the same types and values, for the same
// configuration (in any order). iproute2 also sends a few attributes the
// kernel ignores; each case lists them, so that any other difference fails.
// The lookups nl2tp makes around a create (the tunnel's version, the new
// object read back) are answered with captures of the matching gets.
func TestGoldenIPRequests(t *testing.T) {
	ctx := context.Background()
	// iproute2 sends PEER_CONN_ID 0 and L2SPEC_LEN with every
	// SESSION_CREATE; the kernel reads neither.
	ipSessionExtra := func(l2specLen string) []goldenAttr {
		return []goldenAttr{ga(attrL2SpecLen, l2specLen), ga(attrPeerConnID, "00000000")} // sorted by type
	}
	tests := []struct {
		op      string
		lookups map[int]string // exchange index of nl2tp's request → captured op answering it
		call    func(c *Conn) error
		ipOnly  []goldenAttr
		err     error
	}{
		{op: "tunnel_create_udp4", lookups: map[int]string{1: "tunnel_get_udp4"}, call: func(c *Conn) error {
			_, err := c.CreateTunnel(ctx, Tunnel{ID: 1, PeerID: 21, Version: 3, Encap: EncapUDP, Local: goldenLo4, Remote: goldenLo4,
				LocalPort: 5001, RemotePort: 6001, UDPChecksum: true})
			return err
		}},
		{op: "tunnel_create_udp4_peer", lookups: map[int]string{1: "tunnel_get_udp4_peer"}, call: func(c *Conn) error {
			_, err := c.CreateTunnel(ctx, Tunnel{ID: 21, PeerID: 1, Version: 3, Encap: EncapUDP, Local: goldenLo4, Remote: goldenLo4,
				LocalPort: 6001, RemotePort: 5001})
			return err
		}},
		{op: "tunnel_create_udp6", lookups: map[int]string{1: "tunnel_get_udp6"}, call: func(c *Conn) error {
			_, err := c.CreateTunnel(ctx, Tunnel{ID: 2, PeerID: 102, Version: 3, Encap: EncapUDP, Local: goldenLo6, Remote: goldenLo6,
				LocalPort: 5002, RemotePort: 6002, UDPZeroChecksum6TX: true, UDPZeroChecksum6RX: true})
			return err
		}},
		{op: "tunnel_create_ip4", lookups: map[int]string{1: "tunnel_get_ip4"}, call: func(c *Conn) error {
			_, err := c.CreateTunnel(ctx, Tunnel{ID: 3, PeerID: 103, Version: 3, Encap: EncapIP, Local: goldenLo4, Remote: goldenLo4})
			return err
		}},
		{op: "tunnel_create_ip6", lookups: map[int]string{1: "tunnel_get_ip6"}, call: func(c *Conn) error {
			_, err := c.CreateTunnel(ctx, Tunnel{ID: 4, PeerID: 104, Version: 3, Encap: EncapIP, Local: goldenLo6, Remote: goldenLo6})
			return err
		}},
		{op: "event_tunnel_create", lookups: map[int]string{1: "tunnel_get_udp4"}, call: func(c *Conn) error {
			_, err := c.CreateTunnel(ctx, Tunnel{ID: 6, PeerID: 106, Version: 3, Encap: EncapUDP, Local: goldenLo4, Remote: goldenLo4,
				LocalPort: 5006, RemotePort: 6006})
			return err
		}},
		{op: "session_create_cookies", lookups: map[int]string{0: "tunnel_get_udp4", 2: "session_get_cookies"}, call: func(c *Conn) error {
			_, err := c.CreateSession(ctx, Session{TunnelID: 1, ID: 11, PeerID: 21, Pseudowire: PseudowireEth, L2Spec: L2SpecDefault,
				Cookie: []byte{1, 2, 3, 4, 5, 6, 7, 8}, PeerCookie: []byte{0x0a, 0x0b, 0x0c, 0x0d}, InterfaceName: "l2tpeth1"})
			return err
		}, ipOnly: ipSessionExtra("04")},
		{op: "session_create_cookies_peer", lookups: map[int]string{0: "tunnel_get_udp4_peer", 2: "session_get_cookies_peer"}, call: func(c *Conn) error {
			_, err := c.CreateSession(ctx, Session{TunnelID: 21, ID: 21, PeerID: 11, Pseudowire: PseudowireEth, L2Spec: L2SpecDefault,
				Cookie: []byte{0x0a, 0x0b, 0x0c, 0x0d}, PeerCookie: []byte{1, 2, 3, 4, 5, 6, 7, 8}, InterfaceName: "l2tpeth21"})
			return err
		}, ipOnly: ipSessionExtra("04")},
		{op: "session_create_udp6", lookups: map[int]string{0: "tunnel_get_udp6", 2: "session_get_udp6"}, call: func(c *Conn) error {
			_, err := c.CreateSession(ctx, Session{TunnelID: 2, ID: 12, PeerID: 22, Pseudowire: PseudowireEth, L2Spec: L2SpecDefault})
			return err
		}, ipOnly: ipSessionExtra("04")},
		{op: "session_create_ip4_seq", lookups: map[int]string{0: "tunnel_get_ip4", 2: "session_get_ip4_seq"}, call: func(c *Conn) error {
			_, err := c.CreateSession(ctx, Session{TunnelID: 3, ID: 13, PeerID: 23, Pseudowire: PseudowireEth, L2Spec: L2SpecNone,
				SendSeq: true, RecvSeq: true})
			return err
		}, ipOnly: ipSessionExtra("00")},
		{op: "event_session_create", lookups: map[int]string{0: "tunnel_get_udp4", 2: "session_get_udp6"}, call: func(c *Conn) error {
			_, err := c.CreateSession(ctx, Session{TunnelID: 6, ID: 16, PeerID: 26, Pseudowire: PseudowireEth, L2Spec: L2SpecDefault,
				InterfaceName: "event0"})
			return err
		}, ipOnly: ipSessionExtra("04")},
		{op: "event_session_delete", call: func(c *Conn) error { return c.DeleteSession(ctx, 6, 16) }},
		{op: "event_tunnel_delete", call: func(c *Conn) error { return c.DeleteTunnel(ctx, 6) }},
		{op: "tunnel_dump", call: func(c *Conn) error { return goldenWantTunnels(c.ListTunnels(ctx)) }},
		// iproute2 sends the tunnel ID it filters on; the kernel ignores it
		// and dumps every tunnel, which iproute2 then prints.
		{op: "tunnel_dump_filtered", call: func(c *Conn) error { return goldenWantTunnels(c.ListTunnels(ctx)) },
			ipOnly: []goldenAttr{ga(attrConnID, "03000000")}},
		{op: "session_dump", call: func(c *Conn) error { return goldenWantSessions(c.ListSessions(ctx, SessionFilter{})) }},
		{op: "error_tunnel_exists", err: fs.ErrExist, call: func(c *Conn) error {
			_, err := c.CreateTunnel(ctx, Tunnel{ID: 1, PeerID: 21, Version: 3, Encap: EncapUDP, Local: goldenLo4, Remote: goldenLo4,
				LocalPort: 5101, RemotePort: 6101})
			return err
		}},
		{op: "error_session_exists", err: fs.ErrExist, lookups: map[int]string{0: "tunnel_get_ip4"}, call: func(c *Conn) error {
			_, err := c.CreateSession(ctx, Session{TunnelID: 3, ID: 13, PeerID: 23, Pseudowire: PseudowireEth, L2Spec: L2SpecDefault})
			return err
		}, ipOnly: ipSessionExtra("04")},
		{op: "error_ifname_exists", err: fs.ErrExist, lookups: map[int]string{0: "tunnel_get_udp4"}, call: func(c *Conn) error {
			_, err := c.CreateSession(ctx, Session{TunnelID: 1, ID: 99, PeerID: 99, Pseudowire: PseudowireEth, L2Spec: L2SpecDefault,
				InterfaceName: "l2tpeth21"})
			return err
		}, ipOnly: ipSessionExtra("04")},
		{op: "error_tunnel_delete_missing", err: ErrNotFound, call: func(c *Conn) error { return c.DeleteTunnel(ctx, 99) }},
	}
	for _, line := range goldenLines {
		for _, tt := range tests {
			t.Run(line+"/"+tt.op, func(t *testing.T) {
				g := goldenLoad(t, line, tt.op)
				reqs, xs := g.requests(), g.exchanges()
				if len(reqs) != 1 || len(xs) != 1 {
					t.Fatalf("want one iproute2 request and its answer, got %d and %d", len(reqs), len(xs))
				}
				// nl2tp's exchanges: the lookups, with iproute2's
				// exchange in the place of nl2tp's own request.
				n := len(tt.lookups) + 1
				var own int
				var exchanges [][]goldenMsg
				for i := range n {
					op, ok := tt.lookups[i]
					if !ok {
						own = i
						exchanges = append(exchanges, xs[0])
						continue
					}
					exchanges = append(exchanges, goldenLoad(t, line, op).exchanges()[0])
				}
				c, r := newReplayConn(g.family(t), exchanges...)
				err := tt.call(c)
				switch {
				case tt.err == nil && err != nil:
					t.Fatalf("unexpected error: %v", err)
				case tt.err != nil && !errors.Is(err, tt.err):
					t.Fatalf("got error %v, want one matching %v", err, tt.err)
				}
				sent := r.sentPayloads(t)
				if len(sent) <= own {
					t.Fatalf("nl2tp sent %d requests, want at least %d", len(sent), own+1)
				}
				ipCmd, ipAttrs := goldenAttrSet(t, reqs[0].payload)
				nlCmd, nlAttrs := goldenAttrSet(t, sent[own])
				if ipCmd != nlCmd {
					t.Fatalf("iproute2 sent %v, nl2tp %v", ipCmd, nlCmd)
				}
				var rest, extra []goldenAttr
				for _, a := range ipAttrs {
					if slices.Contains(tt.ipOnly, a) {
						extra = append(extra, a)
					} else {
						rest = append(rest, a)
					}
				}
				if diff := cmp.Diff(rest, nlAttrs); diff != "" {
					t.Errorf("attributes differ (-iproute2 +nl2tp):\n%s", diff)
				}
				if diff := cmp.Diff(tt.ipOnly, extra); diff != "" {
					t.Errorf("iproute2's extra attributes (-listed +sent):\n%s", diff)
				}
			})
		}
	}
}

func goldenWantTunnels(ts []Tunnel, err error) error {
	if err != nil {
		return err
	}
	if diff := cmp.Diff(goldenTunnels, ts, goldenCmp); diff != "" {
		return fmt.Errorf("unexpected tunnels (-want +got):\n%s", diff)
	}
	return nil
}

func goldenWantSessions(ss []Session, err error) error {
	if err != nil {
		return err
	}
	if diff := cmp.Diff(goldenSessions, ss, goldenCmp); diff != "" {
		return fmt.Errorf("unexpected sessions (-want +got):\n%s", diff)
	}
	return nil
}

// TestGoldenEvents decodes the six kinds of events as a subscription does.
// Each carries the full object and the port ID and sequence number of the
// request that caused it, with NLM_F_ACK set.
func TestGoldenEvents(t *testing.T) {
	tests := []struct {
		op   string
		want Event
	}{
		{"event_tunnel_create", Event{Kind: EventTunnelCreate, Tunnel: goldenTunnel6}},
		{"event_session_create", Event{Kind: EventSessionCreate, Session: goldenSession16}},
		{"event_session_modify", Event{Kind: EventSessionModify, Session: goldenSession16Modified}},
		{"event_tunnel_modify", Event{Kind: EventTunnelModify, Tunnel: goldenTunnel6}},
		{"event_session_delete", Event{Kind: EventSessionDelete, Session: goldenSession16Modified}},
		{"event_tunnel_delete", Event{Kind: EventTunnelDelete, Tunnel: goldenTunnel6}},
	}
	for _, line := range goldenLines {
		for _, tt := range tests {
			t.Run(line+"/"+tt.op, func(t *testing.T) {
				g := goldenLoad(t, line, tt.op)
				req := g.requests()[0]
				ev := goldenParse(t, goldenRead(t, line, tt.op+".event.bin"))
				if len(ev) != 1 {
					t.Fatalf("event datagram holds %d messages, want 1", len(ev))
				}
				h := ev[0].hdr
				if h.Flags != netlinkraw.FlagAck {
					t.Errorf("event flags %#x, want NLM_F_ACK", h.Flags)
				}
				if h.Seq != req.hdr.Seq || h.PortID == 0 {
					t.Errorf("event seq %d port %d, want the request's seq %d and a port", h.Seq, h.PortID, req.hdr.Seq)
				}
				s := &Subscription{family: req.hdr.Type}
				s.add(h, ev[0].payload)
				if len(s.queue) != 1 || s.queue[0].err != nil {
					t.Fatalf("decoded %d events (%+v), want one", len(s.queue), s.queue)
				}
				want := tt.want
				want.PortID, want.Seq = h.PortID, h.Seq
				if diff := cmp.Diff(want, s.queue[0].ev, goldenCmp); diff != "" {
					t.Errorf("unexpected event (-want +got):\n%s", diff)
				}
			})
		}
	}
}

// TestGoldenErrors checks the error replies: the errno, the extended ACK
// (text, and an offset that points at the offending attribute of the
// request), and the echoed request (whole, unless the socket asked for
// NETLINK_CAP_ACK, as nl2tp's does and iproute2's does not).
func TestGoldenErrors(t *testing.T) {
	const policyMsg = "Attribute failed policy validation"
	tests := []struct {
		op      string
		errno   syscall.Errno
		extMsg  string
		badAttr attr // the attribute the offset points at, if any
		capped  bool
	}{
		{"error_tunnel_exists", syscall.EEXIST, "", 0, false},
		{"error_session_exists", syscall.EEXIST, "", 0, false},
		{"error_ifname_exists", syscall.EEXIST, "", 0, false},
		{"error_tunnel_delete_missing", syscall.ENODEV, "", 0, false},
		{"error_session_create_no_tunnel", syscall.ENODEV, "", 0, false},
		{"error_tunnel_get_missing", syscall.ENODEV, "", 0, true},
		{"error_session_get_missing", syscall.ENODEV, "", 0, true},
		{"error_cookie_9", syscall.ERANGE, policyMsg, attrCookie, true},
		{"error_ifname_16", syscall.EINVAL, policyMsg, attrIfname, true},
		{"error_pw_ppp", syscall.EPROTONOSUPPORT, "", 0, true},
		{"error_tunnel_create_no_id", syscall.EINVAL, "", 0, true},
	}
	for _, line := range goldenLines {
		for _, tt := range tests {
			t.Run(line+"/"+tt.op, func(t *testing.T) {
				req := goldenRead(t, line, tt.op+".request.bin")
				ms := goldenParse(t, goldenRead(t, line, tt.op+".error.bin"))
				if len(ms) != 1 || !ms[0].isErr {
					t.Fatalf("want one NLMSG_ERROR, got %d messages", len(ms))
				}
				m := ms[0]
				if m.errno != tt.errno || m.extMsg != tt.extMsg {
					t.Errorf("got %v %q, want %v %q", m.errno, m.extMsg, tt.errno, tt.extMsg)
				}
				if got := m.hdr.Flags&netlinkraw.FlagCapped != 0; got != tt.capped {
					t.Errorf("capped %v, want %v", got, tt.capped)
				}
				want := req
				if tt.capped {
					want = req[:netlinkraw.HeaderLen]
				}
				if !bytes.Equal(m.echo, want) {
					t.Errorf("echoed request\n% x\nwant\n% x", m.echo, want)
				}
				if tt.badAttr == 0 {
					if m.extOffset != 0 || m.extPolicy != nil {
						t.Errorf("unexpected extended ACK offset %d, policy % x", m.extOffset, m.extPolicy)
					}
					return
				}
				if int(m.extOffset)+netlinkraw.AttrHeaderLen > len(req) {
					t.Fatalf("offset %d beyond the request of %d bytes", m.extOffset, len(req))
				}
				if got := attr(binary.NativeEndian.Uint16(req[m.extOffset+2:])); got != tt.badAttr {
					t.Errorf("offset %d points at %v, want %v", m.extOffset, got, tt.badAttr)
				}
				if m.extPolicy == nil {
					t.Errorf("no NLMSGERR_ATTR_POLICY")
				}
			})
		}
	}
}

// TestGoldenErrorMeaning replays kernel errors to the calls that would
// have caused them and checks the meaning package l2tp gives them.
func TestGoldenErrorMeaning(t *testing.T) {
	ctx := context.Background()
	for _, line := range goldenLines {
		t.Run(line, func(t *testing.T) {
			lookup := goldenLoad(t, line, "tunnel_get_udp4").exchanges()[0]
			ppp := goldenLoad(t, line, "error_pw_ppp").exchanges()[0]
			c, _ := newReplayConn(goldenLoad(t, line, "error_pw_ppp").family(t), lookup, ppp)
			_, err := c.CreateSession(ctx, Session{TunnelID: 1, ID: 96, PeerID: 96, Pseudowire: PseudowirePPP})
			if !errors.Is(err, errors.ErrUnsupported) || !errors.Is(err, syscall.EPROTONOSUPPORT) {
				t.Errorf("PPP pseudowire: got %v, want errors.ErrUnsupported and EPROTONOSUPPORT", err)
			}
			cookie := goldenLoad(t, line, "error_cookie_9").exchanges()[0]
			c, _ = newReplayConn(goldenLoad(t, line, "error_cookie_9").family(t), cookie)
			err = c.DeleteTunnel(ctx, 1) // any request: the reply is what is tested
			if !errors.Is(err, syscall.ERANGE) || !strings.Contains(err.Error(), "Attribute failed policy validation") {
				t.Errorf("policy error: got %v, want ERANGE with the extended ACK text", err)
			}
		})
	}
}

// TestGoldenDumpMany decodes a dump of 405 sessions that came in several
// datagrams of up to 32 KiB.
func TestGoldenDumpMany(t *testing.T) {
	ctx := context.Background()
	firstTunnel5 := map[string]uint32{"6.1": 1385, "6.12": 1000} // 6.1 walks a hash table, 6.12 an IDR
	for _, line := range goldenLines {
		t.Run(line, func(t *testing.T) {
			g := goldenLoad(t, line, "session_dump_many")
			replies := 0
			for i, f := range g.files {
				if strings.Contains(f, ".reply.") {
					replies++
					if n := len(goldenRead(t, line, f)); n > 32<<10 {
						t.Errorf("%s: %d bytes, more than 32 KiB", g.files[i], n)
					}
				}
			}
			if replies < 3 {
				t.Errorf("the dump came in %d datagrams, want at least 3", replies)
			}
			c, _ := newReplayConn(g.family(t), g.exchanges()...)
			ss, err := c.ListSessions(ctx, SessionFilter{})
			if err != nil {
				t.Fatal(err)
			}
			if len(ss) != 405 {
				t.Fatalf("listed %d sessions, want 405", len(ss))
			}
			var first *Session
			seen := map[uint32]bool{}
			for i := range ss {
				s := ss[i]
				if s.TunnelID != 5 {
					continue
				}
				if first == nil {
					first = &ss[i]
				}
				if seen[s.ID] || s.ID < 1000 || s.ID >= 1400 {
					t.Fatalf("session %d: duplicate or unexpected ID", s.ID)
				}
				seen[s.ID] = true
				want := Session{TunnelID: 5, ID: s.ID, PeerID: s.ID + 2000, PeerTunnelID: 105, Pseudowire: PseudowireEth,
					InterfaceName: s.InterfaceName, Stats: goldenZero}
				if !strings.HasPrefix(s.InterfaceName, "l2tpeth") {
					t.Errorf("session %d: interface %q", s.ID, s.InterfaceName)
				}
				if diff := cmp.Diff(want, s, goldenCmp); diff != "" {
					t.Fatalf("unexpected session (-want +got):\n%s", diff)
				}
			}
			if len(seen) != 400 {
				t.Errorf("%d sessions of tunnel 5, want 400", len(seen))
			}
			if first == nil || first.ID != firstTunnel5[line] {
				t.Errorf("first session of tunnel 5: %+v, want ID %d", first, firstTunnel5[line])
			}
			c, _ = newReplayConn(g.family(t), g.exchanges()...)
			ss, err = c.ListSessions(ctx, SessionFilter{TunnelID: 4})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]Session{goldenSession14}, ss, goldenCmp); diff != "" {
				t.Errorf("filtered on tunnel 4 (-want +got):\n%s", diff)
			}
		})
	}
}

// TestGoldenDuplicateSessionID pins what the two kernels do with a second
// session 11 in UDP tunnel 1: 6.1 refuses it (EEXIST); 6.12 accepts it,
// and its dumps then show the new session in place of the first.
func TestGoldenDuplicateSessionID(t *testing.T) {
	ctx := context.Background()
	for _, line := range goldenLines {
		t.Run(line, func(t *testing.T) {
			g := goldenLoad(t, line, "session_create_duplicate_id")
			x := g.exchanges()[0]
			if len(x) != 1 || !x[0].isErr {
				t.Fatalf("want one NLMSG_ERROR, got %d messages", len(x))
			}
			want := goldenSessions
			switch line {
			case "6.1":
				if x[0].errno != syscall.EEXIST {
					t.Errorf("got errno %v, want EEXIST", x[0].errno)
				}
			default:
				if x[0].errno != 0 {
					t.Errorf("got errno %v, want an ACK", x[0].errno)
				}
				want = slices.Clone(goldenSessions)
				want[0] = goldenSession11Duplicate
			}
			d := goldenLoad(t, line, "session_dump_after_duplicate")
			c, _ := newReplayConn(d.family(t), d.exchanges()...)
			ss, err := c.ListSessions(ctx, SessionFilter{})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, ss, goldenCmp); diff != "" {
				t.Errorf("unexpected sessions (-want +got):\n%s", diff)
			}
		})
	}
}

// TestGoldenDumpsIgnoreFilters checks the iproute2 dumps decode like
// nl2tp's: the reply to a dump filtered on tunnel 3 lists every tunnel.
func TestGoldenDumpsIgnoreFilters(t *testing.T) {
	for _, line := range goldenLines {
		for _, op := range []string{"tunnel_dump", "tunnel_dump_filtered"} {
			t.Run(line+"/"+op, func(t *testing.T) {
				g := goldenLoad(t, line, op)
				var ts []Tunnel
				for _, ms := range g.msgs {
					for _, m := range ms {
						if !m.isFamily() || m.hdr.Flags&netlinkraw.FlagRequest != 0 {
							continue
						}
						if m.hdr.Flags&netlinkraw.FlagMulti == 0 {
							t.Errorf("dump message without NLM_F_MULTI")
						}
						cmd, attrs := m.cmdAttrs(t)
						if cmd != cmdTunnelGet {
							t.Fatalf("got %v in a tunnel dump", cmd)
						}
						var tu Tunnel
						if err := decodeTunnel(attrs, &tu); err != nil {
							t.Fatal(err)
						}
						ts = append(ts, tu)
					}
				}
				if diff := cmp.Diff(goldenTunnels, ts, goldenCmp); diff != "" {
					t.Errorf("unexpected tunnels (-want +got):\n%s", diff)
				}
			})
		}
	}
}

// TestGoldenWireDetails pins details of the kernels' messages that decoders
// must cope with: the header flags of replies, STATS without NLA_F_NESTED,
// and NLMSG_DONE in a datagram of its own.
func TestGoldenWireDetails(t *testing.T) {
	for _, line := range goldenLines {
		t.Run(line, func(t *testing.T) {
			for _, tt := range []struct {
				file  string
				flags uint16
			}{
				{"tunnel_get_udp4.reply.bin", netlinkraw.FlagAck},
				{"tunnel_get_ip6.reply.bin", netlinkraw.FlagAck},
				{"session_get_cookies.reply.bin", 0},
				{"session_get_byname.reply.bin", 0},
			} {
				ms := goldenParse(t, goldenRead(t, line, tt.file))
				if len(ms) != 1 {
					t.Fatalf("%s: %d messages, want one", tt.file, len(ms))
				}
				if ms[0].hdr.Flags != tt.flags {
					t.Errorf("%s: flags %#x, want %#x", tt.file, ms[0].hdr.Flags, tt.flags)
				}
				_, attrs := ms[0].cmdAttrs(t)
				d := netlinkraw.NewAttrDecoder(attrs)
				stats := 0
				for d.Next() {
					if d.Type() != uint16(attrStats) {
						continue
					}
					stats++
					if d.RawType() != uint16(attrStats) {
						t.Errorf("%s: STATS has type %#x, want %#x (no NLA_F_NESTED)", tt.file, d.RawType(), uint16(attrStats))
					}
					n := 0
					nd := d.Nested()
					for nd.Next() {
						n++
					}
					if n != 10 {
						t.Errorf("%s: %d counters, want 10", tt.file, n)
					}
				}
				if stats != 1 {
					t.Errorf("%s: %d STATS attributes, want 1", tt.file, stats)
				}
			}
			for _, op := range []string{"tunnel_dump", "session_dump", "tunnel_dump_nl2tp", "session_dump_many"} {
				g := goldenLoad(t, line, op)
				last := g.msgs[len(g.msgs)-1]
				if len(last) != 1 || !last[0].isDone() {
					t.Errorf("%s: the last datagram holds %d messages, want NLMSG_DONE alone", op, len(last))
				}
			}
		})
	}
}
